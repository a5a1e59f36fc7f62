"""Audit findings: the CSV upload, its confirmation, and the form with many lines."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.domain.audit_findings import (
    CELL_LIMITS,
    DEFAULT_PRIORITY,
    MAX_FILE_BYTES,
    check_deadline,
)
from portal.domain.work_orders import Priority
from portal.forms import IdempotentForm
from portal.services import audit_findings

START_LINES = 5
MAX_LINES = 100  # more than this is a file's job

PRIORITY_CHOICES = [SelectChoice(p.value, p.value.capitalize()) for p in Priority]


class ImportFindingsForm(FlaskForm):
    """An audit CSV, uploaded or pasted; checked in a dry run before anything is made."""

    file = FileField(
        "CSV file",
        validators=[
            FileAllowed(["csv"], "Choose a .csv file."),
            FileSize(max_size=MAX_FILE_BYTES, message="The file is larger than 1 MB."),
        ],
    )
    text = TextAreaField(
        "Or paste the rows, header first",
        validators=[Optional(), Length(max=MAX_FILE_BYTES, message="That is more than 1 MB.")],
    )

    def validate(self, extra_validators=None) -> bool:
        """One of the two is needed."""
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.text.data or "").strip():
            self.form_errors.append("Choose a CSV file, or paste the rows.")
            return False
        return True


class ConfirmImportForm(IdempotentForm):
    """The checked CSV sent back unchanged, with the token that makes it one import."""

    csv_text = HiddenField(validators=[InputRequired(), Length(max=MAX_FILE_BYTES)])


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
    deadline = DateField("Deadline", validators=[InputRequired("Give the deadline.")])
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
