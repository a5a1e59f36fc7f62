"""Work order search."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from portal.domain.work_orders import STATUS_LABELS

STATUS_CHOICES = [SelectChoice("open", "All open"), SelectChoice("", "Any status")] + [
    SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
]


class WorkOrderSearchForm(FlaskForm):
    """Text and status filter of the work order list (GET, no CSRF)."""

    q = SearchField("Search", validators=[Optional(), Length(max=100)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="open", validate_choice=False)
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100000)])
