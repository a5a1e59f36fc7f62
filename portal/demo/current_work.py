"""The demo's work of the last weeks: work orders in every status, and the public's requests.

Each work order is raised by the supervisor (or, for the mere request, by the technician who
found the fault) and moved through its statuses by the person whose move it is. The plant takes
public requests through triage (four wait, one was rejected); at Elm Court every tenant's
request became a work order the moment it arrived. No demo request has an e-mail address, so
loading the demo never sends mail. Parts and purchases of these work orders are in
portal/demo/current_buying.py and current_money.py; they find them by title in `Demo.work_orders`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal.demo.steps import Demo, move
from portal.demo.timeline import Story
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from portal.models import Asset, Location, WorkOrder, WorkRequest
from portal.services import work_orders, work_requests

S = WorkOrderStatus
P = Priority
T = WorkOrderType
FIRE_AUDIT = "FIRE-AUDIT-2026-03"


@dataclass(frozen=True)
class Work:
    """One work order of the demo: where, who, when raised, when due, and its moves.

    `moves` are (hours after it was raised, status); a move's actor is the assignee for
    starting and completing, the supervisor for approving, closing and cancelling.
    """

    title: str
    tag: str
    priority: Priority
    type: WorkOrderType
    assignee: str | None
    raised_days_ago: float
    due_in_days: float
    moves: tuple[tuple[float, WorkOrderStatus], ...] = ()
    raised_by: str = "supervisor"
    checklist: tuple[str, ...] = ()
    reason: str | None = None


WORK = [
    Work("Syrup dosing pump leaking at seal", "P-104", P.emergency, T.corrective, "technician",
         3, -2, ((2, S.in_progress),)),
    Work("Compressor 1 air and oil filter change", "AC-901", P.normal, T.preventive,
         "technician", 5, 3, checklist=("Isolate and lock out compressor",
         "Replace air filter element", "Replace oil filter", "Run 15 minutes and check for leaks")),
    Work("Filler Line 2 bowl level sensor faulty", "F-202", P.high, T.corrective, "technician",
         3, 1, ((2, S.in_progress),)),
    Work("Monthly boiler inspection", "B-801", P.normal, T.inspection, "technician", 10, 5,
         checklist=("Check water level gauge glass", "Test low-water cut-out",
         "Record flue gas readings", "Inspect safety valve")),
    Work("Replace worn V-belts on case conveyor", "CV-503", P.low, T.corrective, "technician",
         10, 20),
    Work("Forklift 2 hydraulic hose check", "FL-112", P.normal, T.inspection, "priya", 5, 2,
         ((2, S.in_progress),)),
    Work("Emergency lighting duration test", "EC-EL", P.high, T.compliance, None, 3, 6),
    Work("Flat 4B kitchen tap dripping", "EC-4B", P.normal, T.corrective, None, 2, 7,
         raised_by="technician"),
    Work("Lift annual safety examination", "EC-LF", P.high, T.compliance, "priya", 3, 10),
    Work("Cold store evaporator defrost fault", "RF-131", P.high, T.corrective, "technician",
         8, -5, ((2, S.in_progress), (26, S.completed))),
    Work("Palletiser drive belt replaced", "PL-602", P.normal, T.corrective, "technician", 16,
         -12, ((2, S.in_progress), (60, S.completed), (84, S.closed))),
    Work("Quarterly fire alarm panel test", "EC-FA", P.normal, T.preventive, "priya", 21, -20,
         ((2, S.in_progress), (6, S.completed), (26, S.closed))),
    Work("Repaint car park bay lines", "EC-CG", P.low, T.corrective, None, 6, 15,
         ((2, S.cancelled),), reason="Duplicate of the spring line-marking contract"),
    Work("Compressor 2 quarterly filter sets", "AC-902", P.normal, T.preventive, "priya", 12, 10),
    Work("Line 1 spring overhaul: infeed conveyor and transfer pump", "CV-501", P.high,
         T.preventive, "priya", 26, -4, ((2, S.in_progress),)),
    Work("Burst pipe under the kitchen sink, flat 1A", "EC-1A", P.emergency, T.corrective,
         "technician", 10, -9, ((1, S.in_progress), (98, S.completed))),
]  # fmt: skip
# Elm Court's common areas are cleaned by a contractor on a service PO (current_buying.py).
CLEANING = "Common-area cleaning, weekly contract"


def work_stories(demo: Demo) -> list[Story]:
    """A story per demo work order, and the cleaning contract's work order."""
    return [*(_work_order(demo, work) for work in WORK), _cleaning(demo)]


def _work_order(demo: Demo, work: Work) -> Story:
    """Raise the work order, then make each of its moves in its time."""
    raised = demo.ago(work.raised_days_ago)
    yield raised
    assignee = demo.user(work.assignee) if work.assignee else None
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title=work.title,
            asset_id=demo.asset_ids[work.tag],
            type=work.type,
            priority=work.priority,
            assignee_user_id=assignee.id if assignee else None,
            due=demo.now + timedelta(days=work.due_in_days),
            checklist=list(work.checklist),
            audit_reference=FIRE_AUDIT if work.type is T.compliance else None,
        ),
        actor=demo.user(work.raised_by),
    )
    demo.work_orders[work.title] = wo.id
    for hours, status in work.moves:
        yield raised + timedelta(hours=hours)
        actor = demo.user("supervisor")
        if status in (S.in_progress, S.completed) and assignee is not None:
            actor = assignee  # the assignee starts and completes; the supervisor does the rest
        move(wo.id, status, actor=actor, reason=work.reason if status is S.cancelled else None)


def _cleaning(demo: Demo) -> Story:
    """The cleaning contract's work order at Elm Court's lobby, with no asset."""
    yield demo.ago(9)
    lobby = demo.session.scalar(
        select(Location.id).where(
            Location.site_id == demo.sites["ECA"].id, Location.name == "Lobby"
        )
    )
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title=CLEANING,
            location_id=lobby,
            type=T.preventive,
            description="Lobby, stairwells, bin store and laundry room, every Monday.",
        ),
        actor=demo.user("supervisor"),
    )
    demo.work_orders[CLEANING] = wo.id


# ---------------------------------------------------------------- the public's requests

# name, phone, asset tag or None, place or None, where (as typed), what, urgency, hours ago
PLANT_WAITING = [
    ("Dave Whitfield (Northline Haulage)", "+1 555 0142", "DR-121", None, "Bay 2",
     "Dock leveller lip does not fold down\nThe lip stays up after the truck leaves; "
     "we could not close the dock door.", P.high, 5),
    ("Maria Santos (CleanRight contract cleaning)", "+1 555 0177", "DR-122", None, None,
     "Cold store rapid roll door stops halfway\nIt stops about a metre up and has to be "
     "pulled down by hand.", P.normal, 28),
    ("Leo Brandt (visitor, QA audit)", "+1 555 0108", None, "Boiler Room",
     "Stairs down to the boiler room",
     "Handrail loose on the stairs\nThe top bracket moves when you lean on it.", P.high, 3),
    ("Priti Shah (CleanRight contract cleaning)", "+1 555 0181", "DR-122", None, None,
     "Roll door at the cold store stuck half open again\nSame as last night.", P.normal, 2),
]  # fmt: skip
PLANT_REJECTED = (
    "Gary Moss (visitor)", "+1 555 0166", "Main gate, street side",
    "Streetlight outside the main gate flickers",
    "That streetlight belongs to the city, not to the plant. We have reported it to "
    "Riverside council for you (their reference 4471).",
)  # fmt: skip
# name, phone, asset tag, what, urgency, hours ago; the radiator is taken on by the technician
BLOCK_ACCEPTED = [
    ("Hana Kim", "+1 555 0121", "EC-2B",
     "Bathroom extractor fan is very noisy\nIt rattles whenever the light is on.", P.normal, 50),
    ("Olu Adeyemi", "+1 555 0133", "EC-3C",
     "Radiator in the bedroom stays cold\nThe other radiators are warm.", P.high, 30),
    ("Rosa Lindgren", "+1 555 0119", "EC-DR",
     "Entrance door closes very slowly\nIt stays open for almost a minute in the cold.",
     P.normal, 8),
]  # fmt: skip
RADIATOR = "Radiator in the bedroom stays cold"


def request_stories(demo: Demo) -> list[Story]:
    """A story per request of the public."""
    stories = [_waiting(demo, *row) for row in PLANT_WAITING]
    stories.append(_rejected(demo))
    stories.extend(_accepted(demo, *row) for row in BLOCK_ACCEPTED)
    return stories


def _report(
    demo: Demo,
    *,
    name: str,
    phone: str,
    what: str,
    urgency: Priority,
    site: str,
    tag: str | None = None,
    place: str | None = None,
    where: str | None = None,
) -> WorkRequest:
    """What the public form does with a report (a work order at once at a first-come site)."""
    location_id = None
    if place is not None:
        location_id = demo.session.scalar(
            select(Location.id).where(
                Location.site_id == demo.sites[site].id, Location.name == place
            )
        )
    token = None
    if tag is not None:
        token = demo.session.scalar(select(Asset.qr_token).where(Asset.id == demo.asset_ids[tag]))
    return work_requests.submit_request(
        work_requests.PublicRequest(
            requester_name=name,
            description=what,
            urgency=urgency,
            contact_phone=phone,
            asset_token=token,
            site_id=demo.sites[site].id,
            location_id=location_id,
            unit_text=where,
        ),
        submission_id=f"demo-{uuid.uuid4().hex}",
    )


def _waiting(
    demo: Demo,
    name: str,
    phone: str,
    tag: str | None,
    place: str | None,
    where: str | None,
    what: str,
    urgency: Priority,
    hours: float,
) -> Story:
    """A visitor's report at the plant, waiting in the supervisor's triage queue."""
    yield demo.ago(hours=hours)
    _report(
        demo,
        name=name,
        phone=phone,
        what=what,
        urgency=urgency,
        site="RBP",
        tag=tag,
        place=place,
        where=where,
    )


def _rejected(demo: Demo) -> Story:
    """A report about the city's streetlight: rejected an hour later, with the reason."""
    name, phone, where, what, reason = PLANT_REJECTED
    yield demo.ago(hours=40)
    wr = _report(demo, name=name, phone=phone, what=what, urgency=P.low, site="RBP", where=where)
    yield demo.ago(hours=39)
    work_requests.reject_request(wr.id, actor=demo.user("supervisor"), reason=reason)


def _accepted(
    demo: Demo, name: str, phone: str, tag: str, what: str, urgency: Priority, hours: float
) -> Story:
    """A tenant's report at Elm Court, a work order on arrival; the radiator is taken on."""
    yield demo.ago(hours=hours)
    wr = _report(demo, name=name, phone=phone, what=what, urgency=urgency, site="ECA", tag=tag)
    wo_id, title = demo.session.execute(
        select(WorkOrder.id, WorkOrder.title)
        .join(WorkRequest, WorkRequest.work_order_id == WorkOrder.id)
        .where(WorkRequest.id == wr.id)
    ).one()
    demo.work_orders[title] = wo_id
    if title != RADIATOR:
        return
    technician = demo.user("technician")
    yield demo.ago(hours=hours - 1)
    work_orders.assign(wo_id, assignee_user_id=technician.id, actor=demo.user("supervisor"))
    yield demo.ago(hours=hours - 2)
    move(wo_id, S.in_progress, actor=technician)
