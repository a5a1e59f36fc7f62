"""Purchasing policy rules (admin); out-of-pocket purchases on a work order and their review."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.policy import bp
from portal.blueprints.policy.forms import (
    OutOfPocketForm,
    PolicyRuleForm,
    ReviewForm,
    RuleActiveForm,
    ToleranceForm,
)
from portal.blueprints.work_orders.views import _page as work_order_page
from portal.domain import out_of_pocket as out_of_pocket_rules
from portal.domain import policy as policy_rules
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_see_expense_receipt
from portal.htmx import page_or_block, wants_fragment
from portal.models.base import utcnow
from portal.photo_response import send_photo
from portal.read_models import out_of_pocket as purchases_read
from portal.read_models import po_approval as po_approval_read
from portal.read_models import policy as policy_read
from portal.read_models import work_orders as work_order_reads
from portal.security import requires
from portal.services import out_of_pocket, po_approval, policy
from portal.services.authz import authorize_on_work_order

# ---------------------------------------------------------------- template globals


def new_out_of_pocket_form() -> OutOfPocketForm:
    """An empty out-of-pocket form dated today, with a fresh submission id."""
    form = OutOfPocketForm(formdata=None)
    form.bought_on.data = utcnow().date()
    return form


@bp.app_template_global()
def policy_texts(entries):
    """What the purchasing policy said of a claim, in words."""
    return policy_rules.decision_texts(entries)


@bp.app_template_global()
def spend_categories():
    """The spend categories a claim can name (the items' categories)."""
    return purchases_read.spend_categories()


@bp.app_template_global()
def policy_rule_text(rule):
    """What a stored rule says, in a sentence."""
    return policy_read.describe(rule)


@bp.app_template_global()
def may_see_receipt(purchase) -> bool:
    """Whether the signed-in person may open this purchase's receipt photo."""
    return may_see_expense_receipt(current_user.roles, current_user.id, purchase.user_id)


# ---------------------------------------------------------------- the rules (admin)


def _rule_args(form: PolicyRuleForm) -> dict:
    """The typed settings, as the service takes them."""
    return {
        "name": form.name.data or "",
        "kind": form.kind.data,
        "amount": form.amount.data,
        "categories": form.categories.data,
        "item_kinds": form.item_kinds.data or [],
        "message": form.message.data,
    }


@bp.get("/policy/")
@requires(C.manage_policy)
def index():
    """Every rule of the purchasing policy, active first, with what each says."""
    return _index()


def _index(*, tolerance_form: ToleranceForm | None = None, status: int = 200):
    """The policy page, with the tolerance form as typed after a refusal."""
    rules = policy_read.list_rules()
    tolerance = po_approval_read.tolerance()
    if tolerance_form is None:
        tolerance_form = ToleranceForm(
            formdata=None, percent=tolerance.percent, amount=tolerance.amount
        )
    return (
        render_template(
            "policy/index.html",
            rules=rules,
            active_forms={rule.id: RuleActiveForm(formdata=None) for rule in rules},
            tolerance=tolerance,
            tolerance_form=tolerance_form,
        ),
        status,
    )


@bp.post("/policy/approval-tolerance")
@requires(C.manage_policy)
def set_tolerance():
    """Change how far a PO may go above what was approved before it needs approval again."""
    form = ToleranceForm()
    if form.validate_on_submit():
        try:
            po_approval.set_tolerance(
                percent=form.percent.data,
                amount=form.amount.data,
                reason=form.reason.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash("PO approval tolerance saved.", "success")
            return redirect(url_for("policy.index"), code=303)
    return _index(tolerance_form=form, status=422)


@bp.route("/policy/new", methods=["GET", "POST"])
@requires(C.manage_policy)
def new():
    """Add a rule; it applies to every need raised from now on."""
    form = PolicyRuleForm()
    if form.validate_on_submit():
        try:
            rule = policy.create_rule(
                **_rule_args(form), actor=current_user, submission_id=form.submission_id.data
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Rule {rule.name} added.", "success")
            return redirect(url_for("policy.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return page_or_block("policy/edit.html", "rule_form", status=status, form=form, rule=None)


@bp.route("/policy/<int:rule_id>/edit", methods=["GET", "POST"])
@requires(C.manage_policy)
def edit(rule_id: int):
    """Change a rule's settings; the audit trail keeps what it was."""
    rule = policy_read.get_rule(rule_id)
    if request.method == "GET":
        form = PolicyRuleForm(
            formdata=None,
            name=rule.name,
            kind=rule.kind.value,
            amount=f"{rule.amount:.2f}" if rule.amount is not None else "",
            item_kinds=list(rule.item_kinds or []),
            categories=", ".join(rule.categories or []),
            message=rule.message or "",
        )
        return render_template("policy/edit.html", form=form, rule=rule)
    form = PolicyRuleForm()
    if form.validate_on_submit():
        try:
            policy.update_rule(
                rule_id,
                **_rule_args(form),
                actor=current_user,
                reason=form.reason.data,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Rule {form.name.data} saved.", "success")
            return redirect(url_for("policy.index"), code=303)
    return page_or_block("policy/edit.html", "rule_form", status=422, form=form, rule=rule)


@bp.post("/policy/<int:rule_id>/active")
@requires(C.manage_policy)
def set_active(rule_id: int):
    """Deactivate a rule (needs stop being checked against it) or bring it back."""
    form = RuleActiveForm()
    if not form.validate():
        abort(400)
    active = request.form.get("active") == "1"
    rule = policy.set_rule_active(
        rule_id,
        active=active,
        actor=current_user,
        reason=form.reason.data,
        submission_id=form.submission_id.data,
    )
    flash(f"Rule {rule.name} {'active again' if active else 'deactivated'}.", "success")
    return redirect(url_for("policy.index"), code=303)


# ---------------------------------------------------------------- out-of-pocket purchases


@bp.get("/work-orders/<int:wo_id>/out-of-pocket/new")
@requires(C.record_out_of_pocket)
def new_purchase(wo_id: int):
    """The out-of-pocket form: swapped into the work order page, or a page of its own."""
    wo = work_order_reads.get(wo_id)  # NotFound: 404
    authorize_on_work_order(current_user, C.record_out_of_pocket, wo)  # 403: someone else's work
    try:
        out_of_pocket_rules.check_work_order_open(wo.status)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("work_orders.detail", wo_id=wo_id), code=303)
    return page_or_block(
        "policy/new_purchase.html",
        "oop_form",
        wo=wo,
        oop_form=new_out_of_pocket_form(),
        inline=wants_fragment(),
    )


@bp.post("/work-orders/<int:wo_id>/out-of-pocket")
@requires(C.record_out_of_pocket)
def submit(wo_id: int):
    """Record a purchase paid with one's own money, with the receipt photo; flagged for review."""
    form = OutOfPocketForm()
    if form.validate_on_submit():
        upload = form.receipt.data
        receipt = (upload.read(), upload.filename) if upload and upload.filename else None
        try:
            purchase = out_of_pocket.submit_purchase(
                wo_id,
                description=form.description.data,
                shop_name=form.shop_name.data,
                amount=form.amount.data,
                qty=form.qty.data,
                bought_on=form.bought_on.data,
                why=form.why.data,
                category=form.category.data,
                part_number=form.part_number.data,
                receipt=receipt,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise  # the 404 or 403 page
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(
                f"Purchase of {purchase.amount:.2f} recorded; a supervisor will review it.",
                "success",
            )
            if wants_fragment():
                return work_order_page(wo_id)
            return redirect(url_for("work_orders.detail", wo_id=wo_id) + "#out-of-pocket", code=303)
    return work_order_page(wo_id, status=422, oop_form=form)


@bp.get("/out-of-pocket/")
@requires(C.review_out_of_pocket)
def queue():
    """Out-of-pocket purchases waiting for review, oldest first."""
    return _queue()


@bp.post("/out-of-pocket/<int:purchase_id>/review")
@requires(C.review_out_of_pocket)
def review(purchase_id: int):
    """Reimburse or refuse (with a reason) someone else's purchase."""
    form = ReviewForm()
    if not form.validate():
        abort(400)
    try:
        purchase = out_of_pocket.review_purchase(
            purchase_id,
            approve=form.decision.data == "approve",
            reason=form.reason.data,
            actor=current_user,
            submission_id=form.submission_id.data,
        )
    except NotFound:
        raise  # the 404 page
    except NotAllowed as err:
        return _queue(error={"purchase_id": purchase_id, "text": str(err)}, status=403)
    except DomainError as err:
        return _queue(error={"purchase_id": purchase_id, "text": str(err)}, status=422)
    flash(
        f"Purchase of {purchase.amount:.2f}: {purchases_read.review_outcome(purchase)}.", "success"
    )
    return redirect(url_for("policy.queue"), code=303)


@bp.get("/out-of-pocket/<int:purchase_id>/receipt")
@requires(C.record_out_of_pocket, C.review_out_of_pocket, C.read_audit_trail)
def receipt(purchase_id: int):
    """The receipt photo of an out-of-pocket purchase: its claimant, reviewers and the auditor
    (404 for anyone else, whoever reads the work order)."""
    return send_photo(purchases_read.receipt_photo(purchase_id, viewer=current_user))


def _queue(*, error: dict | None = None, status: int = 200):
    """The review queue, a fresh review form per purchase, and a refusal in words beside one."""
    purchases = purchases_read.review_queue()
    return (
        render_template(
            "policy/queue.html",
            purchases=purchases,
            review_forms={p.id: ReviewForm(formdata=None) for p in purchases},
            error=error,
        ),
        status,
    )
