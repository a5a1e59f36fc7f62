"""The auditors' search form (GET, no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.fields import DayField, WholeNumberField


class EventSearchForm(FlaskForm):
    """Filter the audit trail by text, actor, action, document and dates."""

    q = SearchField("Text", validators=[Optional(), Length(max=100)])
    actor = SelectField("Who", choices=[SelectChoice("", "Anyone")], validate_choice=False)
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    subject = StringField("Document number", validators=[Optional(), Length(max=80)])
    date_from = DayField("From", validators=[Optional()])
    date_to = DayField("To", validators=[Optional()])
    page = WholeNumberField("Page", default=1, maximum=100000, validators=[Optional()])

    def validate_date_to(self, field):
        """The range must run forwards."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
