"""Upload limits and names, and who sees an expense receipt: pure rules, no app."""

from __future__ import annotations

import pytest

from portal.domain.permissions import may_see_expense_receipt
from portal.domain.uploads import UploadRefused, check_dimensions, safe_filename


@pytest.mark.parametrize(
    ("width", "height"), [(60000, 60000), (12001, 10), (10, 12001), (8000, 7000), (0, 10)]
)
def test_declared_sizes_beyond_the_limits_are_refused_in_words(width, height):
    with pytest.raises(UploadRefused, match="photo.png"):
        check_dimensions(width, height, "photo.png")


@pytest.mark.parametrize(("width", "height"), [(8000, 6000), (12000, 4000), (1, 1)])
def test_phone_sized_photos_pass(width, height):
    check_dimensions(width, height, "photo.jpg")


@pytest.mark.parametrize(
    ("given", "content_type", "named"),
    [
        ("IMG 1234.HEIC", "image/jpeg", "IMG-1234.jpg"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ("C:\\Users\\ana\\sink.jpeg", "image/jpeg", "sink.jpg"),
        ('a"b;c\r\nd.jpg', "image/jpeg", "a-b-c-d.jpg"),
        ("", "image/jpeg", "photo.jpg"),
        ("façade.png", "image/png", "fa-ade.png"),
    ],
)
def test_served_names_are_plain_ascii_with_the_stored_types_extension(given, content_type, named):
    assert safe_filename(given, content_type) == named


@pytest.mark.parametrize(
    ("roles", "user_id", "sees"),
    [
        (["technician"], 7, True),  # the claimant
        (["technician"], 8, False),  # a colleague on the same work order
        (["storekeeper"], 8, False),
        (["supervisor"], 8, True),
        (["approver"], 8, True),
        (["auditor"], 8, True),
        (["admin"], 8, True),
    ],
)
def test_an_expense_receipt_is_seen_by_its_claimant_reviewers_and_the_auditor(roles, user_id, sees):
    assert may_see_expense_receipt(roles, user_id, claimant_user_id=7) is sees
