"""Document numbers: the only place their format is decided."""

from enum import StrEnum


class Sequence(StrEnum):
    """A counter that hands out document numbers."""

    work_order = "WO"
    purchase_request = "PR"
    purchase_order = "PO"
    goods_receipt = "GR"


def format_number(sequence: Sequence, value: int, year: int | None = None) -> str:
    """WO-000123 and PR-000123 run forever; PO-2026-000123 and GR-2026-000123 restart each year."""
    if value < 1:
        raise ValueError("document numbers start at 1")
    if sequence in (Sequence.purchase_order, Sequence.goods_receipt):
        if year is None:
            raise ValueError(f"{sequence.value} numbers need a year")
        return f"{sequence.value}-{year:04d}-{value:06d}"
    return f"{sequence.value}-{value:06d}"


def counter_key(sequence: Sequence, year: int) -> str:
    """The counter row a number is drawn from: one per sequence, or per sequence and year."""
    if sequence in (Sequence.purchase_order, Sequence.goods_receipt):
        return f"{sequence.value}-{year:04d}"
    return sequence.value
