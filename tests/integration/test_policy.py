"""The purchasing policy: raising a need says when a PO is required; rules are edited, audited."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

from sqlalchemy import select

from portal.domain.policy import RuleKind
from portal.domain.statuses import ItemKind
from portal.models import AuditEvent, PartLine, PolicyRule, PreferredVendor, PurchaseRequest
from tests.factories import (
    make_cost_centre,
    make_item,
    make_policy_rule,
    make_user,
    make_vendor,
    make_work_order,
)
from tests.submitted import once

HX = {"HX-Request": "true"}


def actions(database, action: str) -> list[AuditEvent]:
    return list(database.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def raise_need(database, client, wo, item, qty="1"):
    """Add the item to the work order and mark it unavailable, as a technician does."""
    added = client.post(
        f"/work-orders/{wo.id}/parts",
        data={"item_id": item.id, "qty": qty, "submission_id": uuid.uuid4().hex},
    )
    assert added.status_code == 303
    line = database.session.scalars(
        select(PartLine).where(PartLine.work_order_id == wo.id, PartLine.item_id == item.id)
    ).one()
    return client.post(f"/part-lines/{line.id}/unavailable", headers=HX)


def a_job(database):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    make_cost_centre(database, site=database.session.get(type(wo.site), wo.site_id))
    return tech, wo


def test_raising_a_need_above_the_limit_says_a_po_is_required_and_why(database, login_as):
    tech, wo = a_job(database)
    make_policy_rule(database, name="Outside services from 500", amount="500.00")
    lift = make_item(
        database, kind=ItemKind.service, part_number="SVC-LIFT", standard_cost=D("320.00")
    )
    client = login_as(tech)
    answer = raise_need(database, client, wo, lift, qty="2")  # 2 visits x 320.00 = 640.00
    assert answer.status_code == 200
    reason = "640.00 is above the 500.00 limit for outside services."
    assert reason in answer.text  # beside the line right away
    assert "PO required" in answer.text
    pr = database.session.scalars(select(PurchaseRequest)).one()
    assert pr.po_required is True
    [stored] = [w for w in pr.lines[0].policy_warnings if isinstance(w, dict)]
    assert stored["code"] == "po_required" and stored["rule"] == "Outside services from 500"
    [event] = actions(database, "purchase_request.raised")
    assert event.changes["po_required"] == [False, True]
    page = client.get(f"/work-orders/{wo.id}")
    assert reason in page.text  # and on the work order page afterwards


def test_a_need_below_the_limit_raises_a_pr_without_a_po_flag(database, login_as):
    tech, wo = a_job(database)
    make_policy_rule(database, amount="500.00")
    lift = make_item(database, kind=ItemKind.service, standard_cost=D("499.99"))
    answer = raise_need(database, login_as(tech), wo, lift)
    assert answer.status_code == 200 and "PO required" not in answer.text
    pr = database.session.scalars(select(PurchaseRequest)).one()
    assert pr.po_required is False


def test_an_inactive_rule_is_not_applied(database, login_as):
    tech, wo = a_job(database)
    make_policy_rule(database, amount="1.00", active=False)
    item = make_item(database, kind=ItemKind.service, standard_cost=D("900.00"))
    raise_need(database, login_as(tech), wo, item)
    assert database.session.scalars(select(PurchaseRequest)).one().po_required is False


def test_a_non_preferred_vendor_rule_names_the_vendor(database, login_as):
    tech, wo = a_job(database)
    make_policy_rule(
        database,
        name="Preferred only",
        kind=RuleKind.non_preferred_vendor,
        amount="0",
        item_kinds=[],
    )
    preferred = make_vendor(database, name="Seal Masters")
    database.session.add(PreferredVendor(vendor_id=preferred.id, category="Seals"))
    database.session.commit()
    seal = make_item(database, kind=ItemKind.non_stock, category="Seals")
    answer = raise_need(database, login_as(tech), wo, seal)
    # The suggestion is the preferred vendor: the rule has nothing to say.
    assert "PO required" not in answer.text


def test_a_category_rule_applies_to_a_cheap_part(database, login_as):
    tech, wo = a_job(database)
    make_policy_rule(
        database,
        name="Electrical always",
        kind=RuleKind.category_always,
        amount="0",
        categories=["Electrical"],
        item_kinds=[],
    )
    fuse = make_item(database, kind=ItemKind.non_stock, category="Electrical", standard_cost=D("2"))
    answer = raise_need(database, login_as(tech), wo, fuse)
    assert "Electrical purchases always need a PO." in answer.text


# ---------------------------------------------------------------- the rules page


def rule_form(**over):
    data = {
        "name": "Outside services from 500",
        "kind": "amount_at_least",
        "amount": "500.00",
        "item_kinds": ["service", "non_stock"],
        "categories": "",
        "message": "",
        "submission_id": uuid.uuid4().hex,
    }
    data.update(over)
    return data


def test_an_admin_adds_a_rule_once_and_it_is_audited(database, login_as):
    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    form = rule_form()
    answer = client.post("/policy/new", data=form)
    assert answer.status_code == 303
    again = client.post("/policy/new", data=form)  # a double tap
    assert again.status_code == 303
    rule = database.session.scalars(select(PolicyRule)).one()
    assert (rule.amount, rule.item_kinds, rule.active) == (
        D("500.00"),
        ["service", "non_stock"],
        True,
    )
    [event] = actions(database, "policy_rule.created")
    assert event.actor_id == admin.id and event.changes["amount"] == [None, "500.00"]
    listing = client.get("/policy/")
    assert "PO required from 500.00 for outside services and non-stock parts." in listing.text


def test_a_bad_limit_shows_the_form_again_with_the_reason(database, login_as):
    client = login_as(make_user(database, roles=["admin"]))
    answer = client.post("/policy/new", data=rule_form(amount="five hundred"))
    assert answer.status_code == 422
    assert "Enter the limit as a number, like 500.00." in answer.text
    assert database.session.scalars(select(PolicyRule)).all() == []


def test_a_duplicate_name_is_refused_in_words(database, login_as):
    make_policy_rule(database, name="Outside services from 500")
    client = login_as(make_user(database, roles=["admin"]))
    answer = client.post("/policy/new", data=rule_form(name="outside services from 500"))
    assert answer.status_code == 422 and "already exists" in answer.text


def test_editing_a_rule_is_audited_with_before_and_after(database, login_as):
    rule = make_policy_rule(database, name="Services", amount="500.00")
    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    assert client.get(f"/policy/{rule.id}/edit").status_code == 200
    answer = client.post(
        f"/policy/{rule.id}/edit",
        data=rule_form(
            name="Services", amount="750", item_kinds=["service"], reason="Finance said"
        ),
    )
    assert answer.status_code == 303
    database.session.expire_all()
    assert database.session.get(PolicyRule, rule.id).amount == D("750.00")
    [event] = actions(database, "policy_rule.updated")
    assert event.changes == {"amount": ["500.00", "750.00"]}
    assert event.why == "Finance said" and event.actor_id == admin.id


def test_deactivating_a_rule_is_audited_and_happens_once(database, login_as):
    rule = make_policy_rule(database)
    client = login_as(make_user(database, roles=["admin"]))
    for _ in range(2):
        answer = client.post(
            f"/policy/{rule.id}/active", data=once({"active": "0", "reason": "Old"})
        )
        assert answer.status_code == 303
    database.session.expire_all()
    assert database.session.get(PolicyRule, rule.id).active is False
    [event] = actions(database, "policy_rule.deactivated")
    assert event.changes == {"active": [True, False]} and event.why == "Old"


def test_only_an_admin_sees_or_changes_the_policy(database, login_as):
    rule = make_policy_rule(database)
    client = login_as(make_user(database, roles=["buyer", "approver", "supervisor"]))
    assert client.get("/policy/").status_code == 403
    assert client.post("/policy/new", data=rule_form()).status_code == 403
    assert client.post(f"/policy/{rule.id}/active", data=once({"active": "0"})).status_code == 403


def test_an_unknown_rule_is_a_404(database, login_as):
    client = login_as(make_user(database, roles=["admin"]))
    assert client.get("/policy/999/edit").status_code == 404
    assert client.post("/policy/999/active", data=once({"active": "0"})).status_code == 404
