"""The form fields for ids, whole numbers, quantities, money, percentages, days and titles.

Every form uses these instead of WTForms' IntegerField, DecimalField and DateField: the rules
are in portal/domain/fields.py (ASCII digits, bounds from the column types, sane days), and a
refusal is the field's error in words, never Python's exception text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from wtforms import DateField, DecimalField, Field, HiddenField, IntegerField, StringField

from portal.domain import fields as rules


def _first(valuelist) -> str | None:
    return valuelist[0] if valuelist else None


class WholeNumberField(IntegerField):
    """A whole number between `minimum` and `maximum` (a page number, a count)."""

    def __init__(self, label=None, validators=None, minimum=1, maximum=rules.ID_MAX, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            self.data = rules.parse_int(
                _first(valuelist),
                label=self.label.text or "The number",
                minimum=self.minimum,
                maximum=self.maximum,
            )


class IdField(HiddenField):
    """A record id in a hidden input or a query string: an int in the id column's range."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (_first(valuelist) or "").strip()
        if raw:
            self.data = rules.parse_id(raw)
            if self.data is None:
                raise ValueError("That record does not exist.")

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class BoundedDecimalField(DecimalField):
    """A number for one Numeric column kind; a phone's decimal comma reads as a point."""

    kind: rules.DecimalKind = rules.QUANTITY

    def __init__(
        self,
        label=None,
        validators=None,
        minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None,
        above_zero: bool = False,
        empty_value: Decimal | None = None,
        **kwargs,
    ):
        """`empty_value` is the data when the box is sent empty (a discount of nothing is 0)."""
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.above_zero = above_zero
        self.empty_value = empty_value

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            self.data = rules.parse_decimal(
                _first(valuelist),
                self.kind,
                label=self.label.text or "The number",
                minimum=self.minimum,
                maximum=self.maximum,
                above_zero=self.above_zero,
            )
            if self.data is None:
                self.data = self.empty_value

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:f}"


class QuantityField(BoundedDecimalField):
    """A quantity: Numeric(14, 3)."""

    kind = rules.QUANTITY


class MoneyField(BoundedDecimalField):
    """An amount or a price: Numeric(14, 2)."""

    kind = rules.MONEY


class PercentField(BoundedDecimalField):
    """A percentage: Numeric(7, 3), 0 to 100 unless told otherwise."""

    kind = rules.PERCENT

    def __init__(self, label=None, validators=None, maximum=Decimal(100), **kwargs):
        super().__init__(label, validators, maximum=maximum, **kwargs)


class RateField(BoundedDecimalField):
    """An exchange rate: Numeric(18, 8). Its sign is left to the rate's own rule (in words)."""

    kind = rules.RATE

    def __init__(self, label=None, validators=None, minimum=None, **kwargs):
        super().__init__(label, validators, minimum=minimum, **kwargs)


class DayField(DateField):
    """A day (YYYY-MM-DD, what <input type=date> sends) between 2000 and 2100."""

    def __init__(
        self,
        label=None,
        validators=None,
        earliest: date = rules.EARLIEST_DAY,
        latest: date = rules.LATEST_DAY,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.earliest = earliest
        self.latest = latest

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            self.data = rules.parse_day(
                _first(valuelist),
                label=self.label.text or "The day",
                earliest=self.earliest,
                latest=self.latest,
            )


class TitleField(StringField):
    """A title or a name: bidi controls and zero-width characters are dropped, ends trimmed."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = (rules.without_invisibles(self.data) or "").strip()


def check_line_amount(qty: Field, unit_price: Field, *, label: str = "The line") -> bool:
    """False, with the words beside the price, when qty x unit price is more than a line may
    come to (domain.fields.LINE_AMOUNT_MAX); True when it fits or either is missing."""
    if qty.data is None or unit_price.data is None:
        return True
    try:
        rules.check_line_amount(qty.data, unit_price.data, label=label)
    except rules.FieldRefused as refused:
        unit_price.errors = [*unit_price.errors, str(refused)]
        return False
    return True
