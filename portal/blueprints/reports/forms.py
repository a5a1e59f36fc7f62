"""The period and breakdown of a report (GET, no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional


class ReportFilterForm(FlaskForm):
    """First and last month (YYYY-MM) and, for reports that have them, the breakdown."""

    start = StringField("From month", validators=[Optional(), Length(max=7)])
    end = StringField("To month", validators=[Optional(), Length(max=7)])
    by = SelectField("Show by", choices=[], validate_choice=False)
