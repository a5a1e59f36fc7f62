"""Admin forms: an exchange rate, and the rate file's upload."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import InputRequired, Length

from portal.fields import DayField, RateField
from portal.forms import CsvUploadForm, IdempotentForm


class ExchangeRateForm(IdempotentForm):
    """One currency's rate from a day on; the service checks code and rate in words."""

    currency = StringField(
        "Currency",
        validators=[
            InputRequired(),
            Length(min=3, max=3, message="Use a three-letter currency code, like EUR."),
        ],
    )
    valid_from = DayField("Valid from", validators=[InputRequired()])
    rate = RateField("Rate (USD per unit)", validators=[InputRequired()])


class ImportRatesForm(CsvUploadForm):
    """A CSV of rates: currency, valid_from, rate."""
