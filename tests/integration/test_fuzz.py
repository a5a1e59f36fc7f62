"""Hostile input on every route and every form, as every role and signed out: never a 5xx.

On the demo world (loaded once for this module through the real use cases, on a scratch
database of the kind under test), with CSRF on:

1. every GET route in app.url_map, with hostile values in its path (ids 2147483648 and 2^63,
   `²`, full-width digits, NUL, very long text...) and in every query parameter a view reads;
2. every form the crawler finds on the pages reachable from each role's home page, posted
   with its valid CSRF token and boundary and hostile values per field type (id, number, day,
   text);
3. Hypothesis strategies per field type on random routes and forms, derandomized (the same
   examples on every run).

A 5xx fails the test, listing every route and input that gave one. The CI run is bounded
(well under 90 s on SQLite); FUZZ_EXAMPLES=5000 runs the Hypothesis part longer (README,
"Tests").
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

from portal import create_app
from portal.domain.permissions import can
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import User
from tests.conftest import (
    base_config,
    forget_user_between_requests,
    scratch_database,
    sign_in,
)

ROLES = tuple(role.value for role in Role)  # the demo has a user named after each role
SIGNED_OUT = "signed out"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
PAGES_PER_ROLE = int(os.environ.get("FUZZ_PAGES_PER_ROLE", "80"))
PAGES_PER_ENDPOINT = 3

# Query parameters the views read (request.args and the GET forms' field names).
QUERY_NAMES = (
    "q", "page", "status", "site", "vendor", "on", "date_from", "date_to", "since", "until",
    "by", "key", "ids", "paper", "code", "a", "show", "next", "asset", "asset_id", "type",
    "reason", "age", "min_amount", "start", "end", "wo", "actor", "action", "subject", "po",
    "part", "price", "uom",
)  # fmt: skip

HOSTILE_IDS = ("2147483648", str(2**63), str(2**64), "0", "-1", "²", "１２", "1_0", "99" * 40)
HOSTILE_NUMBERS = (
    "sNaN", "NaN", "-NaN", "Infinity", "-Infinity", "1e309", "1e20", "-1e20", "1E-400",
    "100000000000000000000", "99999999999.999", "999999999999.99", "0.0000001", "²", "１",
    "1_000", "-0", "0x1F", "1,000,000", "٣", "",
)  # fmt: skip
HOSTILE_DAYS = (
    "9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01", "2026-02-30", "２０２６-01-01",
    "2026-13-01", "99999-01-01", "-2026-01-01", "2026-01-01T00:00", "",
)  # fmt: skip
HOSTILE_TEXT = (
    "\x00", "a\x00b", "\x1b[31m", "\u202egnp.exe", "\u200b\u200d\ufeff", "x" * 5000,
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%ff", "\ud7ff", "s²",
    "l2147483648", "\r\n\t",
)  # fmt: skip
HOSTILE = (*HOSTILE_IDS, *HOSTILE_NUMBERS, *HOSTILE_DAYS, *HOSTILE_TEXT)


# ---- the world -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo world on a scratch database, CSRF on, as a real deployment answers."""
    with scratch_database(tmp_path_factory.mktemp("fuzz")) as url:
        app = forget_user_between_requests(
            create_app(
                base_config(
                    SQLALCHEMY_DATABASE_URI=url,
                    WTF_CSRF_ENABLED=True,
                    RATELIMIT_ENABLED=False,
                    PROPAGATE_EXCEPTIONS=False,
                    TESTING=False,
                )
            )
        )
        with app.app_context():
            db.create_all()
        result = app.test_cli_runner().invoke(args=["portal", "demo"])
        assert result.exit_code == 0, result.output
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@dataclass
class Answers:
    """Every request sent and the 5xx among them."""

    sent: int = 0
    broken: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def check(self, who: str, method: str, url: str, data, status: int) -> None:
        self.sent += 1
        self.statuses[status] += 1
        if status >= 500:
            shown = {k: (v[:40] + "..." if len(v) > 40 else v) for k, v in (data or {}).items()}
            self.broken.append(f"{status} {who}: {method} {url[:200]} {shown or ''}")

    def assert_none_broken(self) -> None:
        print(f"{self.sent} answers: {dict(sorted(self.statuses.items()))}")  # with pytest -s
        assert not self.broken, f"{len(self.broken)} of {self.sent} answers were 5xx:\n" + (
            "\n".join(self.broken[:80])
        )


def _client_as(app, who: str):
    """A client signed in as `who` the way /login does it (a user id alone signs nobody in)."""
    client = app.test_client()
    if who != SIGNED_OUT:
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.username == who))
            sign_in(client, user_id)
    return client


# ---- reading pages ---------------------------------------------------------------------------


@dataclass
class FormSeen:
    action: str
    fields: list[tuple[str, str, str]]  # (name, kind, value as rendered)
    choices: dict[str, list[str]] = field(default_factory=dict)


class _PageReader(HTMLParser):
    """Links and forms (with their fields) of one page."""

    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[FormSeen] = []
        self.csrf: str | None = None
        self._form: FormSeen | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        elif tag == "meta" and a.get("name") == "csrf-token":
            self.csrf = a.get("content")
        elif tag == "body" and "X-CSRFToken" in a.get("hx-headers", ""):
            found = re.search(r'"X-CSRFToken":\s*"([^"]+)"', a["hx-headers"])
            self.csrf = found.group(1) if found else self.csrf
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = FormSeen(urljoin(self.base, a.get("action") or self.base), [])
            self.forms.append(self._form)
        elif tag == "form":
            self._form = None
            if a.get("action"):
                self.links.append(urljoin(self.base, a["action"]))
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = _kind_of(a["name"], a.get("type", "text"), a.get("inputmode", ""))
            if kind != "file" and not (kind == "check" and "checked" not in a):
                self._form.fields.append((a["name"], kind, a.get("value", "")))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.choices[self._select] = []
        elif self._form is not None and tag == "option" and self._select:
            self._form.choices[self._select].append(a.get("value", ""))
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields.append((a["name"], "textarea", ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._form is not None and self._select:
            options = self._form.choices.get(self._select) or [""]
            kind = _kind_of(self._select, "select", "")
            self._form.fields.append((self._select, kind, options[-1]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def _kind_of(name: str, input_type: str, inputmode: str) -> str:
    """The field type the hostile values are chosen for."""
    base = name.rsplit("-", 1)[-1]
    if input_type == "file":
        return "file"
    if input_type in ("checkbox", "radio"):
        return "check"
    if name in ("csrf_token", "submission_id") or base in ("csrf_token", "submission_id"):
        return "token"
    if input_type == "date" or base.endswith("_on") or base in ("since", "until", "deadline"):
        return "day"
    if input_type == "number" or inputmode in ("decimal", "numeric") or base in (
        "qty", "unit_price", "amount", "hours", "freight", "tax", "price", "discount_percent",
        "min_amount", "ceiling_amount", "new_qty", "new_unit_price", "accepted", "rejected",
    ) or base.startswith(("accepted", "rejected")):  # fmt: skip
        return "number"
    if base.endswith("_id") or base in ("into", "vendor", "site", "line", "wo", "hold_id"):
        return "id"
    return "text"


HOSTILE_BY_KIND = {
    "id": HOSTILE_IDS,
    "number": HOSTILE_NUMBERS,
    "day": HOSTILE_DAYS,
    "text": HOSTILE_TEXT,
    "textarea": HOSTILE_TEXT,
    "select": HOSTILE_TEXT,
}


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(app, client, who: str, answers: Answers) -> tuple[list[FormSeen], dict]:
    """Pages reachable from the home page (at most PAGES_PER_ROLE): their forms, and the real
    path values seen per endpoint (so the GET walk reaches past the 404 of a made-up id)."""
    adapter = app.url_map.bind("localhost")
    queue, seen = (["/"] if who != SIGNED_OUT else ["/", "/login", "/request"]), set()
    forms: dict[tuple[str, tuple[str, ...]], FormSeen] = {}
    values: dict[str, dict] = {}
    per_endpoint: Counter = Counter()
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.endswith((".pdf", ".csv")) or path.startswith("/static"):
            continue
        try:
            endpoint, args = adapter.match(path, method="GET")
        except HTTPException:
            endpoint, args = path, {}
        if per_endpoint[endpoint] >= PAGES_PER_ENDPOINT:  # spread over pages of every kind
            continue
        per_endpoint[endpoint] += 1
        values.setdefault(endpoint, args)
        seen.add(url)
        answer = client.get(url)
        answers.check(who, "GET", url, None, answer.status_code)
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        reader = _PageReader(url)
        reader.feed(answer.text)
        for form in reader.forms:
            if not any(name == "csrf_token" for name, *_ in form.fields):
                form.fields.append(("csrf_token", "token", reader.csrf or ""))
            try:  # one form per endpoint and set of fields: not each work order's copy
                endpoint = adapter.match(urlsplit(form.action).path, method="POST")[0]
            except HTTPException:
                endpoint = form.action
            forms.setdefault((endpoint, tuple(sorted(n for n, *_ in form.fields))), form)
        for link in reader.links:
            local = _local(link)
            if local and local not in seen and local not in queue:
                queue.append(local)
    return list(forms.values()), values


def _post_data(form: FormSeen, kind: str, value: str) -> dict[str, str]:
    """The form as rendered, with every field of `kind` set to `value`."""
    data: dict[str, str] = {}
    for name, field_kind, rendered in form.fields:
        if field_kind == kind or (kind == "text" and field_kind in ("textarea", "select")):
            data[name] = value
        else:
            data[name] = rendered
    return data


# ---- the GET walk over app.url_map -----------------------------------------------------------


def _get_rules(app) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def _path(rule: Rule, values: dict, override: str | None = None) -> str:
    """The rule's path with real values (or 1 / "x"), or `override` in every argument."""
    parts = []
    for is_dynamic, piece in rule._trace:  # noqa: SLF001  (the rule's own parse)
        if piece == "|":
            continue
        if not is_dynamic:
            parts.append(piece)
            continue
        converter = rule._converters[piece]  # noqa: SLF001
        if override is not None:
            parts.append(quote(override, safe=""))
        elif piece in values:
            parts.append(str(values[piece]))
        elif isinstance(converter, IntegerConverter):
            parts.append("1")
        elif getattr(converter, "items", None):
            parts.append(sorted(converter.items)[0])
        else:
            parts.append("x")
    return "".join(parts)


# Control characters are refused at the edge whatever the name: one request says so per route,
# the others carry values that reach the views.
QUERY_VALUES = tuple(v for v in HOSTILE if not any(ord(c) < 32 for c in v))
QUERY_ROUNDS = 6


def _query(shift: int) -> str:
    """Every query name at once, each with another hostile value; over QUERY_ROUNDS requests
    every value is sent in some name."""
    step = len(QUERY_VALUES) // QUERY_ROUNDS + 1
    pairs = [
        (name, QUERY_VALUES[(shift * step + i * 7) % len(QUERY_VALUES)])
        for i, name in enumerate(QUERY_NAMES)
    ]
    return urlencode(pairs)


def _who_opens(app, rule: Rule) -> list[str]:
    """One role that may open the route (its capabilities), and signed out."""
    needed = getattr(app.view_functions[rule.endpoint], "capabilities", ())
    for role in ROLES:
        if not needed or any(can([role], c) for c in needed):
            return [role, SIGNED_OUT]
    return [ROLES[-1], SIGNED_OUT]


def _walk(app, clients: dict, values: dict, answers: Answers) -> None:
    for rule in _get_rules(app):
        real = values.get(rule.endpoint, {})
        for who in _who_opens(app, rule):
            client = clients[who]
            if rule.arguments:
                for bad in ("2147483648", str(2**63), "²", "１２", "\x00", "x" * 3000):
                    url = _path(rule, real, override=bad)
                    answers.check(who, "GET", url, None, client.get(url).status_code)
            base = _path(rule, real)
            for url in [f"{base}?q=%00&page=1"] + [
                f"{base}?{_query(shift)}" for shift in range(QUERY_ROUNDS)
            ]:
                answers.check(who, "GET", url, None, client.get(url).status_code)


VALUES_PER_KIND = 10


def _post_forms(client, who: str, forms: list[FormSeen], answers: Answers) -> None:
    """Each form, with VALUES_PER_KIND hostile values per field type (the next ones for the
    next form, so every value is sent)."""
    for number, form in enumerate(forms):
        path = _local(form.action)
        if path is None or "logout" in path or "sign-out" in path:
            continue
        kinds = {kind for _, kind, _ in form.fields} & set(HOSTILE_BY_KIND)
        for kind in sorted(kinds):
            pool = HOSTILE_BY_KIND[kind]
            for i in range(VALUES_PER_KIND):
                value = pool[(number * VALUES_PER_KIND + i) % len(pool)]
                data = _post_data(form, kind, value)
                answer = client.post(path, data=data, headers={"X-CSRFToken": _token(form)})
                answers.check(who, "POST", path, {**data, "csrf_token": "*"}, answer.status_code)


def _token(form: FormSeen) -> str:
    return next((v for n, k, v in form.fields if n == "csrf_token"), "")


# ---- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(demo) -> dict[str, tuple[object, list[FormSeen], dict]]:
    """Per role and signed out: the client (its session holds the CSRF secret), the forms
    found and the path values its pages showed; 5xx met on the way are kept."""
    answers = Answers()
    found = {}
    for who in (*ROLES, SIGNED_OUT):
        client = _client_as(demo, who)
        found[who] = (client, *_crawl(demo, client, who, answers))
    demo.config["FUZZ_CRAWL_BROKEN"] = answers.broken
    return found


def _values(crawled) -> dict:
    values: dict = {}
    for _, _, seen in crawled.values():
        for endpoint, args in seen.items():
            values.setdefault(endpoint, args)
    return values


def test_the_crawl_reaches_forms_of_every_kind_with_no_5xx(demo, crawled):
    assert not demo.config["FUZZ_CRAWL_BROKEN"], "\n".join(demo.config["FUZZ_CRAWL_BROKEN"])
    forms = [form for _, found, _ in crawled.values() for form in found]
    kinds = {kind for form in forms for _, kind, _ in form.fields}
    assert {"id", "number", "day", "text", "textarea", "token"} <= kinds
    assert len(forms) >= 30


def test_every_get_route_with_hostile_path_and_query_values_answers_without_5xx(demo, crawled):
    answers = Answers()
    _walk(demo, {who: client for who, (client, _, _) in crawled.items()}, _values(crawled), answers)
    answers.assert_none_broken()


@pytest.mark.parametrize("who", [*ROLES, SIGNED_OUT])
def test_every_form_posted_with_hostile_values_answers_without_5xx(demo, crawled, who):
    client, forms, _ = crawled[who]
    answers = Answers()
    _post_forms(client, who, forms, answers)
    answers.assert_none_broken()
    # The posts reached the forms (a good CSRF token), not only the 400 of a refused token.
    assert answers.statuses[400] < max(answers.sent, 1) / 2, answers.statuses


# ---- Hypothesis: values per field type -------------------------------------------------------

ID_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(HOSTILE_IDS),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=12),
)
NUMBER_TEXT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.sampled_from(HOSTILE_NUMBERS),
    st.from_regex(r"-?[0-9_,.eE+]{1,24}", fullmatch=True),
)
DAY_TEXT = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(HOSTILE_DAYS),
    st.from_regex(r"-?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
)
ANY_TEXT = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE_TEXT))
BY_KIND = {"id": ID_TEXT, "number": NUMBER_TEXT, "day": DAY_TEXT, "text": ANY_TEXT}


def _hypothesis_settings():
    return settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same examples on every run, in CI and here
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def test_hypothesis_values_per_field_type_on_routes_and_forms_never_give_a_5xx(demo, crawled):
    clients = {who: client for who, (client, _, _) in crawled.items()}
    get_rules = _get_rules(demo)
    posts: list[tuple[str, FormSeen]] = [
        (who, form)
        for who, (_, forms, _) in crawled.items()
        for form in forms
        if _local(form.action) and "logout" not in form.action
    ]
    values = _values(crawled)
    answers = Answers()

    @_hypothesis_settings()
    @given(data=st.data())
    def one_request(data):
        kind = data.draw(st.sampled_from(sorted(BY_KIND)))
        value = data.draw(BY_KIND[kind])
        if data.draw(st.booleans()):
            rule = data.draw(st.sampled_from(get_rules))
            who = data.draw(st.sampled_from(_who_opens(demo, rule)))
            name = data.draw(st.sampled_from(QUERY_NAMES))
            base = _path(rule, values.get(rule.endpoint, {}))
            url = f"{base}?{urlencode({name: value})}"
            answers.check(who, "GET", url, None, clients[who].get(url).status_code)
        else:
            who, form = data.draw(st.sampled_from(posts))
            body = _post_data(form, kind, value)
            path = _local(form.action) or "/"
            status = clients[who].post(path, data=body, headers={"X-CSRFToken": _token(form)})
            answers.check(who, "POST", path, body, status.status_code)

    one_request()
    answers.assert_none_broken()
