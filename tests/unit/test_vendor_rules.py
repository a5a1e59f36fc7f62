"""Vendor and contract rules: codes, reasons, dates, validity in words, contractor cover."""

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.vendors import (
    BadContract,
    BadVendor,
    ContractorCover,
    ContractorNotCovered,
    block_reason,
    category_name,
    check_contract,
    check_may_start,
    check_price,
    contract_reference,
    validity,
    vendor_code,
)

TODAY = date(2026, 11, 25)


def test_vendor_codes_are_capitals_and_short():
    assert vendor_code(" nbs ") == "NBS"
    assert vendor_code("LIFT-2") == "LIFT-2"
    for bad in ("", "N", "N B S", "-NBS", "X" * 17, "NBS!"):
        with pytest.raises(BadVendor):
            vendor_code(bad)


def test_contract_references_allow_the_usual_punctuation():
    assert contract_reference(" C-NBS-2026 ") == "C-NBS-2026"
    assert contract_reference("PA/2026.1") == "PA/2026.1"
    with pytest.raises(BadContract):
        contract_reference("C NBS")


def test_a_block_needs_a_reason_in_words():
    assert block_reason("  Repeated   short deliveries ") == "Repeated short deliveries"
    for bad in (None, "", "   ", "no"):
        with pytest.raises(BadVendor, match="Say why"):
            block_reason(bad)
    with pytest.raises(BadVendor, match="300"):
        block_reason("x" * 301)


def test_categories_are_tidied():
    assert category_name("  bearings ") == "Bearings"
    with pytest.raises(BadVendor):
        category_name(" ")


def test_contract_dates_must_run_forwards_and_a_ceiling_be_positive():
    check_contract(TODAY, TODAY, None)  # a one-day contract is fine
    check_contract(TODAY, date(2026, 12, 31), Decimal("0.01"))
    with pytest.raises(BadContract, match="cannot end"):
        check_contract(TODAY, date(2026, 11, 24), None)
    with pytest.raises(BadContract, match="ceiling"):
        check_contract(TODAY, TODAY, Decimal("0"))


def test_a_contract_price_is_for_an_item_or_a_category_with_a_unit_and_price():
    check_price(has_item=True, category=None, uom="EA", unit_price=Decimal("1"))
    check_price(has_item=False, category="Services", uom="VISIT", unit_price=Decimal("240"))
    with pytest.raises(BadContract, match="not both"):
        check_price(has_item=True, category="Bearings", uom="EA", unit_price=Decimal("1"))
    with pytest.raises(BadContract, match="not both"):
        check_price(has_item=False, category=" ", uom="EA", unit_price=Decimal("1"))
    with pytest.raises(BadContract, match="unit"):
        check_price(has_item=True, category=None, uom="", unit_price=Decimal("1"))
    with pytest.raises(BadContract, match="more than 0"):
        check_price(has_item=True, category=None, uom="EA", unit_price=Decimal("0"))


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "code", "text"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), "expiring", "Expires in 36 days"),
        (date(2026, 1, 1), date(2027, 1, 24), "expiring", "Expires in 60 days"),
        (date(2026, 1, 1), date(2027, 1, 25), "valid", "Valid until 25 Jan 2027"),
        (date(2026, 1, 1), date(2026, 11, 26), "expiring", "Expires in 1 day"),
        (date(2026, 1, 1), TODAY, "expiring", "Expires today"),
        (date(2025, 1, 1), date(2026, 11, 24), "expired", "Expired on 24 Nov 2026"),
        (date(2026, 11, 26), date(2027, 12, 31), "not_yet", "Starts on 26 Nov 2026"),
        (TODAY, date(2027, 12, 31), "valid", "Valid until 31 Dec 2027"),
    ],
)
def test_validity_is_said_in_words(valid_from, valid_to, code, text):
    found = validity(valid_from, valid_to, TODAY)
    assert (found.code, found.text) == (code, text)
    assert found.in_force is (code in ("valid", "expiring"))


def test_a_contractor_starts_only_under_a_contract_or_a_service_po():
    check_may_start(ContractorCover("Summit", contract_references=("C-LIFT",)), "WO-000001")
    check_may_start(ContractorCover("Summit", po_numbers=("PO-2026-000001",)), "WO-000001")
    bare = ContractorCover("Sparks", requested_on=("PR-000004",))
    assert "Requested on PR-000004" in bare.text
    with pytest.raises(ContractorNotCovered, match="WO-000001 cannot start: Sparks"):
        check_may_start(bare, "WO-000001")
    assert "Raise a service request" in ContractorCover("Sparks").text
