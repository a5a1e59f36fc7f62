"""Work orders: list, raise, the work order page and what is done on it."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.work_orders import bp
from portal.blueprints.work_orders.forms import (
    AssignForm,
    CommentForm,
    LabourForm,
    NewWorkOrderForm,
    StatusForm,
    WorkOrderSearchForm,
)
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.work_orders import (
    ACTION_LABELS,
    MOVE_ROLES,
    Priority,
    WorkOrderStatus,
    WorkOrderType,
    moves_for,
)
from portal.htmx import page_or_block, wants_fragment
from portal.models.base import utcnow
from portal.security import requires
from portal.services import accounts, assets, sites, work_orders


@bp.get("/")
@requires(C.read_work_orders)
def index():
    """Work order list; typing in the search box refreshes only the rows."""
    search = WorkOrderSearchForm(request.args, meta={"csrf": False})
    page_no = search.page.data if search.validate() and search.page.data else 1
    page = work_orders.search(text=search.q.data, status=search.status.data, page=page_no)
    return page_or_block("work_orders/index.html", "wo_rows", page=page, search=search)


def _new_form() -> tuple[NewWorkOrderForm, object]:
    """The raise form with its choices, pre-filled from ?asset= when coming from an asset."""
    form = NewWorkOrderForm()
    asset = None
    asset_id = request.values.get("asset_id") or request.args.get("asset")
    if asset_id and str(asset_id).isdigit():
        try:
            asset = assets.page(int(asset_id)).asset
        except NotFound:
            asset = None
    if asset is not None:
        form.asset_id.data = str(asset.id)
    form.location_id.choices = [(0, "Choose a location")] + sites.location_choices()
    people = accounts.assignable_people()
    form.assignee_user_id.choices = [(0, "Nobody yet")] + [(p.id, p.full_name) for p in people]
    if (
        request.method == "GET"
        and current_user.has_role("technician")
        and not current_user.has_role("supervisor")
    ):
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


def _page(wo_id: int, *, status: int = 200, **forms):
    """The WO page, or its main block for htmx."""
    wo = work_orders.get_for_page(wo_id)
    if wo is None:
        abort(404)
    forms.setdefault("comment_form", CommentForm(formdata=None))
    labour_form = forms.setdefault("labour_form", LabourForm(formdata=None))
    if labour_form.worked_on.data is None:
        labour_form.worked_on.data = utcnow().date()
    assign_form = forms.setdefault("assign_form", AssignForm(formdata=None))
    if current_user.has_role("supervisor"):  # only supervisors get the list of people
        assign_form.assignee_user_id.choices = [
            (p.id, p.full_name) for p in accounts.assignable_people()
        ]
    moves = moves_for(wo.status, current_user.roles)
    return page_or_block(
        "work_orders/detail.html",
        "wo_main",
        status=status,
        wo=wo,
        moves=moves,
        action_labels=ACTION_LABELS,
        extras=work_orders.page_extras(wo),
        status_form=StatusForm(formdata=None),
        can_assign=current_user.has_role(*MOVE_ROLES[WorkOrderStatus.assigned]),
        **forms,
    )


def _done(wo_id: int, message: str):
    """After a successful action: the fresh block for htmx, else redirect back (PRG)."""
    flash(message, "success")
    if wants_fragment():
        return _page(wo_id)
    return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)


@bp.get("/<int:wo_id>")
@requires(C.read_work_orders)
def detail(wo_id: int):
    """One work order: what, where, who, when; its steps, parts, labour, notes and history."""
    return _page(wo_id)


@bp.post("/<int:wo_id>/status")
@requires(C.read_work_orders)
def move(wo_id: int):
    """Move the work order (start, complete, close...); only allowed moves are offered."""
    form = StatusForm()
    if not form.validate():
        abort(400)
    try:
        target = WorkOrderStatus(form.target.data)
    except ValueError:
        abort(400)
    if not current_user.has_role(*MOVE_ROLES.get(target, ("admin",))):
        abort(403)
    try:
        wo = work_orders.change_status(wo_id, target, actor=current_user, reason=form.reason.data)
    except NotFound:
        abort(404)
    except DomainError as err:
        flash(str(err), "error")
        if wants_fragment():
            return _page(wo_id, status=422)
        return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)
    return _done(wo_id, f"{wo.number}: {ACTION_LABELS[target].lower()} done.")


@bp.post("/<int:wo_id>/assign")
@requires(C.assign_work_order)
def assign(wo_id: int):
    """Give the work to a person (technicians may take it themselves)."""
    form = AssignForm()
    form.assignee_user_id.choices = [(p.id, p.full_name) for p in accounts.assignable_people()]
    if not form.validate():
        abort(400)
    try:
        wo = work_orders.assign(
            wo_id, assignee_user_id=form.assignee_user_id.data, actor=current_user
        )
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)
    return _done(wo_id, f"{wo.number} assigned to {wo.assignee_user.full_name}.")


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
        except NotFound:
            abort(404)
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
        except NotFound:
            abort(404)
        except DomainError as err:
            form.hours.errors = [*form.hours.errors, str(err)]
        else:
            return _done(wo_id, f"Logged {entry.hours.normalize():f} h.")
    return _page(wo_id, status=422, labour_form=form)


@bp.post("/<int:wo_id>/steps/<int:step_id>")
@requires(C.work_on_work_order)
def step(wo_id: int, step_id: int):
    """Tick or untick a step of the instructions."""
    done = request.form.get("done") == "1"
    try:
        work_orders.toggle_step(wo_id, step_id, done=done, actor=current_user)
    except NotFound:
        abort(404)
    if wants_fragment():
        return _page(wo_id)
    return redirect(url_for("work_orders.detail", wo_id=wo_id) + "#steps", code=303)


@bp.post("/<int:wo_id>/downtime")
@requires(C.work_on_work_order)
def downtime(wo_id: int):
    """The asset went down, or came back up, now."""
    event = request.form.get("event", "")
    try:
        work_orders.record_downtime(wo_id, event=event, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)
    return _done(wo_id, "Asset marked down." if event == "down" else "Asset back up.")


@bp.get("/photos/<int:attachment_id>")
@requires(C.read_work_orders)
def photo(attachment_id: int):
    """A photo from a work order, served to signed-in staff only."""
    found = work_orders.attachment(attachment_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
