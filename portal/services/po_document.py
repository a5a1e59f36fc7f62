"""The PO document a vendor receives: a real PDF (fpdf2) and the QR code the receiving dock scans.

The QR code holds exactly the PO number ("PO-2026-000123"): the receiving page accepts that text.
fpdf2's core fonts speak Latin-1, so text is narrowed to it (a character outside it becomes "?"),
and a long order flows onto more pages with the column headings repeated.
"""

from __future__ import annotations

import io
from typing import cast

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal.domain import labels
from portal.domain.money import format_money, format_qty
from portal.models import PurchaseOrder
from portal.read_models.purchase_orders import PoPage

PAPER = {"a4": "A4", "letter": "Letter"}
# Column widths in mm for: no, description (+WO), qty, uom, unit price, disc %, amount.
COLUMNS = (("#", 8, "L"), ("Description", 74, "L"), ("Qty", 18, "R"), ("Unit", 14, "L"))
MONEY_COLUMNS = (("Unit price", 24, "R"), ("Disc %", 14, "R"), ("Amount", 26, "R"))


def qr_svg(number: str) -> str:
    """The PO number as an inline SVG QR code for the printable page."""
    return segno.make(number, error="m").svg_inline(scale=3, border=0, dark="#000", light=None)


def qr_png(number: str) -> bytes:
    """The PO number as a PNG QR code for the PDF."""
    buffer = io.BytesIO()
    segno.make(number, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _latin(text: object) -> str:
    """Text the PDF core fonts can draw."""
    value = "" if text is None else str(text)
    value = value.replace("→", "->").replace("—", "-").replace("–", "-").replace("’", "'")
    return value.encode("latin-1", "replace").decode("latin-1")


class _Document(FPDF):
    """A PO with a running footer naming the number and the page."""

    po_number = ""

    def footer(self) -> None:
        """Number and page at the foot of every page."""
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.set_text_color(90)
        self.cell(0, 6, _latin(f"{self.po_number} - page {self.page_no()}/{{nb}}"), align="C")


def render_pdf(view: PoPage, *, paper: str = "a4", company: str = "Field Portal") -> bytes:
    """The PO as a PDF: header, vendor, ship-to, terms, lines, totals and the dock QR code."""
    po = view.po
    pdf = _Document(format=PAPER.get(paper, "A4"))
    pdf.po_number = po.number
    pdf.set_title(_latin(f"Purchase order {po.number}"))
    pdf.set_author(_latin(company))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _heading(pdf, view, company)
    _parties(pdf, po)
    _terms(pdf, po)
    _lines(pdf, view)
    _closing(pdf, view)
    return bytes(pdf.output())


def _heading(pdf: FPDF, view: PoPage, company: str) -> None:
    """Heading, status, date and buyer, with the QR code top right."""
    po, width, qr_size = view.po, pdf.epw, 30
    pdf.image(io.BytesIO(qr_png(po.number)), x=pdf.l_margin + width - qr_size, y=12, w=qr_size)
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(width - qr_size, 9, "PURCHASE ORDER", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(width - qr_size, 8, _latin(po.number), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", size=9)
    status = labels.label(po.status)
    revision = f" - revision {po.revision}" if po.revision else ""
    dated = po.issued_at or po.approved_at or po.created_at
    pdf.cell(
        width - qr_size,
        5,
        _latin(f"{status}{revision} - dated {dated:%d %b %Y}" if dated else status),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(
        width - qr_size,
        5,
        _latin(f"Buyer: {view.buyer_name or '-'} - {company}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(max(pdf.get_y(), 12 + qr_size) + 4)


def _parties(pdf: FPDF, po: PurchaseOrder) -> None:
    """Vendor and ship-to side by side."""
    half = (pdf.epw - 6) / 2
    top = pdf.get_y()
    vendor = po.vendor
    vendor_lines = [vendor.name, vendor.address, vendor.contact_name, vendor.email, vendor.phone]
    _block(pdf, "Vendor", [f"{v}" for v in vendor_lines if v], x=pdf.l_margin, w=half, top=top)
    left_bottom = pdf.get_y()
    _block(pdf, "Ship to", [po.ship_to or "-"], x=pdf.l_margin + half + 6, w=half, top=top)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)


def _terms(pdf: FPDF, po: PurchaseOrder) -> None:
    """Payment terms, currency and, for a service PO, its frequency and billing."""
    terms = [("Payment terms", po.payment_terms), ("Currency", po.currency)]
    if po.service_frequency:
        terms.append(("Service frequency", po.service_frequency))
    if po.billing_schedule:
        terms.append(("Billing schedule", po.billing_schedule))
    for name, value in terms:
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(38, 5, _latin(name))
        pdf.set_font("helvetica", size=9)
        pdf.cell(0, 5, _latin(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _lines(pdf: FPDF, view: PoPage) -> None:
    """The lines under their heading, each with its work order and expected date."""
    _line_heading(pdf)
    for row in view.lines:
        ln = row.line
        description = ln.description
        extras = []
        if row.wo_number:
            extras.append(f"for {row.wo_number}")
        if ln.expected_on:
            extras.append(f"expected {ln.expected_on:%d %b %Y}")
        if extras:
            description += "\n" + ", ".join(extras)
        cells = [
            str(ln.line_no),
            description,
            format_qty(ln.qty),
            ln.uom,
            format_money(ln.unit_price),
            format_qty(ln.discount_percent) if ln.discount_percent else "",
            format_money(row.amount),
        ]
        _line_row(pdf, cells)


def _closing(pdf: FPDF, view: PoPage) -> None:
    """The total, the notes to the vendor and what to quote on delivery notes and invoices."""
    po = view.po
    pdf.ln(2)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(pdf.epw - 40, 7, "Total", align="R")
    pdf.cell(40, 7, _latin(format_money(view.total, po.currency)), align="R")
    pdf.ln(9)
    if po.notes:
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(0, 5, "Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", size=9)
        pdf.multi_cell(0, 4.5, _latin(po.notes), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    pdf.set_font("helvetica", size=8)
    pdf.set_text_color(60)
    pdf.multi_cell(
        0,
        4,
        _latin(
            f"Quote {po.number} on every delivery note and invoice. "
            "The QR code above holds the PO number for the receiving dock."
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _block(pdf: FPDF, title: str, lines: list[str], *, x: float, w: float, top: float) -> None:
    """A titled address block at (x, top)."""
    pdf.set_xy(x, top)
    pdf.set_font("helvetica", "B", 9)
    pdf.cell(w, 5, _latin(title.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("helvetica", size=10)
    for text in lines:
        pdf.set_x(x)
        pdf.multi_cell(w, 5, _latin(text), new_x=XPos.LEFT, new_y=YPos.NEXT)


def _columns() -> tuple[tuple[str, float, str], ...]:
    """Every column: heading, width in mm, alignment."""
    return COLUMNS + MONEY_COLUMNS


def _line_heading(pdf: FPDF) -> None:
    """The column headings of the lines table."""
    pdf.set_font("helvetica", "B", 9)
    pdf.set_fill_color(230, 236, 241)
    for heading, w, align in _columns():
        pdf.cell(w, 7, heading, border="B", align=align, fill=True)
    pdf.ln(7)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """The text's lines in a column `width` mm wide; only a line too long is broken by fpdf2
    (its line breaker measures every character, so lines that fit skip it: ten times faster)."""
    room = width - 2 * pdf.c_margin
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if pdf.get_string_width(paragraph) <= room:
            lines.append(paragraph)
        else:
            found = pdf.multi_cell(width, 4.5, paragraph, dry_run=True, output="LINES")
            # fpdf2 types the result as a union over every `output`; "LINES" gives list[str].
            lines.extend(cast(list[str], found))
    return lines or [""]


def _line_row(pdf: FPDF, cells: list[str]) -> None:
    """One line; the description wraps and the row grows; a page break repeats the heading."""
    pdf.set_font("helvetica", size=9)
    columns = _columns()
    desc_w = columns[1][1]
    description = _wrap(pdf, _latin(cells[1]), desc_w)
    height = len(description) * 4.5 + 2
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
        _line_heading(pdf)
        pdf.set_font("helvetica", size=9)
    y = pdf.get_y()
    x = pdf.l_margin
    for index, ((_heading, w, align), text) in enumerate(zip(columns, cells, strict=True)):
        if index == 1:
            for n, part in enumerate(description):
                pdf.set_xy(x, y + 1 + n * 4.5)
                pdf.cell(w, 4.5, part, align=align)
        else:
            pdf.set_xy(x, y + 1)
            pdf.cell(w, 4.5, _latin(text), align=align)
        x += w
    pdf.set_draw_color(210)
    pdf.line(pdf.l_margin, y + height, pdf.l_margin + pdf.epw, y + height)
    pdf.set_xy(pdf.l_margin, y + height)
