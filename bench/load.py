"""Load test of the field pages under gunicorn, measured with wrk as a ratio to /healthz.

Run from the repo root::

    python -m bench.load [--clients 32] [--seconds 10] [--workers 2] [--database-url URL]
                         [--work-orders N] [--port 8765]

With --work-orders it first builds a fresh database of that size with bench.generate (a SQLite
file under bench/out/ unless --database-url names an empty database). It starts gunicorn on
127.0.0.1:PORT in the production configuration, signs in as the demo ``technician`` with a real
POST /login, then runs wrk against every route of ROUTES in turn (/healthz first, the baseline),
sampling the memory of every gunicorn worker meanwhile. It prints one row per route, the peak
worker memory and the targets (met / NOT met), and writes the same as JSON to
bench/out/load-<timestamp>.json.

Missing a target is a figure, not a failure: the exit status is 0. A route that answered anything
but 2xx, or socket errors, make a broken run: exit status 1.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode


@dataclass(frozen=True)
class Route:
    """One page to measure. `path` may hold {placeholders} filled from FIXTURES."""

    path: str
    login: bool = True  # send the session cookie of `user`
    field: bool = True  # a field page: the latency and throughput targets apply
    user: str = "technician"  # the demo user signed in for it (password demo)
    report: bool = False  # a report page: the report p95 target applies (TARGET_REPORT_*)


# The pages measured, in order; /healthz first: it is the baseline the others are a ratio of.
ROUTES: list[Route] = [
    Route("/healthz", login=False, field=False),
    Route("/"),
    Route("/work-orders/"),
    Route("/work-orders/?q=pump"),
    Route("/work-orders/{wo_id}"),
    Route("/scan"),  # the Scan tab; a scan or a typed code then opens the asset page
    Route("/assets/{asset_id}"),
    # Purchasing on a phone: the approver's queue and a PR to decide; the dock's receiving pages.
    Route("/purchase-requests/?show=waiting", user="approver"),
    Route("/purchase-requests/{pr_id}", user="approver"),
    Route("/receiving/", user="storekeeper"),
    Route("/receiving/po/{po_id}", user="storekeeper"),
    # Reports (a supervisor's, last twelve months): one grouped query each over the period.
    Route("/reports/spend?by=month", field=False, user="supervisor", report=True),
    Route("/reports/spend?by=vendor", field=False, user="supervisor", report=True),
    Route("/reports/spend?by=category", field=False, user="supervisor", report=True),
    Route("/reports/wo-cost?by=asset", field=False, user="supervisor", report=True),
    Route("/reports/approval-cycle", field=False, user="supervisor", report=True),
    Route("/reports/match-exceptions", field=False, user="supervisor", report=True),
    Route("/reports/maverick", field=False, user="supervisor", report=True),
    Route("/reports/waiting?by=site", field=False, user="supervisor", report=True),
    Route("/reports/waiting?by=vendor", field=False, user="supervisor", report=True),
]

# Values for the {placeholders} of ROUTES, each one SQL query on the benchmark database.
FIXTURES: dict[str, str] = {
    # The newest open work order in the technician's queue: a page they really open.
    "wo_id": (
        "SELECT id FROM work_order WHERE assignee_user_id = "
        "(SELECT id FROM \"user\" WHERE username = 'technician') "
        "AND status IN ('assigned', 'in_progress', 'waiting_parts') ORDER BY id DESC LIMIT 1"
    ),
    # A demo pump with a long history: the asset page a QR scan lands on.
    "asset_id": "SELECT id FROM asset WHERE tag = 'P-104'",
    # The newest PR waiting for a decision, and the newest PO still being received.
    "pr_id": "SELECT id FROM purchase_request WHERE status = 'submitted' ORDER BY id DESC LIMIT 1",
    "po_id": (
        "SELECT id FROM purchase_order WHERE status IN ('issued', 'partially_received') "
        "ORDER BY id DESC LIMIT 1"
    ),
}

# Targets for the field pages (HOUSE_STYLE §11: measured as a ratio to /healthz in the same run).
TARGET_P95_MS = 60.0
TARGET_CLIENTS = 32
TARGET_MIN_RATIO = 0.15
TARGET_WORKER_MB = 150.0
# Report pages: heavier by nature (a year of documents per request), read by few people at once.
TARGET_REPORT_P95_MS = 300.0
TARGET_REPORT_CLIENTS = 8

USERNAME = "technician"
# Production sends a password below the rules (the demo's `demo`) to the change-password page
# at sign-in, so the bench user gets one that meets them (give_bench_user_a_password).
PASSWORD = "bench-forklift-on-the-dock"
USER_AGENT = "field-portal-bench/1"  # the same on sign-in and in wrk: Flask-Login hashes it
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
DEFAULT_DATABASE = OUT_DIR / "bench.db"  # the same default file as bench.generate
WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"
VENV_BIN = Path(sys.executable).parent


class BrokenRun(Exception):
    """The run cannot be trusted: a route failed, or the server did not come up."""


@dataclass
class Result:
    """wrk's figures for one route."""

    route: str
    url_path: str
    field: bool
    report: bool = False
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    bytes: int = 0
    ratio_to_healthz: float | None = None
    cpu_ms: float = 0.0  # gunicorn CPU time per request (all workers), ms
    other_cpu_pct: float = 0.0  # CPU used by other processes meanwhile, % of the machine


# --- the database ---------------------------------------------------------------------------


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None for any other URL."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        return Path(url.removeprefix("sqlite:///"))
    return None


def count_work_orders(url: str) -> int | None:
    """How many work orders the database holds; None when it has no work_order table."""
    from sqlalchemy import create_engine, inspect, text

    from portal.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    try:
        if "work_order" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM work_order")).scalar_one()
    finally:
        engine.dispose()


def prepare_database(url: str | None, work_orders: int | None, seed: int) -> str:
    """The URL to benchmark; with `work_orders`, a freshly generated database of that size."""
    if work_orders is None:
        if url is None:
            if not DEFAULT_DATABASE.exists():
                raise SystemExit(
                    f"{DEFAULT_DATABASE} does not exist: pass --work-orders N to generate it, "
                    "or --database-url for an existing benchmark database."
                )
            url = f"sqlite:///{DEFAULT_DATABASE}"
        if not count_work_orders(url):
            raise SystemExit(
                f"{safe_url(url)}: no work orders; run bench.generate or pass --work-orders"
            )
        from bench.generate import upgrade_database

        try:
            upgrade_database(url)  # what a deploy does first; the models may have moved on
        except Exception as err:  # a failed migration: say which and how to get going again
            raise SystemExit(
                f"Upgrading {safe_url(url)} to the current schema failed, so it cannot be "
                f"measured:\n  {type(err).__name__}: {str(err).splitlines()[0]}\n"
                "Fix the migration, or start from a fresh database with --work-orders N."
            ) from err
        return url

    from bench.generate import generate, print_summary

    if url is None:  # our own file: start it afresh
        url = f"sqlite:///{DEFAULT_DATABASE}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEFAULT_DATABASE}{suffix}").unlink(missing_ok=True)
    elif existing := count_work_orders(url):
        raise SystemExit(
            f"--work-orders builds a fresh database, but {safe_url(url)} already holds "
            f"{existing:,} work orders: give an empty database, or leave out --work-orders to "
            "measure this one."
        )
    print(f"Generating {work_orders:,} work orders into {safe_url(url)} ...", file=sys.stderr)
    print_summary(generate(url, work_orders, seed=seed))
    print(file=sys.stderr)
    return url


def resolve_fixtures(url: str) -> dict[str, str]:
    """Run the FIXTURES queries; every placeholder must find a value."""
    from sqlalchemy import create_engine, text

    from portal.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    values = {}
    try:
        with engine.connect() as conn:
            for name, sql in FIXTURES.items():
                value = conn.execute(text(sql)).scalar()
                if value is None:
                    raise BrokenRun(f"fixture {name!r} found nothing: {sql}")
                values[name] = str(value)
    finally:
        engine.dispose()
    return values


def give_bench_user_a_password(url: str) -> None:
    """Set the bench user's password to PASSWORD, straight in the database it measures."""
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == USERNAME))
        if user is None:
            raise SystemExit(f"{safe_url(url)} has no user {USERNAME!r}: load the demo first")
        user.set_password(PASSWORD)
        user.must_change_password = False
        db.session.commit()
        db.engine.dispose()


# --- gunicorn -------------------------------------------------------------------------------


def start_gunicorn(
    url: str, port: int, workers: int, worker_class: str, threads: int, log_path: Path
) -> subprocess.Popen:
    """gunicorn wsgi:app in the production configuration, its output going to `log_path`."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP")}
    env.update(
        DATABASE_URL=url,
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),  # production refuses to start without one
    )
    # Sync workers are the default: on 2 cores the pages are CPU-bound Python (ORM, Jinja), so
    # threads add no throughput, only GIL hand-offs that widen the latency tail; a sync worker
    # serves one request at a time and the rest wait, in arrival order, in the listen backlog,
    # which gives the tightest p95 for a given throughput. One worker per core: a third adds
    # nothing measurable while wrk needs CPU too. Measured here (200k WOs, SQLite, 32 clients,
    # idle machine), p95 of / and /work-orders/: 2 sync 210/263 ms; 3 sync 212/245 ms;
    # 2 gthread x4 406/318 ms; 2 gthread x2 215/303 ms; req/s the same within 5 %.
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "wsgi:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
    ]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    log = log_path.open("w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM), then SIGKILL if it takes more than 15 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def http_get(port: int, path: str, cookie: str | None = None) -> tuple[int, str, bytes]:
    """Status, Location header and body of one GET."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location", ""), resp.read()
    finally:
        conn.close()


def wait_until_up(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokenRun(f"gunicorn exited ({proc.returncode}):\n{tail(log_path)}")
        try:
            if http_get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BrokenRun(f"/healthz did not answer 200 within {timeout:.0f} s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _cookies(headers: list[str], jar: dict[str, str]) -> None:
    for header in headers:
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            jar[name] = morsel.value


def sign_in(port: int, username: str = USERNAME) -> str:
    """Sign in as `username` with a real form POST; the Cookie header to send afterwards.

    Production cookies are Secure, which http.cookiejar would never send back over plain http,
    so the cookies are carried by hand.
    """
    jar: dict[str, str] = {}
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login", headers={"User-Agent": USER_AGENT})
        resp = conn.getresponse()
        page = resp.read().decode("utf-8", "replace")
        _cookies(resp.headers.get_all("Set-Cookie") or [], jar)
        tag = re.search(r"<input[^>]*\bname=\"csrf_token\"[^>]*>", page)
        token = tag and re.search(r"\bvalue=\"([^\"]*)\"", tag.group(0))
        if not token:
            raise BrokenRun(f"GET /login ({resp.status}): no csrf_token field in the page")
        form = urlencode(
            {"username": username, "password": PASSWORD, "csrf_token": html.unescape(token[1])}
        )
        conn.request(
            "POST",
            "/login",
            body=form,
            headers={
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
            },
        )
        resp = conn.getresponse()
        resp.read()
        if resp.status != 303:
            raise BrokenRun(
                f"sign-in as {username!r} answered {resp.status}, not 303 (demo data loaded?)"
            )
        _cookies(resp.headers.get_all("Set-Cookie") or [], jar)
    finally:
        conn.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --- worker memory --------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the gunicorn workers of a master)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (e.g. the PostgreSQL server's)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _status_kb(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle, total


def _process_ticks(pids: list[int]) -> int:
    """utime + stime of `pids`, in ticks (processes that vanished count as 0)."""
    ticks = 0
    for pid in pids:
        try:
            after_comm = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(after_comm[11]) + int(after_comm[12])  # fields 14 and 15 of stat
    return ticks


class CpuMeter:
    """CPU accounting of one route from /proc: what gunicorn spent per request, and how much of
    the machine other processes took meanwhile (the noise in the figures): everything busy on
    the machine minus gunicorn (master and workers), this script, wrk and a local PostgreSQL
    (all of its processes, including any serving someone else)."""

    def __init__(self, master_pid: int, database_process: str | None = None):
        self.master_pid = master_pid
        # A local database server works for us too: its processes do not count as others.
        self.database_process = database_process
        self.hz = os.sysconf("SC_CLK_TCK")
        self.before = self.after = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float, float]:
        busy, total = _machine_ticks()
        server = _process_ticks([self.master_pid, *_children(self.master_pid)])
        t = os.times()
        mine = t.user + t.system + t.children_user + t.children_system  # wrk, once waited for
        database = (
            _process_ticks(_pids_named(self.database_process)) if self.database_process else 0
        )
        return busy, total, server, mine * self.hz + database

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> None:
        self.after = self._snapshot()

    def others_percent(self) -> float:
        """Share of all CPUs used by other processes between start() and stop(), in percent."""
        busy, total, server, mine = (a - b for a, b in zip(self.after, self.before, strict=True))
        return max(0.0, 100 * (busy - server - mine) / max(total, 1))

    def server_seconds(self) -> float:
        """CPU seconds gunicorn (master and workers) used between start() and stop()."""
        return (self.after[2] - self.before[2]) / self.hz


def wait_for_quiet(max_wait: float, busy_limit: float = 15.0) -> float:
    """Wait until the machine is under `busy_limit` % busy for one second (at most `max_wait`
    seconds); gunicorn is idle between routes, so what is busy then is other work. The last
    busy % seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0, total0 = _machine_ticks()
        time.sleep(1.0)
        busy1, total1 = _machine_ticks()
        busy = 100 * (busy1 - busy0) / max(total1 - total0, 1)
        if busy < busy_limit or time.monotonic() >= deadline:
            return busy


class MemorySampler(threading.Thread):
    """Reads VmHWM (peak RSS) and VmRSS of every worker of a gunicorn master, every 0.2 s."""

    def __init__(self, master_pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.master_pid, self.interval = master_pid, interval
        self.workers: dict[int, dict[str, float]] = {}
        self._stop_event = threading.Event()

    def sample(self) -> None:
        for pid in _children(self.master_pid):
            kb = _status_kb(pid)
            if not kb:
                continue
            seen = self.workers.setdefault(pid, {"hwm_mb": 0.0, "rss_mb": 0.0})
            seen["hwm_mb"] = max(seen["hwm_mb"], kb.get("VmHWM", 0) / 1024)
            seen["rss_mb"] = max(seen["rss_mb"], kb.get("VmRSS", 0) / 1024)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()

    @property
    def peak_mb(self) -> float:
        return max((w["hwm_mb"] for w in self.workers.values()), default=0.0)


# --- wrk ------------------------------------------------------------------------------------


def run_wrk(url: str, clients: int, seconds: int, cookie: str | None) -> dict:
    """One wrk run; the figures wrk_report.lua printed."""
    threads = max(1, min(2, clients))
    # --timeout 30s (gunicorn's worker timeout): a slow page shows as latency, not as socket
    # errors; wrk's default of 2 s would turn every reply slower than that into an error.
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    cmd += ["-s", str(WRK_SCRIPT), "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise BrokenRun(f"wrk gave no report (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def check_route(port: int, path: str, cookie: str | None) -> None:
    """One GET before the run: a redirect to /login or an error page is a broken run."""
    status, location, _body = http_get(port, path, cookie)
    if not 200 <= status < 300:
        where = f" -> {location}" if location else ""
        raise BrokenRun(f"GET {path} answered {status}{where} before the run")


# --- report ---------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    header = (
        f"{'route':<30} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'/healthz':>9} {'cpu ms':>7} {'non-2xx':>8} {'errors':>7} {'others':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = "-" if r.ratio_to_healthz is None else f"{100 * r.ratio_to_healthz:.1f} %"
        print(
            f"{r.url_path:<30} {r.rps:>9.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{ratio:>9} {r.cpu_ms:>7.2f} {r.non_2xx:>8} {r.socket_errors:>7} "
            f"{r.other_cpu_pct:>6.0f}%"
        )


def check_targets(results: list[Result], peak_mb: float, clients: int) -> list[dict]:
    targets = []
    for r in results:
        if r.report:
            targets.append(
                {
                    "target": f"{r.route}: p95 < {TARGET_REPORT_P95_MS:.0f} ms "
                    f"at {TARGET_REPORT_CLIENTS} clients",
                    "value": round(r.p95_ms, 2),
                    "met": bool(r.requests) and r.p95_ms < TARGET_REPORT_P95_MS,
                }
            )
        if not r.field:
            continue
        p95, how = r.p95_ms, ""
        targets.append(
            {
                "target": f"{r.route}: p95 < {TARGET_P95_MS:.0f} ms{how}",
                "value": round(p95, 2),
                "met": p95 < TARGET_P95_MS,
            }
        )
        if r.ratio_to_healthz is not None:
            targets.append(
                {
                    "target": f"{r.route}: req/s >= {100 * TARGET_MIN_RATIO:.0f} % of /healthz",
                    "value": round(100 * r.ratio_to_healthz, 2),
                    "met": r.ratio_to_healthz >= TARGET_MIN_RATIO,
                }
            )
    targets.append(
        {
            "target": f"worker peak memory < {TARGET_WORKER_MB:.0f} MB",
            "value": round(peak_mb, 1),
            "met": peak_mb < TARGET_WORKER_MB,
        }
    )
    print()
    note = (
        ""
        if clients == TARGET_CLIENTS
        else f" (field pages' defined at {TARGET_CLIENTS} clients, reports' at "
        f"{TARGET_REPORT_CLIENTS})"
    )
    print(f"Targets{note}:")
    for t in targets:
        print(f"  {t['target']:<72} {t['value']:>8}  {'met' if t['met'] else 'NOT met'}")
    return targets


@dataclass
class Run:
    """Everything one run measured, as written to bench/out/load-<timestamp>.json."""

    started_at: str
    config: dict
    results: list[Result] = field(default_factory=list)
    workers: dict = field(default_factory=dict)
    peak_worker_mb: float = 0.0
    targets: list[dict] = field(default_factory=list)
    broken: str | None = None


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def measure(args: argparse.Namespace, url: str, run: Run, stamp: str) -> None:
    """Start gunicorn, sign in, run wrk on every route; fills `run`."""
    values = resolve_fixtures(url)
    log_path = OUT_DIR / f"gunicorn-{stamp}.log"
    proc = start_gunicorn(url, args.port, args.workers, args.worker_class, args.threads, log_path)
    sampler = None
    try:
        wait_until_up(proc, args.port, log_path)
        wanted = [text for text in args.only.split(",") if text]
        routes = [
            r
            for r in ROUTES
            if r.path == "/healthz" or not wanted or any(t in r.path for t in wanted)
        ]
        cookies = {user: sign_in(args.port, user) for user in {r.user for r in routes if r.login}}
        paths = [(route, route.path.format(**values)) for route in routes]
        for route, path in paths:  # every route answers 2xx, and every worker has warmed up
            for _ in range(2 * args.workers):
                check_route(args.port, path, cookies.get(route.user) if route.login else None)

        sampler = MemorySampler(proc.pid)
        sampler.start()
        cpu = CpuMeter(proc.pid, "postgres" if url.startswith("postgres") else None)
        baseline = None
        for route, path in paths:
            if args.wait_quiet:
                busy = wait_for_quiet(args.wait_quiet)
                print(f"  machine {busy:.0f} % busy before the route", file=sys.stderr)
            print(f"  wrk {path} ...", file=sys.stderr, flush=True)
            cpu.start()
            figures = run_wrk(
                f"http://127.0.0.1:{args.port}{path}",
                args.clients,
                args.seconds,
                cookies.get(route.user) if route.login else None,
            )
            result = Result(
                route=route.path, url_path=path, field=route.field, report=route.report, **figures
            )
            cpu.stop()
            result.other_cpu_pct = cpu.others_percent()
            if result.requests:
                result.cpu_ms = 1000 * cpu.server_seconds() / result.requests
            if baseline is None:
                baseline = result.rps
            elif baseline:
                result.ratio_to_healthz = result.rps / baseline
            run.results.append(result)
    except BrokenRun as err:
        raise BrokenRun(f"{err}\n(gunicorn log: {log_path.relative_to(ROOT)})") from err
    finally:
        if sampler is not None:
            sampler.stop()
            run.workers = {str(pid): w for pid, w in sampler.workers.items()}
            run.peak_worker_mb = sampler.peak_mb
        stop_gunicorn(proc)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--worker-class", choices=["sync", "gthread"], default="sync", help="default sync"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--database-url", default=None, help=f"default sqlite:///{DEFAULT_DATABASE}"
    )
    parser.add_argument(
        "--work-orders", type=int, default=None, help="generate a fresh database of this size"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for --work-orders")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--only",
        default="",
        metavar="TEXT",
        help="measure only the routes whose path contains TEXT (comma-separated: any of them; "
        "/healthz always), e.g. /reports/",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each route, wait up to SECONDS for other processes to leave the CPUs idle "
        "(a shared machine); default 0: do not wait",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds < 1 or args.workers < 1:
        parser.error("--clients, --seconds and --workers must be at least 1")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    # Ctrl-C and SIGTERM both end the run through the same path, which stops gunicorn (a shell
    # may start us with SIGINT ignored, in the background; take it back).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    url = prepare_database(args.database_url, args.work_orders, args.seed)
    give_bench_user_a_password(url)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    run = Run(
        started_at=started.isoformat(timespec="seconds"),
        config={
            "database": safe_url(url),
            "work_orders": count_work_orders(url),
            "clients": args.clients,
            "seconds": args.seconds,
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },
    )
    exit_code = 0
    try:
        measure(args, url, run, stamp)
    except BrokenRun as err:
        run.broken = str(err)
    except KeyboardInterrupt:
        print("\ninterrupted; gunicorn stopped", file=sys.stderr)
        return 130

    print()
    print(
        f"{run.config['work_orders']:,} work orders on {run.config['database']}; "
        f"{args.clients} clients, {args.seconds} s per route, {args.workers} {args.worker_class} "
        f"workers, {os.cpu_count()} CPUs"
    )
    if run.results:
        print_table(run.results)
        busiest = max(r.other_cpu_pct for r in run.results)
        print(
            "cpu ms: gunicorn CPU time per request; others: CPU used by other processes during "
            "the route, in % of the machine."
        )
        if busiest > 10:
            print(
                f"warning: other processes used up to {busiest:.0f} % of the CPUs during the "
                "run; these figures are lower than this machine gives when idle."
            )
        print()
        print(f"Worker peak memory (VmHWM): {run.peak_worker_mb:.1f} MB")
        run.targets = check_targets(run.results, run.peak_worker_mb, args.clients)
    failed = [r for r in run.results if r.non_2xx or r.socket_errors]
    if failed and not run.broken:
        run.broken = "non-2xx responses or socket errors on: " + ", ".join(r.route for r in failed)
    if run.broken:
        print(f"\nBROKEN RUN: {run.broken}", file=sys.stderr)
        exit_code = 1

    out = OUT_DIR / f"load-{stamp}.json"
    out.write_text(json.dumps(asdict(run), indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
