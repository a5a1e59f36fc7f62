"""Parts forms: find an item, add it to a work order with a quantity."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import Field, SearchField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from portal.domain.fields import FieldRefused, plain_number
from portal.domain.parts import BadQuantity, parse_quantity
from portal.fields import IdField
from portal.forms import IdempotentForm

NOT_A_NUMBER = "Enter a number, like 2 or 1.5."


class PartsQtyField(Field):
    """A quantity typed on a phone: ASCII digits (domain.fields), then the parts rule."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if not self.raw.strip():
            return
        try:
            self.data = parse_quantity(plain_number(self.raw, label="How many"))
        except FieldRefused:
            raise ValueError(NOT_A_NUMBER) from None
        except BadQuantity as err:
            raise ValueError(str(err)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class PartSearchForm(FlaskForm):
    """What to look for and for which work order (GET, no CSRF)."""

    q = SearchField("Find a part", validators=[Optional(), Length(max=60)])
    wo = IdField(validators=[Optional()])


class AddPartForm(IdempotentForm):
    """The chosen item and how many of it the work needs."""

    item_id = IdField(
        "Part",
        validators=[InputRequired("Choose a part from the search results first.")],
    )
    qty = PartsQtyField(
        "How many", default=Decimal("1"), validators=[InputRequired("Enter how many are needed.")]
    )

    def validate_item_id(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError("Choose a part from the search results first.")
