"""Out-of-pocket purchases: recorded on the WO with a receipt photo, reviewed by someone else."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from portal.domain.statuses import OutOfPocketStatus
from portal.domain.uploads import MAX_PHOTO_BYTES
from portal.domain.work_orders import WorkOrderStatus
from portal.models import Attachment, AuditEvent, OutOfPocketPurchase
from tests.factories import (
    JPEG_BYTES,
    make_approval_matrix,
    make_cost_centre,
    make_item,
    make_out_of_pocket_with_receipt,
    make_policy_rule,
    make_user,
    make_work_order,
)
from tests.submitted import once

HX = {"HX-Request": "true"}


def actions(database, action: str) -> list[AuditEvent]:
    return list(database.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def claim(photo=JPEG_BYTES, filename="receipt.jpg", **over):
    data = {
        "description": "Fuse 10 A, two of them",
        "shop_name": "Corner Hardware",
        "amount": "23,50",  # a decimal comma from a phone keypad
        "qty": "2",
        "bought_on": date.today().isoformat(),
        "why": "The line was down at night",
        "category": "Hardware",
        "submission_id": uuid.uuid4().hex,
    }
    if photo is not None:
        data["receipt"] = (io.BytesIO(photo), filename)
    data.update(over)
    return data


def test_a_technician_records_a_purchase_with_its_receipt_once(database, login_as):
    tech = make_user(database, roles=["technician"], full_name="Tess Tech")
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    form = claim()
    answer = client.post(f"/work-orders/{wo.id}/out-of-pocket", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/work-orders/{wo.id}#out-of-pocket")
    form["receipt"] = (io.BytesIO(JPEG_BYTES), "receipt.jpg")
    client.post(f"/work-orders/{wo.id}/out-of-pocket", data=form)  # a retry
    purchase = database.session.scalars(select(OutOfPocketPurchase)).one()
    assert (purchase.amount, purchase.qty, purchase.status, purchase.user_id) == (
        D("23.50"),
        D("2.000"),
        OutOfPocketStatus.submitted,
        tech.id,
    )
    assert purchase.shop_name == "Corner Hardware" and purchase.why.startswith("The line")
    photo = database.session.get(Attachment, purchase.receipt_attachment_id)
    assert photo.content_type == "image/jpeg" and photo.work_order_id == wo.id
    [event] = actions(database, "out_of_pocket.submitted")
    assert event.actor_id == tech.id and event.changes["amount"] == [None, "23.50"]
    page = client.get(f"/work-orders/{wo.id}")
    assert "Fuse 10 A, two of them" in page.text and "Waiting for review" in page.text
    assert f"/out-of-pocket/{purchase.id}/receipt" in page.text


def test_a_receipt_that_is_not_a_photo_is_refused_on_the_form(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    answer = login_as(tech).post(
        f"/work-orders/{wo.id}/out-of-pocket",
        data=claim(photo=b"%PDF-1.7 not a photo", filename="receipt.pdf"),
        headers=HX,
    )
    assert answer.status_code == 422
    assert "receipt.pdf is not a photo (JPEG, PNG, WebP or HEIC)." in answer.text
    assert 'value="Corner Hardware"' in answer.text  # what was typed is kept
    assert database.session.scalars(select(OutOfPocketPurchase)).all() == []
    assert database.session.scalars(select(Attachment)).all() == []


def test_an_oversize_receipt_is_refused(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    big = JPEG_BYTES + b"\x00" * MAX_PHOTO_BYTES
    answer = login_as(tech).post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(photo=big))
    assert answer.status_code == 422
    assert "photos can be at most 8 MB" in answer.text
    assert database.session.scalars(select(OutOfPocketPurchase)).all() == []


def test_a_receipt_is_required(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    answer = login_as(tech).post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(photo=None))
    assert answer.status_code == 422 and "Add a photo of the receipt." in answer.text


def test_a_closed_work_order_takes_no_purchase(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech, status=WorkOrderStatus.closed)
    answer = login_as(tech).post(f"/work-orders/{wo.id}/out-of-pocket", data=claim())
    assert answer.status_code == 422 and "purchases can no longer be added" in answer.text


def test_a_supervisor_approves_reimbursement_and_it_shows_on_the_work_order(database, login_as):
    make_approval_matrix(database)
    tech = make_user(database, roles=["technician"])
    boss = make_user(database, roles=["supervisor"], full_name="Sam Boss")
    purchase = make_out_of_pocket_with_receipt(database, user=tech, description="Hose clamp")
    client = login_as(boss)
    queue = client.get("/out-of-pocket/")
    assert "Hose clamp" in queue.text and "Reimburse" in queue.text
    answer = client.post(
        f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "approve", "reason": ""})
    )
    assert answer.status_code == 303
    database.session.expire_all()
    purchase = database.session.get(OutOfPocketPurchase, purchase.id)
    assert (purchase.status, purchase.reviewed_by_id) == (OutOfPocketStatus.reimbursed, boss.id)
    assert purchase.reviewed_at is not None
    [event] = actions(database, "out_of_pocket.reimbursed")
    assert event.changes["status"] == ["submitted", "reimbursed"] and event.actor_id == boss.id
    assert "Hose clamp" not in client.get("/out-of-pocket/").text
    page = client.get(f"/work-orders/{purchase.work_order_id}")
    assert "Reimbursed" in page.text and "by Sam Boss" in page.text


def test_refusing_needs_a_reason_and_keeps_it(database, login_as):
    purchase = make_out_of_pocket_with_receipt(database)
    client = login_as(make_user(database, roles=["approver"]))
    answer = client.post(f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "refuse"}))
    assert answer.status_code == 422
    assert "Say why the purchase is refused." in answer.text
    answer = client.post(
        f"/out-of-pocket/{purchase.id}/review",
        data=once({"decision": "refuse", "reason": "Stock had it"}),
    )
    assert answer.status_code == 303
    database.session.expire_all()
    purchase = database.session.get(OutOfPocketPurchase, purchase.id)
    assert (purchase.status, purchase.review_reason) == (OutOfPocketStatus.refused, "Stock had it")
    [event] = actions(database, "out_of_pocket.refused")
    assert event.why == "Stock had it"


def test_nobody_reviews_their_own_purchase(database, login_as):
    boss = make_user(database, roles=["supervisor", "technician"])
    purchase = make_out_of_pocket_with_receipt(database, user=boss)
    client = login_as(boss)
    queue = client.get("/out-of-pocket/")
    assert "This is your own purchase: another reviewer decides." in queue.text
    answer = client.post(f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "approve"}))
    assert answer.status_code == 403
    assert "You cannot review your own purchase" in answer.text
    database.session.expire_all()
    assert database.session.get(OutOfPocketPurchase, purchase.id).status is (
        OutOfPocketStatus.submitted
    )
    assert actions(database, "out_of_pocket.reimbursed") == []


def test_a_second_review_does_not_change_the_first(database, login_as):
    make_approval_matrix(database)
    purchase = make_out_of_pocket_with_receipt(database)
    client = login_as(make_user(database, roles=["supervisor"]))
    client.post(f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "approve"}))
    again = client.post(
        f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "refuse", "reason": "No"})
    )
    assert again.status_code == 422 and "already reimbursed" in again.text
    database.session.expire_all()
    assert database.session.get(OutOfPocketPurchase, purchase.id).status is (
        OutOfPocketStatus.reimbursed
    )


def test_technicians_cannot_review(database, login_as):
    purchase = make_out_of_pocket_with_receipt(database)
    client = login_as(make_user(database, roles=["technician"]))
    assert client.get("/out-of-pocket/").status_code == 403
    answer = client.post(f"/out-of-pocket/{purchase.id}/review", data=once({"decision": "approve"}))
    assert answer.status_code == 403


def test_the_form_comes_on_demand_into_the_page_or_as_a_page_of_its_own(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    page = client.get(f"/work-orders/{wo.id}").text
    assert 'id="oop-open"' in page and 'name="shop_name"' not in page  # the page stays light
    url = f"/work-orders/{wo.id}/out-of-pocket/new"
    swapped = client.get(url, headers=HX)
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert (
        'name="shop_name"' in swapped.text
        and f'hx-post="/work-orders/{wo.id}/out-of-pocket"' in swapped.text
    )
    own_page = client.get(url)  # no JavaScript: a plain form that posts and comes back
    assert "<html" in own_page.text and 'name="shop_name"' in own_page.text
    assert "hx-post" not in own_page.text.split('id="oop-form"')[1].split(">")[0]


def test_the_form_is_not_offered_on_closed_work_or_to_other_roles(database, login_as):
    tech = make_user(database, roles=["technician"])
    closed = make_work_order(database, assignee=tech, status=WorkOrderStatus.closed)
    answer = login_as(tech).get(f"/work-orders/{closed.id}/out-of-pocket/new")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        f"/work-orders/{closed.id}"
    )
    buyer = make_user(database, roles=["buyer"])
    assert login_as(buyer).get(f"/work-orders/{closed.id}/out-of-pocket/new").status_code == 403
    assert login_as(tech).get("/work-orders/999999/out-of-pocket/new").status_code == 404


def test_the_button_is_offered_only_to_those_the_service_lets_record(database, login_as):
    mine = make_user(database, roles=["technician"])
    other = make_user(database, roles=["technician"])
    supervisor = make_user(database, roles=["supervisor"])
    auditor = make_user(database, roles=["auditor"])
    theirs = make_work_order(database, assignee=other, status=WorkOrderStatus.in_progress)
    nobodys = make_work_order(database, status=WorkOrderStatus.approved)

    def offered(user, wo) -> bool:
        return 'id="oop-open"' in login_as(user).get(f"/work-orders/{wo.id}").text

    assert not offered(mine, theirs)  # someone else's work: the service would answer 403
    assert login_as(mine).get(f"/work-orders/{theirs.id}/out-of-pocket/new").status_code == 403
    assert (
        login_as(mine).post(f"/work-orders/{theirs.id}/out-of-pocket", data=claim()).status_code
        == 403
    )
    assert offered(other, theirs) and offered(mine, nobodys) and offered(supervisor, theirs)
    assert not offered(auditor, theirs)


# ---------------------------------------------------------------- inside the purchasing rules


def _electrical_world(database, *, budget="10000.00"):
    """The demo's matrix, "Electrical always goes through a PO", a technician's work order paid
    by a cost centre with a budget, and the people who review."""
    make_approval_matrix(database)
    make_policy_rule(
        database,
        name="Electrical work goes through a PO",
        kind="category_always",
        amount=None,
        categories=["Electrical"],
        item_kinds=[],
    )
    tech = make_user(database, roles=["technician"])
    centre = make_cost_centre(database, budget=budget)
    wo = make_work_order(database, assignee=tech, cost_centre_id=centre.id)
    supervisor = make_user(database, roles=["supervisor"])
    approver = make_user(database, roles=["approver"])
    return tech, wo, supervisor, approver


def review(client, purchase_id, decision="approve", reason=""):
    return client.post(
        f"/out-of-pocket/{purchase_id}/review",
        data=once({"decision": decision, "reason": reason}),
    )


def test_reproduction_3_a_4900_electrical_claim_is_an_exception_a_supervisor_cannot_reimburse(
    database, login_as
):
    tech, wo, supervisor, approver = _electrical_world(database)
    posted = login_as(tech).post(
        f"/work-orders/{wo.id}/out-of-pocket",
        data=claim(amount="4900.00", category="Electrical", description="Contactor and cable"),
    )
    assert posted.status_code == 303
    purchase = database.session.scalars(select(OutOfPocketPurchase)).one()
    reason_text = "PO required: Electrical purchases always need a PO."
    assert [w["text"] for w in purchase.policy_warnings] == [reason_text]
    assert reason_text in login_as(tech).get(f"/work-orders/{wo.id}").text

    client = login_as(supervisor)
    queue = client.get("/out-of-pocket/")
    assert reason_text in queue.text and "exception" in queue.text
    # The supervisor may approve only up to 500.00 in the matrix: refused, in words.
    refused = review(client, purchase.id, reason="The line was down")
    assert refused.status_code == 403
    assert "4,900.00: it needs someone with the approver role" in refused.text
    # Even the right person must say why the exception to the policy is approved.
    client = login_as(approver)
    no_reason = review(client, purchase.id)
    assert no_reason.status_code == 422
    assert reason_text in no_reason.text and "write why" in no_reason.text
    database.session.expire_all()
    assert database.session.get(OutOfPocketPurchase, purchase.id).status is (
        OutOfPocketStatus.submitted
    )
    done = review(client, purchase.id, reason="Night breakdown, no PO possible")
    assert done.status_code == 303
    database.session.expire_all()
    purchase = database.session.get(OutOfPocketPurchase, purchase.id)
    assert purchase.status is OutOfPocketStatus.reimbursed
    assert purchase.reviewed_by_id == approver.id
    [event] = actions(database, "out_of_pocket.reimbursed")
    assert event.changes["policy_exception"] is True and event.changes["role"] == "approver"
    assert event.why == "Night breakdown, no PO possible"


def test_the_out_of_pocket_limit_is_policy_data(database, login_as):
    tech, wo, _supervisor, _approver = _electrical_world(database)
    client = login_as(tech)
    # No limit in the policy: a large claim is recorded (and the matrix decides on it).
    assert (
        client.post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(amount="6000.00")).status_code
        == 303
    )
    make_policy_rule(
        database, name="Own money up to 1,000.00", kind="out_of_pocket_limit", amount="1000.00"
    )
    over = client.post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(amount="1000.01"))
    assert over.status_code == 422
    assert "1,000.01 is more than the 1,000.00 the purchasing policy allows" in over.text
    at = client.post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(amount="1000.00"))
    assert at.status_code == 303
    assert len(database.session.scalars(select(OutOfPocketPurchase)).all()) == 2


def test_a_claim_names_a_part_or_a_spend_category(database, login_as):
    tech, wo, _supervisor, _approver = _electrical_world(database)
    make_item(database, part_number="FUSE-10A", category="Electrical")
    client = login_as(tech)
    neither = client.post(f"/work-orders/{wo.id}/out-of-pocket", data=claim(category=""))
    assert neither.status_code == 422 and "choose a part or a spend category" in neither.text
    unknown = client.post(
        f"/work-orders/{wo.id}/out-of-pocket", data=claim(category="", part_number="NOPE-1")
    )
    assert unknown.status_code == 422 and "no part numbered NOPE-1" in unknown.text
    by_part = client.post(
        f"/work-orders/{wo.id}/out-of-pocket", data=claim(category="", part_number="fuse-10a")
    )
    assert by_part.status_code == 303
    purchase = database.session.scalars(select(OutOfPocketPurchase)).one()
    assert purchase.category == "Electrical" and purchase.item_id is not None
    assert purchase.policy_warnings[0]["rule"] == "Electrical work goes through a PO"


def test_above_the_single_approver_band_two_approvers_other_than_the_claimant_reimburse(
    database, login_as
):
    tech, wo, _supervisor, approver = _electrical_world(database)
    second = make_user(database, roles=["approver"])
    purchase = make_out_of_pocket_with_receipt(
        database, work_order=wo, user=tech, amount="6000.00", category="Hardware"
    )
    first = review(login_as(approver), purchase.id)
    assert first.status_code == 303
    database.session.expire_all()
    assert database.session.get(OutOfPocketPurchase, purchase.id).status is (
        OutOfPocketStatus.submitted
    )
    again = review(login_as(approver), purchase.id)
    assert again.status_code == 403 and "you were the first" in again.text
    assert review(login_as(second), purchase.id).status_code == 303
    database.session.expire_all()
    done = database.session.get(OutOfPocketPurchase, purchase.id)
    assert done.status is OutOfPocketStatus.reimbursed and done.approved_by == [
        approver.id,
        second.id,
    ]


def test_a_claim_that_would_overspend_the_budget_needs_budget_authority(database, login_as):
    tech, wo, _supervisor, approver = _electrical_world(database, budget="1000.00")
    purchase = make_out_of_pocket_with_receipt(
        database, work_order=wo, user=tech, amount="1200.00", category="Hardware"
    )
    refused = review(login_as(approver), purchase.id, reason="Needed")
    assert refused.status_code == 403 and "only an approver with budget authority" in refused.text
    boss = make_user(database, roles=["approver"], budget_authority=True)
    assert review(login_as(boss), purchase.id, reason="Plant safety").status_code == 303
