"""QR addresses, asset pages, the scan page and printable label sheets."""

from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.assets import bp
from portal.domain.fields import parse_id
from portal.domain.permissions import Capability as C
from portal.forms import new_submission_id
from portal.htmx import page_or_block
from portal.public_urls import external_url
from portal.read_models import assets as asset_reads
from portal.read_models import costs
from portal.read_models.sites import all_sites
from portal.security import requires
from portal.services import assets


@bp.get("/a/<token>")
def by_token(token: str):
    """The address inside every QR label: staff get the asset, anyone else the request form."""
    asset = asset_reads.by_token(token)
    if not current_user.is_authenticated:
        if asset is None:
            abort(404)
        return redirect(url_for("work_requests.new", a=token), code=303)
    if asset is None:
        flash(
            "That QR label is not known: it may have been replaced. Type the code under it.",
            "error",
        )
        return redirect(url_for("assets.scan"), code=303)
    return redirect(url_for("assets.detail", asset_id=asset.id), code=303)


@bp.get("/assets/<int:asset_id>")
@requires(C.read_assets)
def detail(asset_id: int):
    """The asset: where it is, its open work and history, cost so far, and New work order."""
    data = asset_reads.page(asset_id)  # NotFound: 404
    return render_template(
        "assets/detail.html",
        data=data,
        asset=data.asset,
        costs=costs.asset_costs(asset_id),
        rotate_id=new_submission_id(),
    )


@bp.get("/scan")
@requires(C.read_assets)
def scan():
    """Scan a QR label with the camera, or type the short code under it."""
    code = (request.args.get("code") or "").strip()
    if code:
        asset = asset_reads.by_code(code)
        if asset is not None:
            return redirect(url_for("assets.detail", asset_id=asset.id), code=303)
        error = f"No asset has the code {code[:40]!r}. Check it and try again."
        return render_template("assets/scan.html", code=code, error=error), 422
    return render_template("assets/scan.html", code="", error=None)


@bp.post("/assets/<int:asset_id>/rotate-qr")
@requires(C.rotate_qr_token)
def rotate_qr(asset_id: int):
    """Replace a lost or damaged label: the old QR stops working at once."""
    reason = (request.form.get("reason") or "").strip()[:500] or "Label replaced"
    asset = assets.rotate_token(
        asset_id,
        actor=current_user,
        reason=reason,
        submission_id=request.form.get("submission_id") or None,
    )
    flash(f"{asset.tag} has a new QR code. Print its label and replace the old one.", "success")
    return redirect(url_for("assets.labels", ids=asset.id), code=303)


@bp.get("/assets/")
@requires(C.read_assets)
def index():
    """Assets by tag or name; choose some to print their labels."""
    q = (request.args.get("q") or "").strip()[:100]
    site_id = parse_id(request.args.get("site"))
    found = asset_reads.search(q, site_id)
    return page_or_block(
        "assets/index.html", "asset_rows", assets=found, q=q, site_id=site_id, sites=all_sites()
    )


@bp.get("/assets/labels")
@requires(C.read_assets)
def labels():
    """A sheet of QR labels for the chosen assets, laid out for A4 or Letter label stock."""
    raw = request.args.getlist("ids") or (request.args.get("ids") or "").split(",")
    ids = sorted(
        {i for part in raw for v in str(part).split(",") if (i := parse_id(v)) is not None}
    )
    chosen = asset_reads.for_labels(ids)
    if not chosen:
        flash("Choose at least one asset to print labels for.", "error")
        return redirect(url_for("assets.index"), code=303)
    paper = "letter" if request.args.get("paper") == "letter" else "a4"
    sheet = [
        (
            asset,
            segno.make(external_url("assets.by_token", token=asset.qr_token), error="m").svg_inline(
                scale=4, border=0, dark="#000", light=None
            ),
        )
        for asset in chosen
    ]
    return render_template("assets/labels.html", sheet=sheet, paper=paper, ids=ids)
