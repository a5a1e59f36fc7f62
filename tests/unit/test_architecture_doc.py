"""docs/architecture.md shows the permission table as it is."""

from __future__ import annotations

from pathlib import Path

from portal.domain.permissions import GRANTS, Capability
from portal.domain.roles import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
COLUMNS = {
    "tech": Role.technician,
    "sup": Role.supervisor,
    "store": Role.storekeeper,
    "buyer": Role.buyer,
    "appr": Role.approver,
    "AP": Role.ap_clerk,
    "audit": Role.auditor,
}


def _documented() -> dict[str, set[Role]]:
    """capability -> roles, as the document's table marks them."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| capability |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")][1:]
    table: dict[str, set[Role]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("| `"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = cells[0].strip("`")
        table[name] = {COLUMNS[col] for col, mark in zip(header, cells[1:], strict=True) if mark}
    return table


def test_the_documented_permission_table_is_the_one_the_code_uses():
    expected = {cap.value: set(GRANTS[cap]) - {Role.admin} for cap in Capability}
    assert _documented() == expected
