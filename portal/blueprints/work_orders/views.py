"""Work orders: list, raise, the work order page and what is done on it.

The services check what the signed-in person may do (their role and whose work it is); a
refusal is NotAllowed, which the errors blueprint answers with 403. The page offers only
what the person may do (panels.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.blueprints.work_orders import bp
from portal.blueprints.work_orders.forms import (
    AssignForm,
    CommentForm,
    DowntimeForm,
    LabourForm,
    NewWorkOrderForm,
    StatusForm,
    StepForm,
    WorkOrderSearchForm,
)
from portal.blueprints.work_orders.panels import WorkOrderPage, compose
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.fields import parse_id
from portal.domain.permissions import MOVE_CAPABILITY, WorkOrderAccess, oversees_work
from portal.domain.permissions import Capability as C
from portal.domain.work_orders import (
    ACTION_LABELS,
    Priority,
    WorkOrderStatus,
    WorkOrderType,
    moves_for,
)
from portal.forms import new_submission_id
from portal.htmx import page_or_block, wants_fragment
from portal.models.base import utcnow
from portal.photo_response import send_photo
from portal.read_models import accounts as account_reads
from portal.read_models import assets as asset_reads
from portal.read_models import costs
from portal.read_models import sites as site_reads
from portal.read_models import work_orders as reads
from portal.security import requires
from portal.services import work_orders
from portal.services.authz import authorize_on_work_order, may_on_work_order


@bp.get("/")
@requires(C.read_work_orders)
def index():
    """Work order list; typing in the search box refreshes only the rows."""
    search = WorkOrderSearchForm(request.args, meta={"csrf": False})
    page_no = search.page.data if search.validate() and search.page.data else 1
    page = reads.search(text=search.q.data, status=search.status.data, page=page_no)
    return page_or_block("work_orders/index.html", "wo_rows", page=page, search=search)


def _new_form() -> tuple[NewWorkOrderForm, object]:
    """The raise form with its choices, pre-filled from ?asset= when coming from an asset."""
    form = NewWorkOrderForm()
    asset = None
    asset_id = request.values.get("asset_id") or request.args.get("asset")
    if (asset_key := parse_id(asset_id)) is not None:
        asset = asset_reads.find(asset_key)
    if asset is not None:
        form.asset_id.data = str(asset.id)
    form.location_id.choices = [(0, "Choose a location")] + site_reads.location_choices()
    people = account_reads.assignable_people()
    form.assignee_user_id.choices = [(0, "Nobody yet")] + [(p.id, p.full_name) for p in people]
    if (
        request.method == "GET"
        and current_user.has_role("technician")
        and not current_user.has_role("supervisor")
    ):  # a technician usually raises work they will do: a choice made for them, not a rule
        form.assignee_user_id.data = current_user.id
    return form, asset


@bp.route("/new", methods=["GET", "POST"])
@requires(C.raise_work_order)
def new():
    """Raise a work order; from an asset page it arrives with the asset and location filled in."""
    form, asset = _new_form()
    if form.validate_on_submit():
        draft = work_orders.NewWorkOrder(
            title=form.title.data,
            description=form.description.data,
            type=WorkOrderType(form.type.data),
            priority=Priority(form.priority.data),
            asset_id=asset.id if asset is not None else None,
            location_id=(form.location_id.data or None) if asset is None else None,
            assignee_user_id=form.assignee_user_id.data or None,
            checklist=(form.checklist.data or "").splitlines(),
            down_at=utcnow() if form.asset_down.data else None,
        )
        try:
            wo = work_orders.create_work_order(
                draft, actor=current_user, submission_id=form.submission_id.data
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"{wo.number} raised: {wo.title}", "success")
            return redirect(url_for("work_orders.detail", wo_id=wo.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("work_orders/new.html", form=form, asset=asset), status


def _page(wo_id: int, *, status: int = 200, **given):
    """The WO page, or its main block for htmx. `given`: forms sent back with their errors and
    notices from a post (other features' views pass theirs through to their panels)."""
    wo = reads.get_for_page(wo_id)
    viewer = current_user._get_current_object()
    page = WorkOrderPage(wo=wo, viewer=viewer, costs=costs.work_order_costs(wo.id), given=given)
    access = WorkOrderAccess(assignee_user_id=wo.assignee_user_id)
    may_assign = wo.is_open and may_on_work_order(viewer, C.assign_work_order, wo)
    assign_anyone = may_assign and oversees_work(viewer.roles)
    assign_form = given.get("assign_form") or AssignForm(formdata=None)
    if assign_anyone:  # only those who give work to others get the list of people
        assign_form.assignee_user_id.choices = [
            (p.id, p.full_name) for p in account_reads.assignable_people()
        ]
    panels = [Markup(render_template(p.template, **p.context)) for p in compose(page)]
    return page_or_block(
        "work_orders/detail.html",
        "wo_main",
        status=status,
        wo=wo,
        costs=page.costs,
        moves=moves_for(wo.status, viewer.roles, user_id=viewer.id, wo=access),
        action_labels=ACTION_LABELS,
        may_assign=may_assign,
        assign_anyone=assign_anyone,
        assign_form=assign_form,
        fresh_id=new_submission_id,
        panels=panels,
    )


def _done(wo_id: int, message: str, anchor: str = ""):
    """After a successful action: the fresh block for htmx, else redirect back (PRG)."""
    flash(message, "success")
    if wants_fragment():
        return _page(wo_id)
    return redirect(url_for("work_orders.detail", wo_id=wo_id) + anchor, code=303)


def _refused(wo_id: int, err: DomainError):
    """A rule said no to a button (a move, an assignment): the words as a flash."""
    flash(str(err), "error")
    if wants_fragment():
        return _page(wo_id, status=422)
    return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)


@bp.get("/<int:wo_id>")
@requires(C.read_work_orders)
def detail(wo_id: int):
    """One work order: what, where, who, when; its steps, parts, labour, notes and history."""
    return _page(wo_id)


def _bad_form():
    """A button's hidden fields were missing or tampered with."""
    abort(400)


@bp.post("/<int:wo_id>/status")
@requires(*MOVE_CAPABILITY.values())  # which move, and whose work: the service decides
def move(wo_id: int):
    """Move the work order (start, complete, close...); only allowed moves are offered, and
    the service refuses (403) a move the person may not make on this work order."""
    form = StatusForm()
    if not form.validate() or form.target.data not in WorkOrderStatus.__members__:
        _bad_form()
    target = WorkOrderStatus(form.target.data)
    try:
        wo = work_orders.change_status(
            wo_id,
            target,
            actor=current_user,
            reason=form.reason.data,
            submission_id=form.submission_id.data or None,
        )
    except (NotFound, NotAllowed):
        raise  # 404 and 403 pages (errors blueprint)
    except DomainError as err:
        return _refused(wo_id, err)
    return _done(wo_id, f"{wo.number}: {ACTION_LABELS[target].lower()} done.")


@bp.post("/<int:wo_id>/assign")
@requires(C.assign_work_order)
def assign(wo_id: int):
    """Give the work to a person (technicians may take work that is nobody's)."""
    form = AssignForm()
    if not form.validate() or not form.assignee_user_id.data:
        _bad_form()
    try:
        wo = work_orders.assign(
            wo_id,
            assignee_user_id=form.assignee_user_id.data,
            actor=current_user,
            submission_id=form.submission_id.data or None,
        )
    except (NotFound, NotAllowed):
        raise
    except DomainError as err:
        return _refused(wo_id, err)
    assignee = wo.assignee_user.full_name if wo.assignee_user else "them"
    return _done(wo_id, f"{wo.number} assigned to {assignee}.")


@bp.post("/<int:wo_id>/comments")
@requires(C.comment_on_work_order)
def comment(wo_id: int):
    """Add a note, maybe with a photo from the phone's camera."""
    form = CommentForm()
    if form.validate_on_submit():
        upload = form.photo.data
        photo = (upload.read(), upload.filename) if upload and upload.filename else None
        try:
            work_orders.add_comment(
                wo_id,
                body=form.body.data,
                actor=current_user,
                submission_id=form.submission_id.data,
                photo=photo,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.body.errors = [*form.body.errors, str(err)]
        else:
            return _done(wo_id, "Note added.")
    return _page(wo_id, status=422, comment_form=form)


@bp.post("/<int:wo_id>/labour")
@requires(C.work_on_work_order)
def labour(wo_id: int):
    """Log hours worked: labour cost lands on the work order."""
    form = LabourForm()
    if form.validate_on_submit():
        try:
            entry = work_orders.log_labour(
                wo_id,
                hours=form.hours.data,
                worked_on=form.worked_on.data,
                note=form.note.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.hours.errors = [*form.hours.errors, str(err)]
        else:
            return _done(wo_id, f"Logged {entry.hours.normalize():f} h.")
    return _page(wo_id, status=422, labour_form=form)


@bp.post("/<int:wo_id>/steps/<int:step_id>")
@requires(C.work_on_work_order)
def step(wo_id: int, step_id: int):
    """Tick or untick a step of the instructions."""
    form = StepForm()
    if not form.validate():
        _bad_form()
    work_orders.toggle_step(
        wo_id,
        step_id,
        done=form.done.data == "1",
        actor=current_user,
        submission_id=form.submission_id.data or None,
    )
    if wants_fragment():
        return _page(wo_id)
    return redirect(url_for("work_orders.detail", wo_id=wo_id) + "#steps", code=303)


@bp.post("/<int:wo_id>/downtime")
@requires(C.work_on_work_order)
def downtime(wo_id: int):
    """The asset went down, or came back up, now."""
    form = DowntimeForm()
    if not form.validate():
        _bad_form()
    event = form.event.data or ""
    try:
        work_orders.record_downtime(
            wo_id, event=event, actor=current_user, submission_id=form.submission_id.data or None
        )
    except (NotFound, NotAllowed):
        raise
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)
    return _done(wo_id, "Asset marked down." if event == "down" else "Asset back up.")


@bp.get("/<int:wo_id>/photos/<int:photo_id>")
@requires(C.read_work_orders)
def photo(wo_id: int, photo_id: int):
    """A photo of a note on this work order, to those who may read the work order."""
    return _note_photo(wo_id, photo_id, thumbnail=False)


@bp.get("/<int:wo_id>/photos/<int:photo_id>/thumbnail")
@requires(C.read_work_orders)
def photo_thumbnail(wo_id: int, photo_id: int):
    """The small copy of a note's photo that the notes list shows."""
    return _note_photo(wo_id, photo_id, thumbnail=True)


def _note_photo(wo_id: int, photo_id: int, *, thumbnail: bool):
    """The work order's permission first, then the photo only if it is a note's on this WO."""
    wo = reads.get(wo_id)  # NotFound: 404
    authorize_on_work_order(current_user, C.read_work_orders, wo)
    return send_photo(reads.note_photo(wo.id, photo_id), thumbnail=thumbnail)
