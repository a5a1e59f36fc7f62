"""Vendor and price checks at PR and PO time, each with its reason in words."""

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.sourcing import Agreement, BlockedVendor, VendorFacts, assess

D = Decimal
TODAY = date(2026, 6, 1)
NBS = VendorFacts(1, "Northern Bearing Supply")
FLO = VendorFacts(2, "Flow Parts")
ACME = VendorFacts(3, "Acme Tools")
PRICE_LIST = Agreement(
    1,
    "Northern Bearing Supply",
    "C-NBS-2026",
    date(2026, 1, 1),
    date(2026, 12, 31),
    D("7.60"),
    "EA",
)
EXPIRED = Agreement(
    2, "Flow Parts", "C-FLO-2025", date(2025, 1, 1), date(2025, 12, 31), D("165.00"), "EA"
)


def check(vendor, price, agreements=(PRICE_LIST,), preferred=None):
    return assess(
        vendor=vendor,
        item_label="BRG-6205",
        category="Bearings",
        unit_price=D(price),
        uom="EA",
        on=TODAY,
        agreements=list(agreements),
        preferred_vendor_names={1: "Northern Bearing Supply"} if preferred is None else preferred,
    )


def test_contract_vendor_at_or_below_the_contract_price_raises_nothing():
    assert check(NBS, "7.60") == []
    assert check(NBS, "7.00") == []


def test_price_above_the_contract_is_off_contract_with_the_difference():
    [warning] = check(NBS, "8.36")
    assert warning.code == "off_contract"
    assert warning.text == ("Price 8.36 is above the contract price 7.60 on C-NBS-2026 (+10.0%).")


def test_another_vendor_without_a_contract_is_off_contract_and_non_preferred():
    codes = [w.code for w in check(ACME, "7.00")]
    assert codes == ["off_contract", "non_preferred"]
    texts = " ".join(w.text for w in check(ACME, "7.00"))
    assert "on contract C-NBS-2026 with Northern Bearing Supply at 7.60" in texts
    assert "Acme Tools is not a preferred vendor for Bearings" in texts


def test_only_an_expired_contract_is_named_with_its_end_date():
    [expired, _] = check(FLO, "165.00", agreements=(EXPIRED,))
    assert expired.code == "expired_contract"
    assert "C-FLO-2025" in expired.text and "expired on 2025-12-31" in expired.text


def test_contract_on_the_last_valid_day_still_counts():
    last_day = Agreement(
        1, "Northern Bearing Supply", "C-X", date(2026, 1, 1), TODAY, D("7.60"), "EA"
    )
    assert check(NBS, "7.60", agreements=(last_day,)) == []


def test_a_category_without_preferred_vendors_warns_about_nothing_else():
    assert check(ACME, "9.00", agreements=(), preferred={}) == []


def test_a_blocked_vendor_cannot_be_used_whatever_the_price():
    blocked = VendorFacts(4, "Quality Industrial", blocked=True, blocked_reason="Short deliveries")
    with pytest.raises(BlockedVendor, match="Quality Industrial is blocked: Short deliveries"):
        check(blocked, "1.00")
