"""Form pieces shared by features: the idempotency token every state-changing form carries,
and the two steps of every CSV import (the upload, and the confirmation that sends it back)."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.domain.tabular import ImportRefused, text_of

CSV_UPLOAD_MAX_BYTES = (
    1024 * 1024
)  # what an upload form takes; each import's TableSpec may say less


def new_submission_id() -> str:
    """A fresh token for one render of a form; the same token posted twice is one action."""
    return uuid.uuid4().hex


class IdempotentForm(FlaskForm):
    """Base of every form that creates something: a double tap or a retry posts the same token."""

    submission_id = HiddenField(
        default=new_submission_id,
        validators=[InputRequired(), Length(min=16, max=64), Regexp(r"^[A-Za-z0-9_-]+$")],
    )


class CsvUploadForm(FlaskForm):
    """A CSV file, uploaded or pasted, for an import's dry run (imports/_upload_form.html).
    Every import's upload form is this one; a feature subclasses it only to name it."""

    file = FileField(
        "CSV file",
        validators=[
            FileAllowed(["csv"], "Choose a .csv file."),
            FileSize(max_size=CSV_UPLOAD_MAX_BYTES, message="The file is larger than 1 MB."),
        ],
    )
    text = TextAreaField(
        "Or paste the rows, header first",
        validators=[
            Optional(),
            Length(max=CSV_UPLOAD_MAX_BYTES, message="That is more than 1 MB."),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        """One of the two is needed."""
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.text.data or "").strip():
            self.form_errors.append("Choose a CSV file, or paste the rows.")
            return False
        return True

    def csv_text(self) -> str | None:
        """The file (UTF-8, BOM tolerated) or the pasted rows as text; None with the problem
        beside the file field when the file is not text."""
        if not self.file.data:
            return self.text.data or ""
        try:
            return text_of(self.file.data.read())
        except ImportRefused as refused:
            self.file.errors = [*self.file.errors, *(str(p) for p in refused.problems)]
            return None


class ConfirmImportForm(IdempotentForm):
    """The checked CSV sent back unchanged, with the token that makes it one import."""

    csv_text = HiddenField(validators=[InputRequired(), Length(max=CSV_UPLOAD_MAX_BYTES)])
