"""Work order forms: search, raise, move, note, labour, assign, tick a step, downtime.

Every form that changes something carries a submission id (a fresh one each time it renders):
the same id posted twice is one action, and the second post gets the first one's result.
"""

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from portal.domain.fields import coerce_id
from portal.domain.work_orders import PRIORITY_LABELS, STATUS_LABELS, Priority, WorkOrderType
from portal.fields import DayField, QuantityField, TitleField, WholeNumberField
from portal.forms import IdempotentForm, new_submission_id

STATUS_CHOICES = [SelectChoice("open", "All open"), SelectChoice("", "Any status")] + [
    SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
]


class WorkOrderSearchForm(FlaskForm):
    """Text and status filter of the work order list (GET, no CSRF)."""

    q = SearchField("Search", validators=[Optional(), Length(max=100)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="open", validate_choice=False)
    page = WholeNumberField("Page", default=1, maximum=100000, validators=[Optional()])


class NewWorkOrderForm(IdempotentForm):
    """Raise a work order, usually from an asset's page after a scan."""

    title = TitleField("What needs doing", validators=[InputRequired(), Length(max=200)])
    description = TextAreaField("Details", validators=[Optional(), Length(max=4000)])
    type = SelectField(
        "Type",
        choices=[SelectChoice(t.value, t.value.capitalize()) for t in WorkOrderType],
        default=WorkOrderType.corrective.value,
    )
    priority = SelectField(
        "Priority",
        choices=[SelectChoice(p.value, label) for p, label in PRIORITY_LABELS.items()],
        default=Priority.normal.value,
    )
    asset_id = HiddenField()
    location_id = SelectField(
        "Location", coerce=coerce_id, validators=[Optional()], validate_choice=False
    )
    assignee_user_id = SelectField(
        "Assign to", coerce=coerce_id, validators=[Optional()], validate_choice=False
    )
    checklist = TextAreaField("Steps (one per line)", validators=[Optional(), Length(max=4000)])
    asset_down = BooleanField("The asset is down now")


def _optional_submission_id() -> HiddenField:
    """The token of a form whose action is idempotent in itself (a move, an assignment, a tick):
    always rendered, so a double tap gets the first result; a post without it still works."""
    return HiddenField(
        default=new_submission_id,
        validators=[Optional(), Length(min=16, max=64), Regexp(r"^[A-Za-z0-9_-]+$")],
    )


class StatusForm(FlaskForm):
    """Move a work order; a reason is needed for cancelling."""

    target = HiddenField(validators=[InputRequired()])
    reason = StringField("Reason", validators=[Optional(), Length(max=500)])
    submission_id = _optional_submission_id()


class CommentForm(IdempotentForm):
    """A note and maybe a photo."""

    body = TextAreaField("Note", validators=[Optional(), Length(max=4000)])
    photo = FileField("Photo")


class LabourForm(IdempotentForm):
    """Hours worked today (or on an earlier day)."""

    hours = QuantityField(
        "Hours",
        validators=[
            InputRequired("Enter the hours worked."),
            NumberRange(
                min=Decimal("0.05"), max=Decimal("24"), message="Hours must be between 0.05 and 24."
            ),
        ],
    )
    worked_on = DayField("Day", validators=[InputRequired()])
    note = StringField("What was done", validators=[Optional(), Length(max=500)])


class AssignForm(FlaskForm):
    """Give the work to a person."""

    assignee_user_id = SelectField("Assign to", coerce=coerce_id, validate_choice=False)
    submission_id = _optional_submission_id()


class StepForm(FlaskForm):
    """Tick (done=1) or untick (done=0) one step of the instructions."""

    done = HiddenField()
    submission_id = _optional_submission_id()


class DowntimeForm(FlaskForm):
    """The asset went down now, or is back up now."""

    event = HiddenField()
    submission_id = _optional_submission_id()
