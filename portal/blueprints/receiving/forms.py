"""Receiving forms: the delivery's header (packing slip, photo, note) and one card per PO line."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SearchField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.domain.fields import FieldRefused, plain_number
from portal.domain.receiving import ReceiptRefused, parse_receipt_qty
from portal.forms import IdempotentForm
from portal.services.receiving import LineReceipt


class FindPoForm(FlaskForm):
    """A PO number typed or scanned at the dock (GET, no CSRF)."""

    q = SearchField("PO number", validators=[Optional(), Length(max=40)])


class ReceiptForm(IdempotentForm):
    """What came with the delivery; the quantities are per line (see read_lines)."""

    packing_slip_ref = StringField("Packing slip number", validators=[Optional(), Length(max=80)])
    packing_slip = FileField("Photo of the packing slip")
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])


@dataclass
class LineInput:
    """What was typed on one line card, kept as typed so the form can show it again."""

    accepted: str = ""
    rejected: str = ""
    reason: str = ""
    error: str | None = None


@dataclass
class LinesRead:
    """The lines a receiver filled in, and what was wrong with any of them."""

    entries: list[LineReceipt] = field(default_factory=list)
    inputs: dict[int, LineInput] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No line has an error."""
        return not any(i.error for i in self.inputs.values())


def read_lines(formdata, line_ids: list[int]) -> LinesRead:
    """Each open line's accepted / rejected / reason; lines left empty are not part of it."""
    read = LinesRead()
    for line_id in line_ids:
        typed = LineInput(
            accepted=(formdata.get(f"accepted-{line_id}") or "").strip()[:20],
            rejected=(formdata.get(f"rejected-{line_id}") or "").strip()[:20],
            reason=(formdata.get(f"reason-{line_id}") or "").strip()[:200],
        )
        read.inputs[line_id] = typed
        try:
            accepted = parse_receipt_qty(plain_number(typed.accepted, label="Accepted"))
            rejected = parse_receipt_qty(plain_number(typed.rejected, label="Rejected"))
        except FieldRefused:
            typed.error = "Enter a number, like 2 or 1.5."
            continue
        except ReceiptRefused as err:
            typed.error = str(err)
            continue
        if accepted == 0 and rejected == 0:
            continue
        if rejected > 0 and not typed.reason:
            typed.error = "Say why goods were rejected."
            continue
        read.entries.append(
            LineReceipt(line_id, accepted, rejected, typed.reason if rejected > 0 else None)
        )
    return read
