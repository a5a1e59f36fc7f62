"""The invoice CSV import, on the one import pipeline (`portal/services/csv_import.py`).

The dry run checks every row (shape, PO and line exist, number not already used by the vendor
or by another PO in the file) and names each problem by row; the confirmed import re-checks the
file and enters every invoice and matches them in one transaction, or writes nothing. The file's
layout is docs/invoices.md.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.domain import invoices as rules
from portal.domain.invoices import CsvRow
from portal.domain.permissions import Capability as C
from portal.domain.tabular import Parsed, RowProblem
from portal.models import PurchaseOrder, User, VendorInvoice
from portal.services import csv_import, matching
from portal.services.authz import authorize
from portal.services.csv_import import Importer, Preview
from portal.services.invoices import NewLine, create_invoice

EXAMPLE = (
    ("PO-2026-000123", "INV-4711", "2026-11-20", "invoice", "1", "10", "12.50", "15.00", "0"),
    ("PO-2026-000123", "INV-4711", "2026-11-20", "invoice", "2", "4", "3.20", "", ""),
)


def _orders(session: Session, rows: list[Parsed[CsvRow]]) -> dict[str, PurchaseOrder]:
    """The POs the rows name, by upper-cased number, with their lines (two queries)."""
    numbers = {parsed.value.po_number.upper() for parsed in rows}
    return {
        po.number.upper(): po
        for po in session.scalars(
            select(PurchaseOrder)
            .options(selectinload(PurchaseOrder.lines))
            .where(func.upper(PurchaseOrder.number).in_(numbers))
        )
    }


def _taken(session: Session, keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (vendor, normalised number) pairs an active invoice already uses (one query)."""
    if not keys:
        return set()
    return {
        (vendor_id, number)
        for vendor_id, number in session.execute(
            select(VendorInvoice.vendor_id, VendorInvoice.normalised_number).where(
                VendorInvoice.vendor_id.in_({vendor for vendor, _ in keys}),
                VendorInvoice.normalised_number.in_({number for _, number in keys}),
                VendorInvoice.status.not_in(rules.INACTIVE),
            )
        )
    }


def _check(session: Session, rows: list[Parsed[CsvRow]]) -> list[RowProblem]:
    """What the database says about the rows: PO and line exist, number not used yet, not
    used for two POs in the file; and rows of one invoice agree."""
    problems = rules.rows_disagree(rows)
    pos = _orders(session, rows)
    keys = {
        (po.vendor_id, parsed.value.key[1])
        for parsed in rows
        if (po := pos.get(parsed.value.po_number.upper()))
    }
    taken = _taken(session, keys)
    first_in_file: dict[tuple[int, str], tuple[str, int]] = {}
    for parsed in rows:
        row = parsed.value
        po = pos.get(row.po_number.upper())
        if po is None:
            problems.append(RowProblem(parsed.row, f"PO {row.po_number} does not exist"))
            continue
        if row.po_line not in {line.line_no for line in po.lines}:
            problems.append(RowProblem(parsed.row, f"{po.number} has no line {row.po_line}"))
        key = (po.vendor_id, row.key[1])
        if key in taken:
            message = f"invoice {row.invoice_number} from this vendor is already entered"
            problems.append(RowProblem(parsed.row, message))
        owner = first_in_file.setdefault(key, (po.number, parsed.row))
        if owner[0] != po.number:
            message = f"invoice {row.invoice_number} is also used for {owner[0]} on row {owner[1]}"
            problems.append(RowProblem(parsed.row, message))
    return problems


def _write(session: Session, rows: list[Parsed[CsvRow]], actor: User) -> list[VendorInvoice]:
    """Enter one invoice per (PO, number) of the checked rows, and match them all."""
    pos = _orders(session, rows)
    groups: dict[tuple[str, str], list[CsvRow]] = defaultdict(list)
    for parsed in rows:
        groups[parsed.value.key].append(parsed.value)
    created = []
    for group in groups.values():
        lead = group[0]
        po = pos[lead.po_number.upper()]
        by_no = {line.line_no: line for line in po.lines}
        created.append(
            create_invoice(
                session,
                po,
                number=lead.invoice_number,
                invoice_on=lead.invoice_on,
                lines=[NewLine(by_no[r.po_line].id, r.qty, r.unit_price) for r in group],
                invoice_type=lead.type,
                freight=lead.freight,
                tax=lead.tax,
                total_amount=None,
                actor=actor,
            )
        )
    matching.match_batch(
        session, [invoice.id for invoice in created], actor=actor, why="matched on import"
    )
    for invoice in created:
        session.refresh(invoice)
    return created


INVOICES = Importer(
    kind="vendor_invoices",
    spec=rules.IMPORT_SPEC,
    parse_row=rules.parse_invoice_row,
    check=_check,
    write=_write,
    example=EXAMPLE,
)


def template_csv() -> str:
    """The header and two example lines of one invoice."""
    return INVOICES.template_csv()


def preview_import(data: bytes | str) -> Preview[CsvRow]:
    """Dry run of an invoice CSV: every row's problems; nothing is written."""
    return csv_import.preview(INVOICES, data)


def invoice_count(preview: Preview[CsvRow]) -> int:
    """How many invoices the previewed rows make."""
    return len({parsed.value.key for parsed in preview.rows})


def import_invoices(
    data: bytes | str, *, actor: User, submission_id: str | None
) -> list[VendorInvoice]:
    """Enter every invoice of a checked CSV and match them: all or none (ImportRefused names
    every bad row); the same submission again gets the first import's invoices."""
    authorize(actor, C.enter_invoices)
    return csv_import.run_import(INVOICES, data, actor=actor, submission_id=submission_id)
