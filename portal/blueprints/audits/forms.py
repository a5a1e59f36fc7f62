"""Audit findings: the CSV upload (the shared portal/forms.CsvUploadForm, confirmed with
portal/forms.ConfirmImportForm) and the form with many lines."""

from __future__ import annotations

from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.domain.audit_findings import CELL_LIMITS, DEFAULT_PRIORITY, check_deadline
from portal.domain.work_orders import Priority
from portal.fields import DayField
from portal.forms import CsvUploadForm, IdempotentForm
from portal.services import audit_findings

START_LINES = 5
MAX_LINES = 100  # more than this is a file's job

PRIORITY_CHOICES = [SelectChoice(p.value, p.value.capitalize()) for p in Priority]


class ImportFindingsForm(CsvUploadForm):
    """An audit CSV, uploaded or pasted; checked in a dry run before anything is made."""


class FindingLineForm(Form):
    """One finding of the many-lines form: what is wrong, and on which asset."""

    finding = TextAreaField("Finding", validators=[Length(max=CELL_LIMITS["finding"])])
    asset_tag = StringField("Asset tag", validators=[Length(max=CELL_LIMITS["asset_tag"])])

    @property
    def blank(self) -> bool:
        """True when nothing was typed on this line."""
        return not (self.finding.data or "").strip() and not (self.asset_tag.data or "").strip()


class AuditFindingsForm(IdempotentForm):
    """An audit's reference and deadline once, then its findings line by line."""

    audit_reference = StringField(
        "Audit reference",
        validators=[InputRequired("Give the audit's reference."), Length(max=80)],
    )
    deadline = DayField("Deadline", validators=[InputRequired("Give the deadline.")])
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, default=DEFAULT_PRIORITY.value)
    lines = FieldList(FormField(FindingLineForm), min_entries=START_LINES, max_entries=MAX_LINES)

    def validate_deadline(self, field) -> None:
        """Said once here, rather than once per line by the import's own check."""
        if field.data is not None:
            problem = check_deadline(field.data.isoformat(), today=audit_findings.today())[1]
            if problem:
                raise ValidationError(f"The {problem}.")

    def validate(self, extra_validators=None) -> bool:
        """At least one line must say something."""
        ok = super().validate(extra_validators)
        if all(line.form.blank for line in self.lines):
            self.form_errors.append("Write at least one finding.")
            return False
        return ok
