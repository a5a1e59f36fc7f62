"""SQL statements per page at two data sizes: they must be the same (fixed cost per page).

Run from the repo root::

    python -m bench.statements --small 1000 --large 200000

Builds (or reuses) two SQLite databases under bench/out/ with bench.generate, signs in as the demo
technician through the real form, and counts the statements each field page sends (SQLAlchemy's
before_cursor_execute event), printing one row per page with both counts. Pass --small-url /
--large-url to use existing databases instead (PostgreSQL works too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import event, func, select

from bench.generate import main as generate_main
from bench.generate import upgrade_database
from portal import create_app
from portal.extensions import db
from portal.models import Asset, PartLine, User, WorkOrder

OUT = Path(__file__).resolve().parent / "out"

# (label, path template); {wo}, {asset}, {token}, {code} are filled from the database.
PAGES = [
    ("home (technician queue)", "/"),
    ("work order list", "/work-orders/"),
    ("work order search", "/work-orders/?q=pump"),
    ("work order page", "/work-orders/{wo}"),
    ("QR address (/a/<token>)", "/a/{token}"),
    ("scan by short code", "/scan?code={code}"),
    ("asset page", "/assets/{asset}"),
]


def _ensure(url: str | None, size: int) -> str:
    """The database URL for `size` work orders, generated under bench/out/ if not given."""
    if not url:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"statements-{size}.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            generate_main(["--work-orders", str(size), "--database-url", url])
    upgrade_database(url)  # a database kept from an earlier run may predate the models
    return url


def count_pages(url: str) -> tuple[int, dict[str, int]]:
    """(work orders in the database, statements per page label)."""
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    counts: dict[str, int] = {}
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(WorkOrder))
        tech = db.session.scalar(select(User).where(User.username == "technician"))
        # A busy work order: the one of the technician's with the most part lines.
        wo_id = db.session.scalar(
            select(WorkOrder.id)
            .join(PartLine, PartLine.work_order_id == WorkOrder.id)
            .where(WorkOrder.assignee_user_id == tech.id)
            .group_by(WorkOrder.id)
            .order_by(func.count(PartLine.id).desc())
            .limit(1)
        ) or db.session.scalar(select(WorkOrder.id).limit(1))
        asset = db.session.scalar(
            select(Asset)
            .join(WorkOrder, WorkOrder.asset_id == Asset.id)
            .group_by(Asset.id)
            .order_by(func.count(WorkOrder.id).desc())
            .limit(1)
        )
        values = {"wo": wo_id, "asset": asset.id, "token": asset.qr_token, "code": asset.short_code}
        db.session.remove()
    client = app.test_client()
    login = client.post("/login", data={"username": "technician", "password": "demo"})
    if login.status_code != 303:
        raise SystemExit(f"could not sign in as technician on {url}: {login.status_code}")
    with app.app_context():
        engine = db.engine
    for label, template in PAGES:
        path = template.format(**values)
        client.get(path)  # warm: first-use caches are not the page's cost
        seen: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany, seen=seen):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        if response.status_code >= 400:
            raise SystemExit(f"{path} answered {response.status_code} on {url}")
        counts[label] = len(seen)
    with app.app_context():
        db.engine.dispose()
    return total, counts


def main(argv: list[str] | None = None) -> int:
    """Print statements per page at both sizes; exit 1 if any page's count differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=200000)
    parser.add_argument("--small-url")
    parser.add_argument("--large-url")
    args = parser.parse_args(argv)
    small_total, small = count_pages(_ensure(args.small_url, args.small))
    large_total, large = count_pages(_ensure(args.large_url, args.large))
    width = max(len(label) for label, _ in PAGES)
    print(f"{'page':<{width}}  {small_total:>9,} WOs  {large_total:>9,} WOs  same")
    differ = 0
    for label, _ in PAGES:
        same = small[label] == large[label]
        differ += not same
        print(
            f"{label:<{width}}  {small[label]:>13}  {large[label]:>13}  {'yes' if same else 'NO'}"
        )
    print(f"{len(PAGES) - differ} pages with a fixed statement count, {differ} that grow with data")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
