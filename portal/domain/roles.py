"""Roles a user may hold, and who counts as what."""

from enum import StrEnum


class Role(StrEnum):
    """A job a person does in the portal; a user may hold several."""

    technician = "technician"
    supervisor = "supervisor"
    storekeeper = "storekeeper"
    buyer = "buyer"
    approver = "approver"
    ap_clerk = "ap_clerk"
    admin = "admin"
    auditor = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.technician: "Technician",
    Role.supervisor: "Supervisor",
    Role.storekeeper: "Storekeeper",
    Role.buyer: "Buyer",
    Role.approver: "Approver",
    Role.ap_clerk: "Accounts payable",
    Role.admin: "Administrator",
    Role.auditor: "Auditor",
}


def parse_roles(text: str) -> list[Role]:
    """Roles from a comma-separated list; unknown names raise ValueError naming them."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in Role.__members__]
    if unknown:
        known = ", ".join(Role)
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known roles: {known}")
    if not names:
        raise ValueError("give at least one role")
    return list(dict.fromkeys(Role(name) for name in names))


def allows(held: set[str], required: tuple[str, ...]) -> bool:
    """True when one of the required roles is held; admin may do everything."""
    return Role.admin in held or any(role in held for role in required)
