"""Forms of the public request page and of the supervisors' triage."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.domain.fields import coerce_id, parse_id
from portal.domain.statuses import WorkRequestStatus
from portal.domain.work_orders import Priority
from portal.fields import TitleField, WholeNumberField
from portal.forms import IdempotentForm

URGENCY_CHOICES = [
    SelectChoice(Priority.emergency.value, "Emergency: danger, flooding, no power or heating"),
    SelectChoice(Priority.high.value, "Urgent: needs a visit within a day"),
    SelectChoice(Priority.normal.value, "Normal: within a week"),
    SelectChoice(Priority.low.value, "Low: whenever convenient"),
]

# Deliberately loose: people type addresses in many shapes; the mail server is the real check.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_SHAPE = r"^\+?[0-9 ()./-]{6,40}$"


class PublicRequestForm(IdempotentForm):
    """What anyone may report without signing in; `website` is a honeypot people never see."""

    requester_name = TitleField(
        "Your name", validators=[InputRequired("Tell us your name."), Length(max=120)]
    )
    contact_email = StringField(
        "E-mail",
        validators=[
            Optional(),
            Length(max=254),
            Regexp(EMAIL_SHAPE, message="That does not look like an e-mail address."),
        ],
    )
    contact_phone = TelField(
        "Phone",
        validators=[
            Optional(),
            Length(max=40),
            Regexp(PHONE_SHAPE, message="Use digits, spaces and + only, like +1 555 0100."),
        ],
    )
    where = SelectField("Site and place", choices=[], validate_choice=False)
    unit_text = StringField("Flat, room or spot", validators=[Optional(), Length(max=120)])
    description = TextAreaField(
        "What is wrong?",
        validators=[
            InputRequired("Describe the problem in a few words."),
            Length(min=10, max=4000, message="Between 10 and 4000 characters, please."),
        ],
    )
    urgency = SelectField("How urgent is it?", choices=URGENCY_CHOICES, default="normal")
    photo = FileField("Photo (optional)")
    website = StringField("Leave this field empty", validators=[Length(max=200)])

    def validate(self, extra_validators=None) -> bool:
        """Fields first, then: some way to reach the person, and a place when none is locked."""
        ok = super().validate(extra_validators)
        if (
            not (self.contact_email.data or "").strip()
            and not (self.contact_phone.data or "").strip()
        ):
            self.contact_email.errors = [
                *self.contact_email.errors,
                "Leave an e-mail address or a phone number so we can reach you.",
            ]
            ok = False
        if "where" in self._fields and not self.place()[0] and not self.place()[1]:
            self.where.errors = [*self.where.errors, "Choose the site, and the place if listed."]
            ok = False
        return ok

    def place(self) -> tuple[int | None, int | None]:
        """(site id, location id) from the `where` select: `s12` is a site, `l34` a location."""
        value = (self.where.data or "") if "where" in self._fields else ""
        number = parse_id(value[1:]) if value[:1] in ("s", "l") else None
        if number is not None:
            return (number, None) if value[0] == "s" else (None, number)
        return (None, None)


class AcceptForm(IdempotentForm):
    """Accept a request into a work order; the note goes into the audit trail, not to the tenant."""

    note = StringField("Note for the work order (optional)", validators=[Length(max=300)])


class RejectForm(IdempotentForm):
    """Reject a request; the reason is shown to the person who reported it."""

    reason = TextAreaField(
        "Reason the person will see",
        validators=[
            InputRequired("Write the reason the person will see."),
            Length(max=500, message="At most 500 characters."),
        ],
    )


class MergeForm(IdempotentForm):
    """Merge a duplicate into an earlier request of the same site."""

    into = SelectField("Same problem as", coerce=coerce_id, choices=[], validate_choice=False)
    note = StringField("Why (optional, staff only)", validators=[Length(max=300)])


STATUS_FILTER_CHOICES = [
    SelectChoice(WorkRequestStatus.new.value, "Waiting"),
    SelectChoice(WorkRequestStatus.accepted.value, "Accepted"),
    SelectChoice(WorkRequestStatus.rejected.value, "Rejected"),
    SelectChoice(WorkRequestStatus.merged.value, "Merged"),
    SelectChoice("all", "Any status"),
]


class TriageFilterForm(FlaskForm):
    """Site and status filter of the triage queue (GET, no CSRF)."""

    site = SelectField("Site", choices=[], default="", validate_choice=False)
    status = SelectField("Status", choices=STATUS_FILTER_CHOICES, default="new")
    page = WholeNumberField("Page", default=1, maximum=100000, validators=[Optional()])

    def site_id(self) -> int | None:
        """The chosen site's id, or None for all sites."""
        value = self.site.data or ""
        return parse_id(str(value))

    def status_value(self) -> str | None:
        """The chosen status, None for any; unknown values fall back to the triage queue."""
        value = self.status.data or "new"
        if value == "all":
            return None
        return value if value in WorkRequestStatus.__members__ else "new"
