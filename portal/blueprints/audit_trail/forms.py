"""The auditors' search form (GET, no CSRF)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.read_models.audit_trail import EARLIEST_DAY, LATEST_DAY


def _on_the_calendar(form: FlaskForm, field: Field) -> None:
    """A day the trail can be searched for (not year 1, not 31 Dec 9999)."""
    day: date | None = field.data
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(f"Pick a day between {EARLIEST_DAY.year} and {LATEST_DAY.year}.")


class EventSearchForm(FlaskForm):
    """Filter the audit trail by text, actor, action, document and dates."""

    q = SearchField("Text", validators=[Optional(), Length(max=100)])
    actor = SelectField("Who", choices=[SelectChoice("", "Anyone")], validate_choice=False)
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    subject = StringField("Document number", validators=[Optional(), Length(max=80)])
    date_from = DateField("From", validators=[Optional(), _on_the_calendar])
    date_to = DateField("To", validators=[Optional(), _on_the_calendar])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100000)])

    def validate_date_to(self, field):
        """The range must run forwards."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
