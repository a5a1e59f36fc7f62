"""Purchase order forms: list filters, create from approved lines, edit a draft, revise, reasons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.domain.purchase_orders import (
    STATUS_LABELS,
    PurchaseOrderError,
    parse_discount,
    parse_price,
    parse_qty,
)
from portal.forms import IdempotentForm

STATUS_CHOICES = [SelectChoice("", "Any status")] + [
    SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
]


class RuleDecimalField(StringField):
    """A number typed on a phone, checked by a domain parser (Decimal, never float).

    A decimal comma (1,5 on many keypads) reads as 1.5. Empty stays None unless the parser
    gives empty a meaning (a discount of nothing is 0).
    """

    def __init__(self, label=None, validators=None, parser=None, allow_empty=False, **kwargs):
        """`parser` turns the typed text into a Decimal or raises PurchaseOrderError."""
        super().__init__(label, validators, **kwargs)
        self.parser = parser
        self.allow_empty = allow_empty

    def process_formdata(self, valuelist):
        """Parse what was typed; the domain's words become the field's error."""
        raw = (valuelist[0] if valuelist else "").strip()
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        self.data = None
        if not raw and not self.allow_empty:
            return
        try:
            self.data = self.parser(raw)
        except PurchaseOrderError as err:
            raise ValueError(str(err)) from None

    def _value(self) -> str:
        """What the input shows: the typed text again, or the stored number."""
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:f}"


class PurchaseOrderSearchForm(FlaskForm):
    """Status, vendor and number filters of the PO list (GET, no CSRF)."""

    q = SearchField("PO number", validators=[Optional(), Length(max=20)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="", validate_choice=False)
    vendor = SelectField("Vendor", coerce=int, validators=[Optional()], validate_choice=False)
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100000)])


class CreateOrdersForm(IdempotentForm):
    """The To order page's one button: the ticked lines and a vendor per group come as lists."""


class LineForm(Form):
    """One existing PO line's editable values."""

    line_id = HiddenField(validators=[InputRequired()])
    qty = RuleDecimalField("Quantity", parser=lambda v: parse_qty(v), validators=[InputRequired()])
    unit_price = RuleDecimalField(
        "Unit price", parser=lambda v: parse_price(v), validators=[InputRequired()]
    )
    discount_percent = RuleDecimalField("Discount %", parser=parse_discount, allow_empty=True)
    expected_on = DateField("Expected", validators=[Optional()])


class EditDraftForm(IdempotentForm):
    """A draft PO: header and lines."""

    payment_terms = StringField("Payment terms", validators=[Optional(), Length(max=32)])
    ship_to = TextAreaField("Ship to", validators=[Optional(), Length(max=300)])
    notes = TextAreaField("Notes to the vendor", validators=[Optional(), Length(max=4000)])
    service_frequency = StringField("Service frequency", validators=[Optional(), Length(max=40)])
    billing_schedule = StringField("Billing schedule", validators=[Optional(), Length(max=40)])
    lines = FieldList(FormField(LineForm))


class ReviseForm(IdempotentForm):
    """A revision after issue: line changes, maybe one added line, and the reason."""

    lines = FieldList(FormField(LineForm))
    new_description = StringField(
        "Add a line: description", validators=[Optional(), Length(max=200)]
    )
    new_qty = RuleDecimalField("Quantity", parser=lambda v: parse_qty(v))
    new_uom = StringField("Unit", default="EA", validators=[Optional(), Length(max=12)])
    new_unit_price = RuleDecimalField("Unit price", parser=lambda v: parse_price(v))
    reason = TextAreaField(
        "Why revise",
        validators=[InputRequired("Say why the purchase order is revised."), Length(max=1000)],
    )

    def validate(self, extra_validators=None) -> bool:
        """Fields first; then an added line needs its quantity and price."""
        ok = super().validate(extra_validators)
        if (self.new_description.data or "").strip():
            if self.new_qty.data is None and not self.new_qty.errors:
                self.new_qty.errors.append("Enter the quantity of the added line.")
                ok = False
            if self.new_unit_price.data is None and not self.new_unit_price.errors:
                self.new_unit_price.errors.append("Enter the unit price of the added line.")
                ok = False
        return ok


class ReasonForm(IdempotentForm):
    """Why a PO is cancelled or closed."""

    reason = StringField("Why", validators=[Optional(), Length(max=1000)])
