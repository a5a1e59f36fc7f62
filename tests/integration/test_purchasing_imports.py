"""Purchasing imports no work order, work request, home page or receiving service.

services.work_orders imports services.contractors (the contractor check before work starts) and
the home page reads purchasing's read models, so a purchasing module that reached back into any
of them would close an import cycle. What purchasing tells them travels as events.
"""

from __future__ import annotations

import subprocess
import sys

PURCHASING = [
    "portal.services.approvals",
    "portal.services.contractors",
    "portal.services.out_of_pocket",
    "portal.services.po_creation",
    "portal.services.po_document",
    "portal.services.policy",
    "portal.services.purchase_orders",
    "portal.services.purchase_requests",
    "portal.services.vendors",
    "portal.read_models.approvals",
    "portal.read_models.contractors",
    "portal.read_models.out_of_pocket",
    "portal.read_models.policy",
    "portal.read_models.purchase_orders",
    "portal.read_models.purchase_requests",
    "portal.read_models.sourcing",
    "portal.read_models.vendors",
]
OTHERS = [
    "portal.services.work_orders",
    "portal.services.work_requests",
    "portal.services.dashboards",
    "portal.services.receiving",
]


def test_purchasing_modules_reach_no_work_order_request_home_or_receiving_service():
    script = (
        "import importlib, sys\n"
        f"for name in {PURCHASING!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(n for n in sys.modules if n in {OTHERS!r}))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"
