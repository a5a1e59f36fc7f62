"""The auditors' search form (GET, no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SearchField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError


class EventSearchForm(FlaskForm):
    """Filter the audit trail by text, actor, action, document and dates."""

    q = SearchField("Text", validators=[Optional(), Length(max=100)])
    actor = SelectField("Who", choices=[("", "Anyone")], validate_choice=False)
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    subject = StringField("Document number", validators=[Optional(), Length(max=80)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100000)])

    def validate_date_to(self, field):
        """The range must run forwards."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
