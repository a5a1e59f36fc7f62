"""Invoice rules without a database: numbers, terms, amounts, sentences and the CSV layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.domain import invoices as rules
from portal.domain.errors import DomainError, NotAllowed
from portal.domain.statuses import InvoiceStatus, InvoiceType
from portal.domain.tabular import parse_rows, read_table


def test_invoice_numbers_compare_as_the_match_spec_says():
    assert rules.normalise_invoice_number(" INV 100 ") == rules.normalise_invoice_number("inv100")
    assert rules.normalise_invoice_number("INV-100") != rules.normalise_invoice_number("INV100")
    assert rules.normalise_invoice_number("0100") != rules.normalise_invoice_number("100")
    assert rules.normalise_invoice_number("ＩＮＶ１") == "inv1"  # full-width, NFKC


def test_terms_give_due_date_and_early_payment_discount():
    on = date(2026, 11, 1)
    plain = rules.terms_outcome("Net 30", on, Decimal("100.00"))
    assert plain == rules.TermsOutcome(due_on=date(2026, 12, 1))
    early = rules.terms_outcome("2/10 Net 30", on, Decimal("123.45"))
    assert early.due_on == date(2026, 12, 1)
    assert early.discount_until == date(2026, 11, 11)
    assert early.discount_amount == Decimal("2.47")
    assert rules.terms_outcome("Due on receipt", on, Decimal(1)).due_on == on
    assert rules.terms_outcome("whenever", on, Decimal(1)).due_on is None


def test_gross_amount_rounds_each_line_then_adds_freight_and_tax():
    lines = [(Decimal("3"), Decimal("0.333")), (Decimal("1"), Decimal("0.125"))]
    assert rules.gross_amount(lines, Decimal("5"), Decimal("1.10")) == Decimal("7.23")
    assert rules.signed(Decimal("20.00"), InvoiceType.credit_memo) == Decimal("-20.00")


def test_the_sentence_shows_the_arithmetic_of_a_held_line():
    line = {
        "index": 0,
        "reasons": ["PRICE_OVER", "QTY_OVER_RECEIVED"],
        "expected_amount": "120.00",
        "price_variance": "4.80",
        "received_accepted": "10",
        "qty_over_received": "2",
        "qty_over_ordered": "0",
    }
    facts = rules.LineFacts("Line 1", Decimal("12"), Decimal("10.40"), Decimal("12"), Decimal("10"))
    assert rules.explain_line(line, facts, {"price_pct": "2"}) == (
        "Line 1: billed 12 at 10.40; received 10; ordered 12 at 10.00: "
        "price 4.0% over the 2% tolerance (4.80 more), quantity 2 over received"
    )
    matched = dict(line, reasons=[], price_variance="0.00")
    assert rules.explain_line(matched, facts, {}).endswith("within tolerance")


def test_release_is_never_by_the_person_who_entered_and_needs_a_reason():
    with pytest.raises(rules.SeparationOfDuties):
        rules.check_may_release(InvoiceStatus.hold, entered_by_id=7, approver_id=7)
    with pytest.raises(NotAllowed):
        rules.check_may_release(InvoiceStatus.matched, entered_by_id=7, approver_id=8)
    rules.check_may_release(InvoiceStatus.hold, entered_by_id=7, approver_id=8)
    with pytest.raises(DomainError):
        rules.written_reason(" ok ", what="release")
    with pytest.raises(NotAllowed):
        rules.check_may_reject(InvoiceStatus.exported)


def test_csv_rows_carry_their_own_problems_by_row_number():
    text = (
        "po_number;invoice_number;invoice_date;type;po_line;qty;unit_price\n"
        "PO-1;A-1;2026-11-01;invoice;1;2,5;10.00\n"
        "PO-1;A-1;2026-11-02;invoice;2;1;10.00\n"
        ";A-2;01/11/2026;refund;x;-1;1.234\n"
    )
    table = read_table(text, rules.IMPORT_SPEC)
    rows, problems = parse_rows(table, rules.parse_invoice_row)
    problems += rules.rows_disagree(rows)
    assert table.problems == []
    assert [parsed.row for parsed in rows] == [2, 3]
    assert rows[0].value.qty == Decimal("2.5")
    assert [str(p) for p in problems if p.row == 3] == [
        "Row 3: invoice_date differs from row 2 of the same invoice"
    ]
    [bad] = [p for p in problems if p.row == 4]
    assert [part.split(" ")[0] for part in bad.message.split("; ")] == [
        "po_number",
        "invoice_date",
        "type",
        "po_line",
        "qty",
        "unit_price",
    ]
    header_only = read_table("a,b\n1,2\n", rules.IMPORT_SPEC).problems
    assert [str(p) for p in header_only] == [
        "The first row must be the header with the column names: po_number, invoice_number, "
        "invoice_date, type, po_line, qty, unit_price, freight, tax"
    ]


def test_freight_and_tax_belong_on_an_invoices_first_row_only():
    text = (
        "po_number,invoice_number,invoice_date,po_line,qty,unit_price,freight\n"
        "PO-1,A-1,2026-11-01,1,1,10.00,5.00\n"
        "PO-1,A-1,2026-11-01,2,1,10.00,7.00\n"
    )
    rows, _ = parse_rows(read_table(text, rules.IMPORT_SPEC), rules.parse_invoice_row)
    assert [str(p) for p in rules.rows_disagree(rows)] == [
        "Row 3: freight and tax go on the invoice's first row only (row 2)"
    ]
