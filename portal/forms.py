"""Form pieces shared by features: the idempotency token every state-changing form carries."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField
from wtforms.validators import InputRequired, Length, Regexp


def new_submission_id() -> str:
    """A fresh token for one render of a form; the same token posted twice is one action."""
    return uuid.uuid4().hex


class IdempotentForm(FlaskForm):
    """Base of every form that creates something: a double tap or a retry posts the same token."""

    submission_id = HiddenField(
        default=new_submission_id,
        validators=[InputRequired(), Length(min=16, max=64), Regexp(r"^[A-Za-z0-9_-]+$")],
    )


class PhoneDecimalField(DecimalField):
    """A decimal typed on a phone: a single decimal comma (1,5 on many keypads) reads as 1.5."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].count(",") == 1 and "." not in valuelist[0]:
            valuelist = [valuelist[0].replace(",", "."), *valuelist[1:]]
        super().process_formdata(valuelist)
