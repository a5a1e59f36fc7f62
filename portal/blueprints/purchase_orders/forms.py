"""Purchase order forms: list filters, create from approved lines, edit a draft, revise, reasons."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.domain.fields import coerce_id
from portal.domain.purchase_orders import STATUS_LABELS
from portal.fields import (
    DayField,
    IdField,
    MoneyField,
    PercentField,
    QuantityField,
    WholeNumberField,
    check_line_amount,
)
from portal.forms import IdempotentForm

STATUS_CHOICES = [SelectChoice("", "Any status")] + [
    SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
]


class PurchaseOrderSearchForm(FlaskForm):
    """Status, vendor and number filters of the PO list (GET, no CSRF)."""

    q = SearchField("PO number", validators=[Optional(), Length(max=20)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="", validate_choice=False)
    vendor = SelectField("Vendor", coerce=coerce_id, validators=[Optional()], validate_choice=False)
    page = WholeNumberField("Page", default=1, maximum=100000, validators=[Optional()])


class CreateOrdersForm(IdempotentForm):
    """The To order page's one button: the ticked lines and a vendor per group come as lists."""


class LineForm(Form):
    """One existing PO line's editable values."""

    line_id = IdField(validators=[InputRequired()])
    qty = QuantityField("Quantity", above_zero=True, validators=[InputRequired()])
    unit_price = MoneyField("Unit price", validators=[InputRequired()])
    discount_percent = PercentField("Discount %", empty_value=Decimal(0))
    expected_on = DayField("Expected", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """Fields first; then the line may come to less than a billion."""
        ok = super().validate(extra_validators)
        return check_line_amount(self.qty, self.unit_price) and ok


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
    new_qty = QuantityField("Quantity", above_zero=True)
    new_uom = StringField("Unit", default="EA", validators=[Optional(), Length(max=12)])
    new_unit_price = MoneyField("Unit price")
    reason = TextAreaField(
        "Why revise",
        validators=[InputRequired("Say why the purchase order is revised."), Length(max=1000)],
    )

    def validate(self, extra_validators=None) -> bool:
        """Fields first; then an added line needs its quantity and price."""
        ok = super().validate(extra_validators)
        ok = check_line_amount(self.new_qty, self.new_unit_price, label="The added line") and ok
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


class LineFlagForm(IdempotentForm):
    """The buyer's answer to a PO line flagged for cancelled work: cancel it or divert to stock."""

    resolution = SelectField(
        "What to do",
        choices=[
            SelectChoice("cancelled", "Cancel what is still to come"),
            SelectChoice("diverted", "Divert it to stock"),
        ],
    )
    reason = StringField("Why", validators=[InputRequired("Say why."), Length(max=1000)])
