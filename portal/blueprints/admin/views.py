"""Administration: who has an account and which roles they hold; the exchange-rate table."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import ExchangeRateForm, ImportRatesForm
from portal.domain.costing import BASE_CURRENCY
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.downloads import csv_response
from portal.forms import ConfirmImportForm
from portal.read_models import accounts as account_reads
from portal.read_models import rates as rate_reads
from portal.security import requires
from portal.services import accounts, approvals, costing, csv_import


@bp.get("/users")
@requires(C.manage_users)
def users():
    """Every account with its roles and last sign-in."""
    return render_template("admin/users.html", users=account_reads.list_users())


@bp.post("/users/<int:user_id>/budget-authority")
@requires(C.manage_users)
def budget_authority(user_id: int):
    """Grant or withdraw budget authority: who may approve a PR that goes over budget."""
    grant = request.form.get("grant")
    if grant not in ("0", "1"):
        abort(400)
    try:
        user = approvals.set_budget_authority(user_id, granted=grant == "1", actor=current_user)
    except NotFound:
        raise  # the 404 page (errors blueprint)
    except DomainError as err:  # separation of duties among them: said on the users page
        flash(str(err), "error")
    else:
        state = "now has" if user.budget_authority else "no longer has"
        flash(f"{user.full_name} {state} budget authority.", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/reset-password")
@requires(C.manage_users)
def reset_password(user_id: int):
    """Reset someone's password: they are signed out everywhere and must choose a new one at
    their next sign-in with the temporary password shown here, once."""
    user, temporary = accounts.reset_password(user_id, actor=current_user)
    return render_template("admin/password_reset.html", user=user, temporary=temporary)


# ---------------------------------------------------------------- exchange rates (docs/money.md)


def _rates_page(form: ExchangeRateForm | None = None, *, status: int = 200, **context):
    return (
        render_template(
            "admin/exchange_rates.html",
            rates=rate_reads.rate_table(),
            form=form or ExchangeRateForm(formdata=None),
            upload=context.pop("upload", None) or ImportRatesForm(formdata=None),
            base_currency=BASE_CURRENCY,
            **context,
        ),
        status,
    )


@bp.get("/exchange-rates")
@requires(C.manage_policy)
def exchange_rates():
    """The dated rate table: amounts in another currency are converted by it, or refused."""
    return _rates_page()


@bp.post("/exchange-rates")
@requires(C.manage_policy)
def set_exchange_rate():
    """Set one currency's rate from a day on; the same day again replaces it."""
    form = ExchangeRateForm()
    if form.validate_on_submit():
        try:
            rate = costing.set_exchange_rate(
                currency=form.currency.data,
                valid_from=form.valid_from.data,
                rate=form.rate.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(
                f"{rate.currency} is {rate.rate.normalize():f} {BASE_CURRENCY} "
                f"from {rate.valid_from.isoformat()}.",
                "success",
            )
            return redirect(url_for("admin.exchange_rates"), code=303)
    return _rates_page(form, status=422)


@bp.get("/exchange-rates/template.csv")
@requires(C.manage_policy)
def exchange_rates_template():
    """An empty rate file with its header and two example rows."""
    importer = costing.RATE_IMPORTER
    return csv_response("exchange-rates.csv", importer.spec.columns, importer.example)


@bp.post("/exchange-rates/import/preview")
@requires(C.manage_policy)
def exchange_rates_preview():
    """Dry run of a rate file: every bad row named, nothing written."""
    upload = ImportRatesForm()
    if upload.validate_on_submit() and (text := upload.csv_text()) is not None:
        return _rates_page(
            preview=csv_import.preview(costing.RATE_IMPORTER, text).summary(),
            confirm=ConfirmImportForm(formdata=None, csv_text=text),
        )
    return _rates_page(upload=upload, status=422)


@bp.post("/exchange-rates/import")
@requires(C.manage_policy)
def exchange_rates_import():
    """Write every rate of a checked file, or none."""
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        flash("The import form was incomplete. Check the file again.", "error")
        return redirect(url_for("admin.exchange_rates"), code=303)
    try:
        written = csv_import.run_import(
            costing.RATE_IMPORTER,
            confirm.csv_text.data,
            actor=current_user,
            submission_id=confirm.submission_id.data,
        )
    except (NotFound, NotAllowed):
        raise
    except DomainError as err:
        preview = csv_import.preview(costing.RATE_IMPORTER, confirm.csv_text.data).summary()
        return _rates_page(preview=preview, confirm=confirm, error=str(err), status=422)
    flash(f"Set {len(written)} exchange rate{'' if len(written) == 1 else 's'}.", "success")
    return redirect(url_for("admin.exchange_rates"), code=303)
