"""Payment terms: reading them, and the due date, discount date and discount they give."""

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.payment_terms import BadPaymentTerms, PaymentTerms, parse_terms

INVOICE_ON = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "net", "percent", "days", "canonical"),
    [
        ("Net 30", 30, "0", 0, "Net 30"),
        ("net 45", 45, "0", 0, "Net 45"),
        ("NET45", 45, "0", 0, "Net 45"),
        ("2/10 Net 30", 30, "2", 10, "2/10 Net 30"),
        ("  2 / 10  net 30 ", 30, "2", 10, "2/10 Net 30"),
        ("2%/10, Net 30", 30, "2", 10, "2/10 Net 30"),
        ("1.5/15 Net 60", 60, "1.5", 15, "1.5/15 Net 60"),
        ("Due on receipt", 0, "0", 0, "Due on receipt"),
        ("due upon receipt", 0, "0", 0, "Due on receipt"),
        ("Net 0", 0, "0", 0, "Due on receipt"),
        ("Net 365", 365, "0", 0, "Net 365"),
        ("2/30 Net 30", 30, "2", 30, "2/30 Net 30"),
    ],
)
def test_terms_are_read_and_written_back_the_standard_way(text, net, percent, days, canonical):
    terms = parse_terms(text)
    assert (terms.net_days, terms.discount_percent, terms.discount_days) == (
        net,
        Decimal(percent),
        days,
    )
    assert terms.text == canonical
    assert parse_terms(terms.text) == terms


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Enter the payment terms"),
        (None, "Enter the payment terms"),
        ("Net thirty", "not payment terms we can read"),
        ("30 days", "not payment terms we can read"),
        ("2/10", "not payment terms we can read"),
        ("Net -5", "not payment terms we can read"),
        ("2/10 Net 30 EOM", "not payment terms we can read"),
        ("Net 366", "at most 365"),
        ("0/10 Net 30", "more than 0%"),
        ("2/0 Net 30", "at least 1 day"),
        ("2/31 Net 30", "cannot be more than the net days"),
        ("100/10 Net 30", "not payment terms we can read"),
    ],
)
def test_malformed_terms_are_refused_in_words(text, says):
    with pytest.raises(BadPaymentTerms, match=says):
        parse_terms(text)


def test_due_date_counts_net_days_from_the_invoice_date():
    assert parse_terms("Net 30").due_on(INVOICE_ON) == date(2026, 3, 31)
    assert parse_terms("Due on receipt").due_on(INVOICE_ON) == INVOICE_ON
    assert parse_terms("Net 45").due_on(date(2026, 12, 20)) == date(2027, 2, 3)


def test_discount_date_is_the_last_day_that_still_earns_it():
    terms = parse_terms("2/10 Net 30")
    assert terms.discount_until(INVOICE_ON) == date(2026, 3, 11)
    assert terms.discount_applies(INVOICE_ON, date(2026, 3, 11)) is True
    assert terms.discount_applies(INVOICE_ON, date(2026, 3, 12)) is False
    assert parse_terms("Net 30").discount_until(INVOICE_ON) is None
    assert parse_terms("Net 30").discount_applies(INVOICE_ON, INVOICE_ON) is False


@pytest.mark.parametrize(
    ("terms", "amount", "discount"),
    [
        ("2/10 Net 30", "1000.00", "20.00"),
        ("2/10 Net 30", "0.25", "0.01"),  # 0.005 rounds half-up to a cent
        ("2/10 Net 30", "0.24", "0.00"),  # 0.0048 rounds down
        ("1.5/15 Net 60", "333.33", "5.00"),  # 4.99995 rounds up
        ("1.5/15 Net 60", "333.00", "5.00"),  # 4.995 half-up
        ("1.5/15 Net 60", "332.99", "4.99"),  # 4.99485
        ("Net 30", "1000.00", "0.00"),
        ("2/10 Net 30", "-500.00", "-10.00"),  # a credit memo gives the discount back
    ],
)
def test_discount_amount_is_rounded_to_the_cent_half_up(terms, amount, discount):
    assert parse_terms(terms).discount_amount(Decimal(amount)) == Decimal(discount)


def test_discount_amount_refuses_floats():
    with pytest.raises(TypeError):
        parse_terms("2/10 Net 30").discount_amount(19.99)


def test_terms_read_in_words():
    assert parse_terms("2/10 Net 30").in_words == "2% off if paid within 10 days; due in 30 days"
    assert parse_terms("Net 45").in_words == "Due in 45 days"
    assert parse_terms("Due on receipt").in_words == "Due on receipt"
    assert str(PaymentTerms(net_days=30, discount_percent=Decimal("1.50"), discount_days=15)) == (
        "1.5/15 Net 30"
    )
