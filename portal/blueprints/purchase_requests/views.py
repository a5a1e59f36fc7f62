"""Purchase requests: the approver's queue, one PR with its budget and warnings, the decision.

Decisions are plain form posts answering 303 back to the PR page; under htmx the same post
answers with the page's main block. A business rule saying no shows its words on the form (422).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.blueprints.purchase_requests import bp
from portal.blueprints.purchase_requests.forms import (
    ApproveForm,
    CancelRequestForm,
    ListForm,
    RejectForm,
)
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.labels import label
from portal.domain.lifecycle import CANCELLABLE_REQUESTS
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_cancel_purchase_request
from portal.domain.statuses import PurchaseRequestStatus
from portal.htmx import page_or_block, wants_fragment
from portal.read_models import approvals as queues
from portal.read_models import purchase_requests as pages
from portal.security import requires
from portal.services import approvals, request_cancellation


@bp.app_template_filter("pr_status")
def pr_status(value) -> str:
    """A purchase request's status (an enum or its value, as other pages pass it) in words."""
    try:
        return label(PurchaseRequestStatus(value))
    except ValueError:
        return str(value)


@bp.app_template_global()
def may_cancel_request(pr) -> bool:
    """Offer Cancel: to the requester or a supervisor, while the request is not yet ordered."""
    return pr.status in CANCELLABLE_REQUESTS and may_cancel_purchase_request(
        current_user.roles, current_user.id, pr.requested_by_id
    )


@bp.get("/")
@requires(C.read_purchase_requests)
def index():
    """PRs waiting for me, mine, or all; the tabs and the status filter refresh only the list."""
    form = ListForm(request.args, meta={"csrf": False})
    valid = form.validate()
    show = form.show.data if valid and form.show.data else "waiting"
    status = form.status.data if valid else None
    page = form.page.data if valid and form.page.data else 1
    listing = queues.list_requests(current_user, show=show, status=status, page=page)
    return page_or_block(
        "purchase_requests/index.html",
        "pr_list",
        listing=listing,
        form=form,
        status_filter=status or "",
        tabs=queues.LISTS,
    )


def _page(pr_id: int, *, status: int = 200, **forms):
    """The PR page, or its main block for htmx."""
    view = pages.detail(pr_id, current_user)
    forms.setdefault("approve_form", ApproveForm(formdata=None, prefix="approve"))
    forms.setdefault("reject_form", RejectForm(formdata=None, prefix="reject"))
    forms.setdefault("cancel_form", CancelRequestForm(formdata=None, prefix="cancel"))
    return page_or_block(
        "purchase_requests/detail.html", "pr_main", status=status, view=view, **forms
    )


@bp.get("/<int:pr_id>")
@requires(C.read_purchase_requests)
def detail(pr_id: int):
    """One PR: lines with vendor warnings, total, matrix step, budget, approvals, the decision."""
    return _page(pr_id)


def _decide(pr_id: int, form, action, *, form_key: str):
    """Validate the form, run the decision, answer: PRG or the fresh block; 422 with the words."""
    if not queues.may_ever_approve(current_user):
        abort(403)
    if form.validate_on_submit():
        try:
            approval = action(
                pr_id,
                approver=current_user,
                reason=form.reason.data,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(pages.decision_message(approval), "success")
            if wants_fragment():
                return _page(pr_id)
            return redirect(url_for("purchase_requests.detail", pr_id=pr_id), code=303)
    return _page(pr_id, status=422, **{form_key: form})


@bp.post("/<int:pr_id>/approve")
@requires(C.approve_purchase_requests)
def approve(pr_id: int):
    """Approve the PR (one of the approvals the matrix asks for); over budget needs a reason."""
    return _decide(
        pr_id,
        ApproveForm(prefix="approve"),
        approvals.approve_purchase_request,
        form_key="approve_form",
    )


@bp.post("/<int:pr_id>/reject")
@requires(C.approve_purchase_requests)
def reject(pr_id: int):
    """Reject the PR with a reason; its parts are needed again on the work order."""
    return _decide(
        pr_id,
        RejectForm(prefix="reject"),
        approvals.reject_purchase_request,
        form_key="reject_form",
    )


@bp.post("/<int:pr_id>/cancel")
@requires(C.plan_parts, C.request_service, C.cancel_purchase_requests)  # whoever raises requests
def cancel(pr_id: int):
    """The requester or a supervisor cancels the request before it is ordered, with a reason."""
    form = CancelRequestForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            pr = request_cancellation.cancel_purchase_request(
                pr_id,
                actor=current_user,
                reason=form.reason.data,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise  # the 404 or 403 page
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"{pr.number} cancelled.", "success")
            if wants_fragment():
                return _page(pr_id)
            return redirect(url_for("purchase_requests.detail", pr_id=pr_id), code=303)
    return _page(pr_id, status=422, cancel_form=form)
