"""The sourcing checks read contracts and preferred vendors from the database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.domain.errors import NotFound
from portal.domain.sourcing import BlockedVendor
from portal.domain.statuses import VendorStatus
from portal.models import Contract, ContractPrice, PreferredVendor
from portal.read_models.sourcing import assess_source
from tests.factories import make_item, make_vendor


def test_assess_source_reads_contracts_and_preferred_vendors(database):
    item = make_item(database, part_number="BRG-6205", category="Bearings")
    nbs = make_vendor(database, name="Northern Bearing Supply")
    acme = make_vendor(database, name="Acme Tools")
    today = date.today()
    contract = Contract(
        vendor_id=nbs.id,
        reference="C-NBS",
        title="Bearings",
        valid_from=today - timedelta(days=10),
        valid_to=today + timedelta(days=10),
    )
    contract.prices.append(ContractPrice(item_id=item.id, uom="EA", unit_price=Decimal("7.60")))
    database.session.add_all([contract, PreferredVendor(vendor_id=nbs.id, category="Bearings")])
    database.session.commit()
    s = database.session

    assert (
        assess_source(s, vendor_id=nbs.id, item_id=item.id, unit_price=Decimal("7.60"), uom="EA")
        == []
    )
    codes = [
        w.code
        for w in assess_source(
            s, vendor_id=acme.id, item_id=item.id, unit_price=Decimal("7.00"), uom="EA"
        )
    ]
    assert codes == ["off_contract", "non_preferred"]

    acme.status, acme.blocked_reason = VendorStatus.blocked, "Fraud"
    s.commit()
    with pytest.raises(BlockedVendor, match="Acme Tools is blocked: Fraud"):
        assess_source(s, vendor_id=acme.id, item_id=item.id, unit_price=Decimal("7"), uom="EA")
    with pytest.raises(NotFound):
        assess_source(s, vendor_id=999999, item_id=item.id, unit_price=Decimal("7"), uom="EA")
