"""Who may open what: every route x every role against the expected matrix, and the navigation.

tests/data/route_access.csv is the expectation, kept as data and reviewed row by row against
the product (it was first written from the views' capabilities and permissions.GRANTS); the
views are what is tested. One row per route and method; per role `allow` (anything but 403 and
5xx: a 404 for the made-up id 999999 is fine) or `deny` (403); signed out, `login` (302 to the
sign-in page) or `public` (answered without signing in, never a 5xx).
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_login import login_user
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from portal.blueprints import navigation_for
from portal.security import may_open
from tests.conftest import sign_in
from tests.factories import make_approval_matrix, make_user

MATRIX = Path(__file__).resolve().parents[1] / "data" / "route_access.csv"
ROLES = (
    "technician",
    "supervisor",
    "storekeeper",
    "buyer",
    "approver",
    "ap_clerk",
    "auditor",
    "admin",
)
MISSING_ID = 999999


def _expected() -> dict[tuple[str, str], dict[str, str]]:
    with MATRIX.open(newline="", encoding="utf-8") as file:
        return {(row["endpoint"], row["method"]): row for row in csv.DictReader(file)}


EXPECTED = _expected()


def _routes(app) -> list[tuple[Rule, str]]:
    """(rule, method) for every route of the app, as the matrix lists them."""
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        ),
        key=lambda pair: (pair[0].endpoint, pair[1], pair[0].rule),
    )


def _url(rule: Rule) -> str:
    """The rule's path with made-up values: ids 999999, one of the allowed words, else "x"."""
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = MISSING_ID
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    built = rule.build(values, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def _problem(expected: str, status: int, location: str | None) -> str | None:
    """What is wrong with an answer, in words; None when it is what the matrix says."""
    to_login = status == 302 and urlsplit(location or "").path == "/login"
    if status >= 500:
        return f"{status} (a server error)"
    if expected == "deny":
        return None if status == 403 else f"{status}, expected 403"
    if expected == "allow":
        return "403, expected it to open" if status == 403 else None
    if expected == "login":
        return None if to_login else f"{status}, expected a redirect to /login"
    if expected == "public":
        return "sent to /login, expected it open to anyone" if to_login else None
    return f"unknown expectation {expected!r} in {MATRIX.name}"


def _ask(client, method: str, url: str) -> tuple[int, str | None]:
    """GET or POST (empty form; CSRF is off in tests) without following redirects."""
    answer = client.open(url, method=method, data={} if method == "POST" else None)
    return answer.status_code, answer.headers.get("Location")


@pytest.fixture
def people(database) -> dict[str, object]:
    """One user per role, in a world with the demo approval matrix (supervisors and approvers
    approve; whoever it does not name gets 403 on a decision, admin included)."""
    make_approval_matrix(database)
    return {role: make_user(database, username=f"matrix_{role}", roles=[role]) for role in ROLES}


def _signed_in(client, user) -> None:
    sign_in(client, user.id)


def test_the_matrix_lists_every_route_once(app):
    routes = {(rule.endpoint, method) for rule, method in _routes(app)}
    assert len(routes) == len(_routes(app)), "two rules share an endpoint and a method"
    assert sorted(routes - EXPECTED.keys()) == [], f"routes missing from {MATRIX.name}"
    assert sorted(EXPECTED.keys() - routes) == [], f"rows in {MATRIX.name} for no route"
    columns = {key for row in EXPECTED.values() for key in row}
    assert columns == {"endpoint", "method", "signed_out", *ROLES}


def test_every_route_answers_every_role_as_the_matrix_says(app, people):
    client = app.test_client()
    wrong = []
    for rule, method in _routes(app):
        url = _url(rule)
        row = EXPECTED[(rule.endpoint, method)]
        for role in ROLES:
            _signed_in(client, people[role])
            problem = _problem(row[role], *_ask(client, method, url))
            if problem:
                wrong.append(f"{method} {url} ({rule.endpoint}) as {role}: {problem}")
        with client.session_transaction() as session:
            session.clear()
        problem = _problem(row["signed_out"], *_ask(client, method, url))
        if problem:
            wrong.append(f"{method} {url} ({rule.endpoint}) signed out: {problem}")
    assert not wrong, f"{len(wrong)} answers differ from {MATRIX.name}:\n" + "\n".join(wrong)


def test_each_role_is_offered_only_tabs_that_open(app, people):
    client = app.test_client()
    wrong = []
    for role in ROLES:
        user = people[role]
        with app.test_request_context("/"):
            login_user(user)
            tabs = [(item.endpoint, item.label) for item in navigation_for(user, may_open)]
            urls = [_url_of(app, endpoint) for endpoint, _label in tabs]
        assert tabs, f"{role} is offered no tab at all"
        _signed_in(client, user)
        for (endpoint, label), url in zip(tabs, urls, strict=True):
            if EXPECTED[(endpoint, "GET")][role] != "allow":
                wrong.append(f"{role} is offered {label!r} ({endpoint}), a page denied to them")
            status = client.get(url).status_code
            if status != 200:
                wrong.append(f"{role} is offered {label!r} ({url}), which answers {status}")
    assert not wrong, "\n".join(wrong)


def _url_of(app, endpoint: str) -> str:
    """A tab's address (tabs take no arguments)."""
    (rule,) = app.url_map.iter_rules(endpoint)
    return _url(rule)
