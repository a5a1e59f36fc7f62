"""Vendor forms: search, details, block, preferred categories, contracts, prices, source check,
and the contractor section of a work order page."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from portal.domain.errors import DomainError
from portal.domain.fields import coerce_id
from portal.domain.payment_terms import parse_terms
from portal.fields import DayField, MoneyField, QuantityField, TitleField
from portal.forms import IdempotentForm

STATUS_CHOICES = [
    SelectChoice("", "Any vendor"),
    SelectChoice("active", "Active"),
    SelectChoice("blocked", "Blocked"),
    SelectChoice("contractor", "Contractors"),
]
PRICE = NumberRange(min=Decimal("0.01"), message="The price must be more than 0.")


class VendorSearchForm(FlaskForm):
    """Text and status filter of the vendor list (GET, no CSRF)."""

    q = SearchField("Search vendors", validators=[Optional(), Length(max=60)])
    status = SelectField("Show", choices=STATUS_CHOICES, default="", validate_choice=False)


class VendorForm(IdempotentForm):
    """A vendor's details; the code is unique, so a retried post cannot make a second vendor."""

    code = StringField("Code", validators=[InputRequired("Enter a short code."), Length(max=16)])
    name = TitleField("Name", validators=[InputRequired("Enter the name."), Length(max=120)])
    payment_terms = StringField(
        "Payment terms", default="Net 30", validators=[InputRequired(), Length(max=32)]
    )
    currency = StringField("Currency", default="USD", validators=[Optional(), Length(max=3)])
    is_contractor = BooleanField("Outside contractor (does work on site)")
    contact_name = TitleField("Contact person", validators=[Optional(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Check the email address."),
            Length(max=254),
        ],
    )
    phone = TelField("Phone", validators=[Optional(), Length(max=40)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=300)])

    def validate_payment_terms(self, field):
        try:
            parse_terms(field.data)
        except DomainError as err:
            raise ValidationError(str(err)) from None


class BlockForm(IdempotentForm):
    """Block a vendor: the reason is required and shown wherever the vendor appears."""

    reason = TextAreaField(
        "Why block this vendor",
        validators=[InputRequired("Say why the vendor is blocked."), Length(max=300)],
    )


class UnblockForm(IdempotentForm):
    """Let a blocked vendor be used again."""

    reason = StringField("Why unblock (optional)", validators=[Optional(), Length(max=300)])


class CategoryForm(IdempotentForm):
    """An item category the vendor is preferred for."""

    category = StringField(
        "Add a category", validators=[InputRequired("Enter a category."), Length(max=60)]
    )


class SourceCheckForm(FlaskForm):
    """Item, price and unit to check against this vendor (GET, no CSRF)."""

    part = StringField(
        "Part number", validators=[InputRequired("Enter a part number."), Length(max=40)]
    )
    price = MoneyField(
        "Unit price",
        validators=[InputRequired("Enter the price you were quoted."), PRICE],
    )
    uom = StringField("Unit (optional)", validators=[Optional(), Length(max=12)])


class RemoveCategoryForm(IdempotentForm):
    """Stop preferring the vendor for one category (one small form per category chip)."""

    category = HiddenField(validators=[InputRequired(), Length(max=60)])


class ContractForm(IdempotentForm):
    """A contract's header: reference, title, validity, optional ceiling."""

    reference = StringField(
        "Reference", validators=[InputRequired("Enter the reference."), Length(max=40)]
    )
    title = TitleField(
        "What it covers", validators=[InputRequired("Say what it covers."), Length(max=200)]
    )
    valid_from = DayField("Valid from", validators=[InputRequired("Enter the first day.")])
    valid_to = DayField("Valid to", validators=[InputRequired("Enter the last day.")])
    ceiling_amount = MoneyField(
        "Ceiling (optional)", minimum=None, validators=[Optional()]
    )  # the contract rule says why a ceiling of 0 or less is refused


class PriceForm(IdempotentForm):
    """One agreed price: for an item (part number) or a whole category, per unit."""

    part_number = StringField("Part number", validators=[Optional(), Length(max=40)])
    category = StringField("or a whole category", validators=[Optional(), Length(max=60)])
    uom = StringField("Unit", validators=[InputRequired("Enter the unit."), Length(max=12)])
    unit_price = MoneyField("Unit price", validators=[InputRequired("Enter the price."), PRICE])


class RemovePriceForm(IdempotentForm):
    """Take one price off its contract (one small form per price row)."""


class ContractorForm(IdempotentForm):
    """Give the work order to an outside contractor."""

    vendor_id = SelectField(
        "Outside contractor", coerce=coerce_id, validate_choice=False, validators=[InputRequired()]
    )


class ServiceRequestForm(IdempotentForm):
    """A service PR line for the work order: what, how much, at what agreed price."""

    description = TitleField(
        "Service needed", validators=[InputRequired("Say what is needed."), Length(max=200)]
    )
    qty = QuantityField(
        "How many",
        default=Decimal("1"),
        minimum=Decimal("0.001"),
        validators=[InputRequired("Enter how many.")],
    )
    uom = StringField("Unit", default="VISIT", validators=[InputRequired(), Length(max=12)])
    unit_price = MoneyField(
        "Agreed unit price",
        validators=[InputRequired("Enter the agreed price."), PRICE],
    )
