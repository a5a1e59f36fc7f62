"""Purchase request forms: which list to show, and an approver's decision with its reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.domain.labels import label
from portal.domain.statuses import PurchaseRequestStatus as S
from portal.fields import WholeNumberField
from portal.forms import IdempotentForm
from portal.read_models.approvals import LISTS


class ListForm(FlaskForm):
    """Which PRs to list (GET, no CSRF)."""

    show = SelectField(
        "Show",
        choices=[SelectChoice(key, words) for key, words in LISTS.items()],
        default="waiting",
        validators=[Optional()],
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [
            SelectChoice(s.value, label(s))
            for s in (S.submitted, S.approved, S.rejected, S.ordered, S.cancelled)
        ],
        default="",
        validators=[Optional()],
    )
    page = WholeNumberField("Page", maximum=10000, validators=[Optional()])


class ApproveForm(IdempotentForm):
    """Approve, with a reason (needed when the PR would go over budget)."""

    reason = TextAreaField("Reason", validators=[Optional(), Length(max=1000)])


class RejectForm(IdempotentForm):
    """Reject, always with a reason the requester reads on the work order."""

    reason = TextAreaField(
        "Why reject it",
        validators=[
            InputRequired("Say why it is rejected: the requester reads it on the work order."),
            Length(max=1000),
        ],
    )


class CancelRequestForm(IdempotentForm):
    """Cancel a request not yet ordered, always with a reason (kept in the audit trail)."""

    reason = TextAreaField(
        "Why cancel it",
        validators=[InputRequired("Say why it is cancelled."), Length(max=1000)],
    )
