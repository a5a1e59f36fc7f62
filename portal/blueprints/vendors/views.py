"""Vendors and contracts (/vendors/), the check-a-source panel, and the contractor section of a
work order page (/work-orders/<id>/contractor).

Buyers and admins change vendors and contracts; approvers, AP clerks, supervisors and storekeepers
read them. Every post answers 303 (PRG) or, with a business rule's refusal, the form again (422).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.vendors import bp
from portal.blueprints.vendors.forms import (
    BlockForm,
    CategoryForm,
    ContractForm,
    ContractorForm,
    PriceForm,
    RemoveCategoryForm,
    RemovePriceForm,
    ServiceRequestForm,
    SourceCheckForm,
    UnblockForm,
    VendorForm,
    VendorSearchForm,
)
from portal.blueprints.work_orders.views import _page as work_order_page
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.fields import parse_id
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block, wants_fragment
from portal.read_models import contractors as contractor_reads
from portal.read_models import vendors as vendor_reads
from portal.security import requires
from portal.services import contractors, vendors

SERVICE_PREFIX = "service"  # its qty/uom fields share the work order page with the parts form


@bp.app_template_global()
def new_contractor_form():
    """An empty contractor form, with a fresh submission id (the assign form's hidden fields)."""
    return ContractorForm(formdata=None)


@bp.app_template_global()
def new_service_form(wo):
    """An empty service request form for the work order, with a fresh submission id."""
    form = ServiceRequestForm(formdata=None, prefix=SERVICE_PREFIX)
    form.description.data = f"Contractor visit: {wo.title}"[:200]
    return form


def _may_edit() -> bool:
    """The signed-in person may change vendors and contracts."""
    return current_user.can(C.manage_vendors)


def _detail(vendor_id: int, *, status: int = 200, **forms):
    """The vendor page with its forms (fresh unless given)."""
    page = vendor_reads.vendor_page(vendor_id)
    forms.setdefault("category_form", CategoryForm(formdata=None))
    forms.setdefault("block_form", BlockForm(formdata=None))
    forms.setdefault("unblock_form", UnblockForm(formdata=None))
    forms.setdefault("check_form", SourceCheckForm(formdata=None))
    forms.setdefault("check", None)
    remove_forms = {
        category: RemoveCategoryForm(formdata=None, data={"category": category})
        for category in page.categories
    }
    return page_or_block(
        "vendors/detail.html",
        "source_result",
        status=status,
        page=page,
        vendor=page.vendor,
        may_edit=_may_edit(),
        categories=vendor_reads.category_suggestions() if _may_edit() else [],
        remove_forms=remove_forms if _may_edit() else {},
        **forms,
    )


# ---------------------------------------------------------------- vendors


@bp.get("/vendors/")
@requires(C.read_vendors)
def index():
    """Vendor list; typing in the search box refreshes only the rows."""
    search = VendorSearchForm(request.args, meta={"csrf": False})
    search.validate()
    q = "" if search.q.errors else (search.q.data or "")
    found = vendor_reads.search_vendors(q, status=search.status.data)
    return page_or_block(
        "vendors/index.html", "vendor_rows", found=found, search=search, may_edit=_may_edit()
    )


def _draft(form: VendorForm) -> vendors.VendorDraft:
    """The vendor form as the service wants it."""
    return vendors.VendorDraft(
        code=form.code.data,
        name=form.name.data,
        payment_terms=form.payment_terms.data,
        currency=form.currency.data,
        is_contractor=form.is_contractor.data,
        contact_name=form.contact_name.data,
        email=form.email.data,
        phone=form.phone.data,
        address=form.address.data,
    )


@bp.route("/vendors/new", methods=["GET", "POST"])
@requires(C.manage_vendors)
def new():
    """Add a vendor: code, name, payment terms, contact; contractors are ticked."""
    form = VendorForm()
    if form.validate_on_submit():
        try:
            vendor = vendors.create_vendor(
                _draft(form), actor=current_user, submission_id=form.submission_id.data
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"{vendor.name} added.", "success")
            return redirect(url_for("vendors.detail", vendor_id=vendor.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("vendors/form.html", form=form, vendor=None), status


@bp.get("/vendors/<int:vendor_id>")
@requires(C.read_vendors)
def detail(vendor_id: int):
    """One vendor: contact, terms, preferred categories, contracts, and the source check."""
    return _detail(vendor_id)


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
@requires(C.manage_vendors)
def edit(vendor_id: int):
    """Change a vendor's details; what changed is audited with before and after."""
    vendor = vendor_reads.vendor_page(vendor_id).vendor
    form = VendorForm(obj=vendor)
    if form.validate_on_submit():
        try:
            vendors.update_vendor(
                vendor_id, _draft(form), actor=current_user, submission_id=form.submission_id.data
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash("Vendor details saved.", "success")
            return redirect(url_for("vendors.detail", vendor_id=vendor_id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("vendors/form.html", form=form, vendor=vendor), status


@bp.post("/vendors/<int:vendor_id>/block")
@requires(C.manage_vendors)
def block(vendor_id: int):
    """Block the vendor with a reason; it is refused on new PRs, POs and assignments."""
    form = BlockForm()
    if form.validate_on_submit():
        try:
            vendor = vendors.block_vendor(
                vendor_id,
                reason=form.reason.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.reason.errors = [*form.reason.errors, str(err)]
        else:
            flash(f"{vendor.name} is blocked.", "warning")
            return redirect(url_for("vendors.detail", vendor_id=vendor_id), code=303)
    return _detail(vendor_id, status=422, block_form=form, block_open=True)


@bp.post("/vendors/<int:vendor_id>/unblock")
@requires(C.manage_vendors)
def unblock(vendor_id: int):
    """Let a blocked vendor be used again."""
    form = UnblockForm()
    if not form.validate_on_submit():
        return _detail(vendor_id, status=422, unblock_form=form)
    vendor = vendors.unblock_vendor(
        vendor_id,
        reason=form.reason.data,
        actor=current_user,
        submission_id=form.submission_id.data,
    )
    flash(f"{vendor.name} can be used again.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id), code=303)


@bp.post("/vendors/<int:vendor_id>/categories")
@requires(C.manage_vendors)
def add_category(vendor_id: int):
    """Make the vendor a preferred source for an item category."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            preferred = vendors.add_preferred_category(
                vendor_id,
                category=form.category.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except NotFound:
            raise  # the 404 page
        except DomainError as err:
            form.category.errors = [*form.category.errors, str(err)]
        else:
            flash(f"Preferred for {preferred.category}.", "success")
            return redirect(url_for("vendors.detail", vendor_id=vendor_id) + "#preferred", 303)
    return _detail(vendor_id, status=422, category_form=form)


@bp.post("/vendors/<int:vendor_id>/categories/remove")
@requires(C.manage_vendors)
def remove_category(vendor_id: int):
    """The vendor is no longer preferred for this category."""
    form = RemoveCategoryForm()
    category = (form.category.data or "").strip()
    if not form.validate_on_submit() or not category:
        abort(400)
    vendors.remove_preferred_category(
        vendor_id, category=category, actor=current_user, submission_id=form.submission_id.data
    )
    flash(f"No longer preferred for {category}.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id) + "#preferred", code=303)


@bp.get("/vendors/<int:vendor_id>/check")
@requires(C.read_vendors)
def check(vendor_id: int):
    """Check a source: this vendor for an item at a price; the warnings in words."""
    form = SourceCheckForm(request.args, meta={"csrf": False})
    result = None
    status = 200
    if form.validate():
        try:
            result = vendor_reads.check_source(
                vendor_id,
                part_number=form.part.data,
                unit_price=form.price.data,
                uom=form.uom.data,
            )
        except NotFound as err:
            if vendor_reads.vendor_name(vendor_id) is None:
                raise
            form.part.errors = [*form.part.errors, str(err)]
            status = 422
    else:
        status = 422
    return _detail(vendor_id, status=status, check_form=form, check=result)


# ---------------------------------------------------------------- contracts


@bp.get("/vendors/contracts/")
@requires(C.read_vendors)
def contracts():
    """Every contract with its vendor and validity (bounded), ending soonest first."""
    return render_template("vendors/contracts.html", rows=vendor_reads.all_contracts())


def _contract_draft(form: ContractForm) -> vendors.ContractDraft:
    """The contract form as the service wants it."""
    return vendors.ContractDraft(
        reference=form.reference.data,
        title=form.title.data,
        valid_from=form.valid_from.data,
        valid_to=form.valid_to.data,
        ceiling_amount=form.ceiling_amount.data,
    )


@bp.route("/vendors/<int:vendor_id>/contracts/new", methods=["GET", "POST"])
@requires(C.manage_vendors)
def new_contract(vendor_id: int):
    """Add a contract for the vendor; its prices are added on the contract page."""
    vendor = vendor_reads.vendor_page(vendor_id).vendor
    form = ContractForm()
    if form.validate_on_submit():
        try:
            contract = vendors.create_contract(
                vendor_id,
                _contract_draft(form),
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Contract {contract.reference} added: now add its prices.", "success")
            return redirect(url_for("vendors.contract", contract_id=contract.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "vendors/contract_form.html", form=form, vendor=vendor, contract=None
    ), status


@bp.get("/vendors/contracts/<int:contract_id>")
@requires(C.read_vendors)
def contract(contract_id: int, *, status: int = 200, price_form=None):
    """One contract: vendor, validity, ceiling, and its prices per item or category."""
    page = vendor_reads.contract_page(contract_id)
    return render_template(
        "vendors/contract.html",
        page=page,
        contract=page.contract,
        may_edit=_may_edit(),
        price_form=price_form or PriceForm(formdata=None),
        remove_forms={p.id: RemovePriceForm(formdata=None) for p in page.prices}
        if _may_edit()
        else {},
        categories=vendor_reads.category_suggestions() if _may_edit() else [],
    ), status


@bp.route("/vendors/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@requires(C.manage_vendors)
def edit_contract(contract_id: int):
    """Change a contract's reference, title, dates or ceiling (audited before/after)."""
    found = vendor_reads.contract_page(contract_id).contract
    form = ContractForm(obj=found)
    if form.validate_on_submit():
        try:
            vendors.update_contract(
                contract_id,
                _contract_draft(form),
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash("Contract saved.", "success")
            return redirect(url_for("vendors.contract", contract_id=contract_id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "vendors/contract_form.html", form=form, vendor=found.vendor, contract=found
    ), status


@bp.post("/vendors/contracts/<int:contract_id>/prices")
@requires(C.manage_vendors)
def add_price(contract_id: int):
    """Agree a price for an item or a category on this contract."""
    form = PriceForm()
    if form.validate_on_submit():
        try:
            vendors.add_contract_price(
                contract_id,
                part_number=form.part_number.data,
                category=form.category.data,
                uom=form.uom.data,
                unit_price=form.unit_price.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except NotFound as err:
            vendor_reads.contract_page(contract_id)  # no such contract: the 404 page
            form.part_number.errors = [*form.part_number.errors, str(err)]
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash("Price added.", "success")
            return redirect(url_for("vendors.contract", contract_id=contract_id) + "#prices", 303)
    return contract(contract_id, status=422, price_form=form)


@bp.post("/vendors/contract-prices/<int:price_id>/remove")
@requires(C.manage_vendors)
def remove_price(price_id: int):
    """Take a price off its contract."""
    form = RemovePriceForm()
    if not form.validate_on_submit():
        abort(400)
    found = vendors.remove_contract_price(
        price_id, actor=current_user, submission_id=form.submission_id.data
    )
    flash("Price removed.", "success")
    return redirect(url_for("vendors.contract", contract_id=found.id) + "#prices", code=303)


# ---------------------------------------------------------------- contractors on work orders


def _wo_answer(wo_id: int, text: str, tone: str, *, status: int = 200, **context):
    """The work order's main block with the notice (htmx), or PRG with a flash."""
    if wants_fragment():
        notice = {"tone": tone, "text": text}
        return work_order_page(wo_id, status=status, contractor_notice=notice, **context)
    flash(text, tone)
    return redirect(url_for("work_orders.detail", wo_id=wo_id) + "#wo-contractor", code=303)


@bp.post("/work-orders/<int:wo_id>/contractor")
@requires(C.assign_contractor)
def assign_contractor(wo_id: int):
    """Give the work to an outside contractor; blocked ones are refused with the reason."""
    form = ContractorForm()
    if not form.validate():
        abort(400)
    try:
        wo = contractors.assign_contractor(
            wo_id,
            vendor_id=form.vendor_id.data,
            actor=current_user,
            submission_id=form.submission_id.data,
        )
    except (NotFound, NotAllowed):
        raise  # the 404 or 403 page
    except DomainError as err:
        return _wo_answer(wo_id, str(err), "error", status=422)
    outcome = contractor_reads.assignment_outcome(wo)
    return _wo_answer(wo_id, outcome.message, outcome.tone)


@bp.post("/work-orders/<int:wo_id>/service-request")
@requires(C.request_service)
def request_service(wo_id: int):
    """Raise a service PR line for the contractor at the agreed price; a double tap raises one."""
    form = ServiceRequestForm(prefix=SERVICE_PREFIX)
    vendor_id = parse_id(request.form.get("vendor_id"))
    if form.validate_on_submit() and vendor_id:
        try:
            line = contractors.request_service(
                wo_id,
                vendor_id=vendor_id,
                description=form.description.data,
                qty=form.qty.data,
                uom=form.uom.data,
                unit_price=form.unit_price.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise  # the 404 or 403 page
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _wo_answer(wo_id, contractor_reads.service_requested_message(line), "success")
    elif not vendor_id:
        form.form_errors.append("Assign a contractor first.")
    # htmx swaps the main block; without JavaScript the whole page comes back, form and errors.
    return work_order_page(wo_id, status=422, service_form=form)
