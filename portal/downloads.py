"""Sending a CSV download: the one writer (formula-safe cells) behind every export."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, stream_with_context

from portal.domain.tabular import csv_lines


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV attachment, streamed a line at a time, with a BOM so spreadsheets read UTF-8.

    Check everything that can fail (filters, ranges) before calling this: once the first line
    is sent, the status is 200.
    """

    def generate():
        yield "\ufeff"
        yield from csv_lines(header, rows)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
