"""Invoice forms: entry with lines prefilled from the PO, the CSV import, and the decisions."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.domain.statuses import InvoiceType
from portal.fields import DayField, IdField, MoneyField, QuantityField, WholeNumberField
from portal.forms import CsvUploadForm, IdempotentForm

TYPE_CHOICES = [
    SelectChoice(InvoiceType.invoice.value, "Invoice"),
    SelectChoice(InvoiceType.credit_memo.value, "Credit memo"),
]


class FindPurchaseOrderForm(FlaskForm):
    """The PO number, typed or scanned (GET, no CSRF)."""

    po = StringField("PO number", validators=[Optional(), Length(max=30)])


class InvoiceLineForm(Form):
    """One PO line on the invoice: how many are billed, at what unit price."""

    po_line_id = IdField(validators=[InputRequired()])
    qty = QuantityField(
        "Billed qty",
        validators=[
            InputRequired("Enter a quantity (0 to leave it out)."),
            NumberRange(min=0, message="Never negative."),
        ],
    )
    unit_price = MoneyField(
        "Unit price",
        validators=[
            InputRequired("Enter the unit price."),
            NumberRange(min=0, message="Never negative."),
        ],
    )


class InvoiceForm(IdempotentForm):
    """The invoice header and its lines."""

    number = StringField(
        "Vendor's invoice number",
        validators=[InputRequired("Give the invoice number."), Length(max=40)],
    )
    invoice_on = DayField("Invoice date", validators=[InputRequired("Give the invoice date.")])
    type = SelectField("Type", choices=TYPE_CHOICES, default=InvoiceType.invoice.value)
    freight = MoneyField(
        "Freight", default=Decimal("0"), validators=[Optional(), NumberRange(min=0)]
    )
    tax = MoneyField("Tax", default=Decimal("0"), validators=[Optional(), NumberRange(min=0)])
    lines = FieldList(FormField(InvoiceLineForm), min_entries=0, max_entries=200)


class ImportInvoicesForm(CsvUploadForm):
    """An invoice CSV, uploaded or pasted; checked in a dry run before anything is written."""


class ReasonForm(IdempotentForm):
    """A decision with a written reason (release, reject); a double tap decides once."""

    reason = TextAreaField("Why", validators=[InputRequired("Write why."), Length(min=3, max=1000)])
    hold_id = IdField(validators=[Optional()])


class AskForm(IdempotentForm):
    """Ask the buyer or the receiver to act on a held invoice; a double tap asks once."""

    who = SelectField(
        "Ask",
        choices=[SelectChoice("buyer", "The buyer"), SelectChoice("receiver", "The receiver")],
    )
    text = TextAreaField(
        "What should they do",
        validators=[InputRequired("Say what is needed."), Length(min=3, max=1000)],
    )


class ExportForm(IdempotentForm):
    """The payment export button: a double tap makes one export."""


class ExceptionFilterForm(FlaskForm):
    """Narrow the exceptions queue (GET, no CSRF)."""

    reason = SelectField("Reason", choices=[], default="", validate_choice=False)
    vendor = SelectField("Vendor", choices=[], default="", validate_choice=False)
    age = SelectField("Age", choices=[], default="", validate_choice=False)
    min_amount = MoneyField("Amount at least", validators=[Optional(), NumberRange(min=0)])
    page = WholeNumberField("Page", maximum=100000, validators=[Optional()])
