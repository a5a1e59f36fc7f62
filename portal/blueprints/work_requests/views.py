"""Public request form and tracking page (no sign-in); the supervisors' triage queue."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.errors.handlers import error_response
from portal.blueprints.work_requests import bp
from portal.blueprints.work_requests.forms import (
    AcceptForm,
    MergeForm,
    PublicRequestForm,
    RejectForm,
    TriageFilterForm,
)
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.uploads import MAX_PHOTO_BYTES, UploadRefused
from portal.domain.work_orders import Priority
from portal.extensions import limiter
from portal.forms import new_submission_id
from portal.htmx import page_or_block
from portal.photo_response import send_photo
from portal.read_models import work_requests as reads
from portal.security import requires
from portal.services import work_requests
from portal.services.work_requests import PublicRequest

PUBLIC_REQUEST_LIMIT = "5 per minute;40 per day"

HONEYPOT_MESSAGE = (
    "Your report was not sent: a hidden anti-spam field was filled in, which browsers' "
    "autofill sometimes does. Check your details and press Send report again."
)
TOKEN_REFUSED_MESSAGE = (
    "That QR code is not one of ours, or its label has been replaced. "
    "Nothing was saved. Choose below where the problem is."
)
INCOMPLETE_MESSAGE = "Part of the form was missing, so it was not sent. Press Send report again."
RATE_LIMITED_MESSAGE = (
    "You have sent several reports in a short time, so this one was not saved. "
    "Wait a minute, then press Send report again."
)


def _public_limit() -> str:
    """How many reports one client may send (PUBLIC_REQUEST_LIMIT overrides the default)."""
    return current_app.config.get("PUBLIC_REQUEST_LIMIT", PUBLIC_REQUEST_LIMIT)


def _public_page(form, card, *, token_refused=False, status=200):
    """The public form page, asset locked when a QR card is given."""
    token = request.args.get("a") if card is not None else None
    if token_refused:
        form.form_errors.insert(0, TOKEN_REFUSED_MESSAGE)
    response = page_or_block(
        "work_requests/new.html",
        "request_form",
        status=status,
        form=form,
        card=card,
        places=[] if card is not None else reads.places_by_site(),
        action=url_for("work_requests.new", a=token),
        max_photo_mb=MAX_PHOTO_BYTES // 1_048_576,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the QR token stays on this site
    return response


def _public_form(card, **kwargs) -> PublicRequestForm:
    """The public form; without a QR card it asks where the problem is."""
    form = PublicRequestForm(**kwargs)
    if card is not None:
        del form.where
    return form


def _photo(form: PublicRequestForm) -> tuple[str | None, bytes | None]:
    """(filename, bytes) of the chosen photo, read no further than the size limit needs."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None, None
    return upload.filename, upload.stream.read(MAX_PHOTO_BYTES + 1)


@bp.route("/request", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def new():
    """Anyone reports a problem; from a QR label the asset and its place are filled in."""
    token = request.args.get("a")
    card = reads.asset_for_qr(token) if token else None
    token_refused = bool(token) and card is None
    form = _public_form(card)
    if request.method == "GET":
        return _public_page(form, card, token_refused=token_refused)
    if token_refused:
        return _public_page(form, None, token_refused=True, status=422)
    if (form.website.data or "").strip():
        form.website.data = ""
        form.form_errors.append(HONEYPOT_MESSAGE)
        return _public_page(form, card, status=422)
    if form.validate():
        site_id, location_id = form.place()
        photo_name, photo_data = _photo(form)
        draft = PublicRequest(
            requester_name=form.requester_name.data,
            description=form.description.data,
            urgency=Priority(form.urgency.data),
            contact_email=form.contact_email.data,
            contact_phone=form.contact_phone.data,
            asset_token=token if card is not None else None,
            site_id=site_id,
            location_id=location_id,
            unit_text=form.unit_text.data,
            photo_name=photo_name,
            photo_data=photo_data,
        )
        try:
            wr = work_requests.submit_request(draft, submission_id=form.submission_id.data)
        except UploadRefused as err:
            form.photo.errors = [*form.photo.errors, str(err)]
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash("Thank you: your report is in. Keep this page's address to follow it.", "success")
            return redirect(url_for("work_requests.track", token=wr.tracking_token), code=303)
    if form.submission_id.errors:  # a hidden field: nobody could fix it by hand
        form.submission_id.data = new_submission_id()
        form.form_errors.append(INCOMPLETE_MESSAGE)
    return _public_page(form, card, status=422)


def _card_from_query():
    """The asset card of the QR token in ?a=, if any, for re-showing the public form."""
    token = request.args.get("a")
    return reads.asset_for_qr(token) if token else None


@bp.errorhandler(429)
def too_many_reports(error):
    """Over the public form's limit: the form again, as typed, with the reason in words."""
    if request.endpoint != "work_requests.new":
        return error_response(429)
    card = _card_from_query()
    form = _public_form(card)
    form.form_errors.append(RATE_LIMITED_MESSAGE)
    return _public_page(form, card, status=429)


@bp.errorhandler(413)
def upload_too_large(error):
    """A body over MAX_CONTENT_LENGTH cannot be read at all: say so on an empty form."""
    if request.endpoint != "work_requests.new":
        return error_response(413)
    card = _card_from_query()
    form = _public_form(card, formdata=None)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or MAX_PHOTO_BYTES
    form.photo.errors = [
        f"The photo is too large to send (at most {limit / 1_048_576:.0f} MB in all). "
        "Nothing was saved: fill in the form again with a smaller photo, or without one."
    ]
    return _public_page(form, card, status=413)


@bp.get("/track/<token>")
def track(token: str):
    """The tenant's private link: their report and its public progress, nothing internal."""
    tracking = reads.tracking_for(token)
    if tracking is None:
        response = current_app.make_response((render_template("work_requests/not_found.html"), 404))
    else:
        response = page_or_block("work_requests/track.html", "track_main", tracking=tracking)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- triage (supervisors)


@bp.get("/work-requests/")
@requires(C.triage_work_requests)
def index():
    """The triage queue; changing the site or status refreshes only the rows."""
    search = TriageFilterForm(request.args, meta={"csrf": False})
    search.site.choices = [SelectChoice("", "All sites")] + [
        SelectChoice(str(sid), name) for sid, name in reads.site_choices()
    ]
    page_no = search.page.data if search.validate() and search.page.data else 1
    page = reads.triage_queue(site_id=search.site_id(), status=search.status_value(), page=page_no)
    return page_or_block("work_requests/index.html", "wr_rows", page=page, search=search)


def _detail_page(wr_id: int, *, status: int = 200, **forms):
    """The request page with its three decision forms (fresh unless one is given with errors)."""
    detail = reads.request_for_page(wr_id)  # NotFound: 404
    accept = forms.get("accept") or AcceptForm(formdata=None)
    reject = forms.get("reject") or RejectForm(formdata=None)
    merge = forms.get("merge") or MergeForm(formdata=None)
    merge.into.choices = [SelectChoice(cid, label) for cid, label in detail.merge_candidates]
    return page_or_block(
        "work_requests/detail.html",
        "wr_main",
        status=status,
        detail=detail,
        accept_form=accept,
        reject_form=reject,
        merge_form=merge,
    )


@bp.get("/work-requests/<int:wr_id>")
@requires(C.triage_work_requests)
def detail(wr_id: int):
    """One request: what, where, who reported it, the photo, and the triage decisions."""
    return _detail_page(wr_id)


@bp.post("/work-requests/<int:wr_id>/accept")
@requires(C.triage_work_requests)
def accept(wr_id: int):
    """Accept a request into a new work order."""
    form = AcceptForm()
    if form.validate():
        try:
            wr = work_requests.accept_request(
                wr_id,
                actor=current_user,
                note=form.note.data,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            number = reads.work_order_number(wr)
            flash(f"Request #{wr.id} accepted as {number}.", "success")
            return redirect(url_for("work_requests.index"), code=303)
    return _detail_page(wr_id, status=422, accept=form)


@bp.post("/work-requests/<int:wr_id>/reject")
@requires(C.triage_work_requests)
def reject(wr_id: int):
    """Reject a request with a reason the person who reported it will read."""
    form = RejectForm()
    if form.validate():
        try:
            wr = work_requests.reject_request(
                wr_id,
                actor=current_user,
                reason=form.reason.data,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Request #{wr.id} rejected; the reason is on its tracking page.", "success")
            return redirect(url_for("work_requests.index"), code=303)
    return _detail_page(wr_id, status=422, reject=form)


@bp.post("/work-requests/<int:wr_id>/merge")
@requires(C.triage_work_requests)
def merge(wr_id: int):
    """Merge a duplicate into an earlier request; its reporter then follows that one."""
    form = MergeForm()
    if form.validate() and form.into.data:
        try:
            wr = work_requests.merge_request(
                wr_id,
                into_id=form.into.data,
                actor=current_user,
                note=form.note.data,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Request #{wr.id} merged with request #{wr.merged_into_id}.", "success")
            return redirect(url_for("work_requests.index"), code=303)
    elif not form.errors:
        form.into.errors = ["Choose the earlier request with the same problem."]
    return _detail_page(wr_id, status=422, merge=form)


@bp.get("/work-requests/<int:wr_id>/photos/<int:photo_id>")
@requires(C.triage_work_requests)
def photo(wr_id: int, photo_id: int):
    """A photo sent with a request, to those who triage requests (re-encoded, no GPS)."""
    return send_photo(reads.photo_of_request(wr_id, photo_id))  # NotFound: 404


@bp.get("/work-requests/<int:wr_id>/photos/<int:photo_id>/thumbnail")
@requires(C.triage_work_requests)
def photo_thumbnail(wr_id: int, photo_id: int):
    """The small copy of a request's photo that the request page shows."""
    return send_photo(reads.photo_of_request(wr_id, photo_id), thumbnail=True)
