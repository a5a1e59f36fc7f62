"""Uploads are private: served only through the object they belong to, with its permission;
re-encoded on the way in (no EXIF/GPS, upright, bounded in pixels), thumbnails in lists."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

from PIL import Image
from sqlalchemy import func, select

from portal.domain.statuses import RequestIntake
from portal.domain.uploads import THUMBNAIL_SIDE
from portal.models import Attachment, GoodsReceipt, OutOfPocketPurchase, WorkOrderComment
from tests.factories import (
    JPEG_BYTES,
    make_out_of_pocket_with_receipt,
    make_site,
    make_user,
    make_work_order,
)
from tests.integration.test_receiving import LineReceipt, make_dock, receive

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(40, 20), orientation=6) -> bytes:
    """A JPEG as a phone writes it: GPS position and camera orientation in its EXIF."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    Image.new("RGB", size, "#3a6").save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the GPS is really there
    return data


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _note_with_photo(login_as, user, wo, data: bytes, filename="shaft.jpg"):
    form = {"body": "Shaft scored", "submission_id": uuid.uuid4().hex}
    form["photo"] = (io.BytesIO(data), filename)
    return login_as(user).post(
        f"/work-orders/{wo.id}/comments", data=form, content_type="multipart/form-data"
    )


def _tenant_report(client, site, photo: bytes):
    data = {
        "submission_id": uuid.uuid4().hex,
        "requester_name": "Ana Costa",
        "contact_email": "ana@example.org",
        "description": "Water under the sink",
        "urgency": "normal",
        "where": f"s{site.id}",
        "photo": (io.BytesIO(photo), "sink.jpg"),
    }
    response = client.post("/request", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    return response


def _stored_as_before(database, wo, author, data: bytes, filename: str, content_type: str):
    """A note photo as uploads were kept before re-encoding: the sent bytes, no thumbnail."""
    legacy = Attachment(
        work_order_id=wo.id,
        filename=filename,
        content_type=content_type,
        size_bytes=len(data),
        data=data,
    )
    database.session.add(legacy)
    database.session.flush()
    database.session.add(
        WorkOrderComment(work_order_id=wo.id, author_id=author.id, body="old", photo_id=legacy.id)
    )
    database.session.commit()
    return legacy


# ---------------------------------------------------------------- another role's photo -> 404


def test_another_roles_photo_is_404_by_bare_id_and_through_a_work_order(client, database, login_as):
    """The reproduction: `/work-orders/photos/<id>` served a tenant's photo to any role."""
    site = make_site(database, request_intake=RequestIntake.first_come)
    _tenant_report(client, site, jpeg_with_gps())
    tenant_photo = database.session.scalars(select(Attachment)).one()
    wr_id = tenant_photo.work_request_id
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    staff = login_as(tech)
    assert staff.get(f"/work-orders/photos/{tenant_photo.id}").status_code == 404  # route gone
    assert staff.get(f"/work-orders/{wo.id}/photos/{tenant_photo.id}").status_code == 404
    assert staff.get(f"/work-orders/{wo.id}/photos/{tenant_photo.id}/thumbnail").status_code == 404
    assert staff.get(f"/work-requests/{wr_id}/photos/{tenant_photo.id}").status_code == 403
    supervisor = login_as(make_user(database, roles=["supervisor"]))
    seen = supervisor.get(f"/work-requests/{wr_id}/photos/{tenant_photo.id}")
    assert seen.status_code == 200 and seen.mimetype == "image/jpeg"


def test_a_note_photo_is_served_only_through_its_own_work_order(client, database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    other_wo = make_work_order(database, assignee=tech)
    assert _note_with_photo(login_as, tech, wo, JPEG_BYTES).status_code == 303
    photo_id = database.session.scalar(select(WorkOrderComment.photo_id))
    buyer = login_as(make_user(database, roles=["buyer"]))  # reads work orders
    assert buyer.get(f"/work-orders/{wo.id}/photos/{photo_id}").status_code == 200
    assert buyer.get(f"/work-orders/{other_wo.id}/photos/{photo_id}").status_code == 404
    assert buyer.get(f"/work-orders/999999/photos/{photo_id}").status_code == 404
    buyer.post("/logout")
    assert client.get(f"/work-orders/{wo.id}/photos/{photo_id}").status_code == 302


def test_an_expense_receipt_is_for_its_claimant_reviewers_and_the_auditor_only(database, login_as):
    claimant = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=claimant)
    purchase = make_out_of_pocket_with_receipt(database, work_order=wo, user=claimant)
    url = f"/out-of-pocket/{purchase.id}/receipt"
    assert login_as(claimant).get(url).status_code == 200
    for role in ("supervisor", "approver", "auditor"):
        assert login_as(make_user(database, roles=[role])).get(url).status_code == 200, role
    colleague = make_user(database, roles=["technician"])
    assert login_as(colleague).get(url).status_code == 404  # not theirs: not even its existence
    assert login_as(make_user(database, roles=["storekeeper"])).get(url).status_code == 403
    # The receipt is stored against the WO, but the WO's photo route never serves it.
    receipt_id = purchase.receipt_attachment_id
    assert login_as(colleague).get(f"/work-orders/{wo.id}/photos/{receipt_id}").status_code == 404
    page = login_as(colleague).get(f"/work-orders/{wo.id}")
    assert url not in page.text  # no link to what would be refused
    assert url in login_as(claimant).get(f"/work-orders/{wo.id}").text


def test_a_packing_slip_is_served_through_its_receipt_to_those_who_read_it(database, login_as):
    dock = make_dock(database)
    receipt = receive(
        dock,
        LineReceipt(dock.stock_line.id, 10, 0, None),
        packing_slip_photo=(jpeg_with_gps(), "slip.jpg"),
    )
    slip = database.session.scalars(
        select(Attachment).where(Attachment.goods_receipt_id == receipt.id)
    ).one()
    url = f"/receiving/receipts/{receipt.id}/packing-slips/{slip.id}"
    keeper = login_as(dock.keeper)
    assert keeper.get(url).status_code == 200
    assert keeper.get(url + "/thumbnail").status_code == 200
    page = keeper.get(f"/receiving/receipts/{receipt.id}")
    assert f"{url}/thumbnail" in page.text
    stranger = login_as(make_user(database, roles=["technician"]))  # no work on this PO
    assert stranger.get(url).status_code == 404
    other = database.session.scalar(select(func.max(GoodsReceipt.id))) + 1
    keeper = login_as(dock.keeper)
    assert keeper.get(f"/receiving/receipts/{other}/packing-slips/{slip.id}").status_code == 404
    assert keeper.get(f"/work-orders/{dock.wo.id}/photos/{slip.id}").status_code == 404


# ---------------------------------------------------------------- GPS absent from served photos


def test_gps_is_absent_from_the_served_photo_and_it_stands_upright(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    assert _note_with_photo(login_as, tech, wo, jpeg_with_gps(size=(40, 20))).status_code == 303
    photo_id = database.session.scalar(select(WorkOrderComment.photo_id))
    for suffix in ("", "/thumbnail"):
        served = login_as(tech).get(f"/work-orders/{wo.id}/photos/{photo_id}{suffix}")
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.data))
        exif = image.getexif()
        assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
        assert b"PhoneMaker" not in served.data and b"Exif" not in served.data
        assert image.size == (20, 40)  # orientation 6 applied: the photo stands upright
    stored = database.session.get(Attachment, photo_id)
    assert b"Exif" not in stored.data  # nothing kept on the server either


def test_gps_is_absent_from_a_tenants_photo_too(client, database, login_as):
    site = make_site(database, request_intake=RequestIntake.triage)
    _tenant_report(client, site, jpeg_with_gps())
    photo = database.session.scalars(select(Attachment)).one()
    supervisor = login_as(make_user(database, roles=["supervisor"]))
    served = supervisor.get(f"/work-requests/{photo.work_request_id}/photos/{photo.id}")
    assert not Image.open(io.BytesIO(served.data)).getexif().get_ifd(GPS_IFD)


def test_a_photo_stored_before_re_encoding_loses_its_gps_on_the_way_out(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    legacy = _stored_as_before(database, wo, tech, jpeg_with_gps(), "old.jpg", "image/jpeg")
    served = login_as(tech).get(f"/work-orders/{wo.id}/photos/{legacy.id}")
    assert served.status_code == 200
    assert not Image.open(io.BytesIO(served.data)).getexif().get_ifd(GPS_IFD)


# ---------------------------------------------------------------- 60000 x 60000 PNG refused


def test_a_png_declaring_60000_by_60000_pixels_is_refused_in_words(client, database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    answer = _note_with_photo(login_as, tech, wo, png_declaring(60000, 60000), "bomb.png")
    assert answer.status_code == 422
    assert "bomb.png declares more than 50 megapixels; send a smaller photo." in answer.text
    assert database.session.scalar(select(func.count()).select_from(Attachment)) == 0
    site = make_site(database, request_intake=RequestIntake.triage)
    data = {
        "submission_id": uuid.uuid4().hex,
        "requester_name": "Ana",
        "contact_email": "ana@example.org",
        "description": "Water leaks under the sink",
        "urgency": "normal",
        "where": f"s{site.id}",
        "photo": (io.BytesIO(png_declaring(60000, 60000)), "bomb.png"),
    }
    client.post("/logout")
    public = client.post("/request", data=data, content_type="multipart/form-data")
    assert public.status_code == 422 and "declares more than 50 megapixels" in public.text


def test_a_photo_too_long_on_one_side_is_refused_before_it_is_decoded(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    answer = _note_with_photo(login_as, tech, wo, png_declaring(20000, 10), "strip.png")
    assert answer.status_code == 422
    assert "strip.png is 20,000 × 10 pixels; photos can be at most 12,000 pixels" in answer.text


def test_a_file_that_only_starts_like_a_photo_is_refused(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    fake = b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 10
    answer = _note_with_photo(login_as, tech, wo, fake, "x.jpg")
    assert answer.status_code == 422 and "x.jpg cannot be read as a photo." in answer.text


# ---------------------------------------------------------------- headers and thumbnails


def test_served_photos_are_inline_private_and_not_sniffed(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    big = io.BytesIO()
    Image.new("RGB", (1600, 1200), "#a33").save(big, format="PNG")
    assert _note_with_photo(login_as, tech, wo, big.getvalue(), "pump A (1).png").status_code == 303
    photo_id = database.session.scalar(select(WorkOrderComment.photo_id))
    full = login_as(tech).get(f"/work-orders/{wo.id}/photos/{photo_id}")
    assert full.headers["Content-Disposition"] == "inline; filename=pump-A-1.png"
    assert "private" in full.headers["Cache-Control"]
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.mimetype == "image/png"
    thumb = login_as(tech).get(f"/work-orders/{wo.id}/photos/{photo_id}/thumbnail")
    assert thumb.mimetype == "image/jpeg" and "private" in thumb.headers["Cache-Control"]
    assert max(Image.open(io.BytesIO(thumb.data)).size) == THUMBNAIL_SIDE
    assert len(thumb.data) < len(full.data)
    page = login_as(tech).get(f"/work-orders/{wo.id}")
    assert f'src="/work-orders/{wo.id}/photos/{photo_id}/thumbnail"' in page.text
    assert f'href="/work-orders/{wo.id}/photos/{photo_id}"' in page.text


def test_stored_bytes_that_are_not_a_photo_are_sent_as_an_attachment(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    odd = _stored_as_before(database, wo, tech, b"<script>alert(1)</script>", "a.html", "text/html")
    served = login_as(tech).get(f"/work-orders/{wo.id}/photos/{odd.id}")
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.mimetype == "application/octet-stream" and b"<script>" not in served.data


def test_expense_receipts_keep_no_gps(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    form = {
        "description": "Fuse 10 A",
        "shop_name": "Corner Hardware",
        "amount": "4.20",
        "bought_on": "2026-12-01",
        "why": "Needed at once",
        "category": "Electrical",
        "submission_id": uuid.uuid4().hex,
        "receipt": (io.BytesIO(jpeg_with_gps()), "receipt.jpg"),
    }
    answer = login_as(tech).post(
        f"/work-orders/{wo.id}/out-of-pocket", data=form, content_type="multipart/form-data"
    )
    assert answer.status_code in (200, 303), answer.text
    purchase = database.session.scalars(select(OutOfPocketPurchase)).one()
    served = login_as(tech).get(f"/out-of-pocket/{purchase.id}/receipt")
    assert not Image.open(io.BytesIO(served.data)).getexif().get_ifd(GPS_IFD)


def test_an_iphone_heic_photo_is_kept_as_a_jpeg_without_its_gps(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0)}
    heic = io.BytesIO()
    Image.new("RGB", (60, 40), "#36c").save(heic, format="HEIF", exif=exif.tobytes())
    assert _note_with_photo(login_as, tech, wo, heic.getvalue(), "IMG_0001.HEIC").status_code == 303
    photo_id = database.session.scalar(select(WorkOrderComment.photo_id))
    served = login_as(tech).get(f"/work-orders/{wo.id}/photos/{photo_id}")
    assert served.mimetype == "image/jpeg"  # every browser shows it
    assert served.headers["Content-Disposition"] == "inline; filename=IMG_0001.jpg"
    assert not Image.open(io.BytesIO(served.data)).getexif().get_ifd(GPS_IFD)
