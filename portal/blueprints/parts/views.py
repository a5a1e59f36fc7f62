"""Parts on a work order: find an item, add it, reserve, release, issue, or mark it unavailable.

Every action is a plain form post that answers 303 back to the work order page; under htmx the
same post answers with the work order's main block (parts and status badge both change).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal.blueprints.parts import bp
from portal.blueprints.parts.forms import AddPartForm, PartSearchForm
from portal.blueprints.work_orders.views import _page as work_order_page
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.parts import UnknownPart
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block, wants_fragment
from portal.read_models import parts as parts_read
from portal.read_models import work_orders as work_order_reads
from portal.read_models.parts import Outcome
from portal.security import requires
from portal.services import part_returns, parts, purchase_requests


@bp.app_template_global()
def new_part_form():
    """An empty add-a-part form with a fresh submission id."""
    return AddPartForm(formdata=None)


def _wo_page(wo_id: int, *, status: int = 200, **context):
    """The work order page, or its main block for htmx, with the parts section up to date."""
    # The work order blueprint owns what its page needs (moves, forms, costs); extra context
    # (our add form, the outcome notice) passes through to parts/_wo_parts.html.
    return work_order_page(wo_id, status=status, **context)


def _answer(outcome: Outcome):
    """After an action: the fresh block with the outcome beside its line, or PRG with a flash."""
    if wants_fragment():
        notice = {"line_id": outcome.line_id, "tone": outcome.tone, "text": outcome.message}
        return _wo_page(outcome.wo_id, parts_notice=notice)
    flash(outcome.message, outcome.tone)
    return redirect(url_for("work_orders.detail", wo_id=outcome.wo_id), code=303)


def _refused(wo_id: int, line_id: int | None, err: DomainError):
    """A business rule said no: the words beside the line (htmx) or as a flash after PRG."""
    if wants_fragment():
        notice = {"line_id": line_id, "tone": "error", "text": str(err)}
        return _wo_page(wo_id, status=422, parts_notice=notice)
    flash(str(err), "error")
    return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)


@bp.get("/items/search")
@requires(C.search_items)
def search():
    """Items matching what is typed, with free stock per storeroom (the WO's site first)."""
    form = PartSearchForm(request.args, meta={"csrf": False})
    form.validate()
    q = "" if form.q.errors else (form.q.data or "").strip()
    wo_id = None if form.wo.errors else form.wo.data
    wo = None
    if wo_id and not wants_fragment():  # the full page (no JavaScript) names the work order
        wo = work_order_reads.get_for_page(wo_id)  # NotFound: 404
    return page_or_block(
        "parts/search.html",
        "results",
        wo=wo,
        q=q,
        hits=parts_read.search_items(q, wo_id=wo_id),
        chosen_item_id=None,
        add_form=AddPartForm(formdata=None),
    )


@bp.post("/work-orders/<int:wo_id>/parts")
@requires(C.plan_parts)
def add(wo_id: int):
    """Add a part line with the quantity needed; a double tap adds it once."""
    form = AddPartForm()
    if form.validate_on_submit():
        try:
            line = parts.add_part_line(
                wo_id,
                item_id=form.item_id.data,
                qty=form.qty.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise  # 404 / 403 pages
        except UnknownPart as err:
            form.item_id.errors = [str(err)]
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _answer(parts_read.added(line))
    hit = parts_read.item_hit(form.item_id.data, wo_id=wo_id) if not form.item_id.errors else None
    return _wo_page(
        wo_id,
        status=422,
        add_form=form,
        add_hits=[hit] if hit else [],
        chosen_item_id=hit.item.id if hit else None,
    )


def _line_action(line_id: int, act: Callable[[], Outcome]):
    """Run one action on a part line and answer for it: its outcome, or the rule that said no."""
    try:
        outcome = act()
    except (NotFound, NotAllowed):
        raise  # 404 / 403 pages
    except DomainError as err:
        wo_id = parts_read.work_order_of(line_id)
        if wo_id is None:
            raise NotFound(f"Part line {line_id} does not exist.") from err
        return _refused(wo_id, line_id, err)
    return _answer(outcome)


def _submission() -> str | None:
    """The form's submission id: a double tap of one button is one action (none: no guard)."""
    return request.form.get("submission_id") or None


@bp.post("/part-lines/<int:line_id>/reserve")
@requires(C.plan_parts)
def reserve(line_id: int):
    """Set stock aside for the line; if there is not enough, say so and offer Mark unavailable."""

    def act() -> Outcome:
        made = parts.reserve_part_line(line_id, actor=current_user, submission_id=_submission())
        return parts_read.reserved(line_id, made)

    return _line_action(line_id, act)


@bp.post("/part-lines/<int:line_id>/release")
@requires(C.plan_parts)
def release(line_id: int):
    """Give the line's reserved stock back to the storeroom."""

    def act() -> Outcome:
        made = parts.release_part_line(line_id, actor=current_user, submission_id=_submission())
        return parts_read.released(line_id, made)

    return _line_action(line_id, act)


@bp.post("/part-lines/<int:line_id>/issue")
@requires(C.issue_stock)
def issue(line_id: int):
    """Hand the reserved stock out; its cost lands on the work order."""

    def act() -> Outcome:
        made = parts.issue_part_line(line_id, actor=current_user, submission_id=_submission())
        return parts_read.issued(line_id, made)

    return _line_action(line_id, act)


@bp.post("/part-lines/<int:line_id>/unavailable")
@requires(C.plan_parts)
def mark_unavailable(line_id: int):
    """Request what is missing on the work order's PR; the work order waits for parts."""

    def act() -> Outcome:
        made = purchase_requests.mark_part_line_unavailable(
            line_id, actor=current_user, submission_id=_submission()
        )
        return parts_read.requested(line_id, made)

    return _line_action(line_id, act)


@bp.post("/part-lines/<int:line_id>/return")
@requires(C.issue_stock)
def return_unused(line_id: int):
    """Give unused issued parts back to stock (a return movement); the work order's cost goes
    down by what it was charged for them."""

    def act() -> Outcome:
        made = part_returns.return_to_stock(
            line_id,
            qty=request.form.get("qty") or "",
            reason=request.form.get("reason"),
            actor=current_user,
            submission_id=_submission(),
        )
        return parts_read.returned(line_id, made)

    return _line_action(line_id, act)
