"""How to build a valid world: master data rows with defaults, shared by the demo, the tests'
factories (tests/factories.py) and the benchmark generators (bench/).

Only plain master data is built here: people, sites and places, assets, items and stock,
vendors and contracts, cost centres with budgets, the approval matrix, teams and policy rules.
Documents (work orders, requests, orders, receipts, invoices) are made by the real use cases
(the demo) or, for tests and bulk benchmarks, from the row shapes in portal/demo/rows.py.

Each `add_<thing>(session, ...)` builds one object with a default for every column it leaves
out, adds it to the session and returns it; nothing is committed (tests' factories commit).
Relationships are given as objects, so a whole world can be built before one flush.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from portal.domain.policy import RuleKind
from portal.domain.roles import Role
from portal.domain.statuses import (
    Criticality,
    ItemKind,
    MovementKind,
    RequestIntake,
    VendorStatus,
)
from portal.models import (
    ApprovalRule,
    Asset,
    Budget,
    Contract,
    ContractPrice,
    CostCentre,
    Item,
    Location,
    PolicyRule,
    PreferredVendor,
    Site,
    StockLevel,
    StockMovement,
    Storeroom,
    Team,
    TeamMember,
    User,
    UserRole,
    Vendor,
)
from portal.services.assets import new_qr_token

# No 0/O or 1/I: the code is typed from a label.
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_serial = itertools.count(1)


def serial() -> int:
    """A number unique in this process, for default codes and names."""
    return next(_serial)


def _amount(value: Decimal | str | int | None) -> Decimal | None:
    """An exact amount from text, an int or a Decimal (never a float)."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("amounts are given as str or Decimal, never float")
    return Decimal(str(value))


# ---------------------------------------------------------------- people


def add_user(
    session: Session,
    *,
    username: str | None = None,
    full_name: str | None = None,
    roles: Iterable[str] = (Role.technician,),
    password: str | None = None,
    **columns: Any,
) -> User:
    """A person who can sign in (a random password unless one is given) holding `roles`."""
    n = serial()
    user = User(
        username=username or f"user{n}",
        full_name=full_name or f"Test Person {n}",
        **columns,
    )
    user.set_password(password or secrets.token_urlsafe(16))
    user.role_rows = [UserRole(role=Role(role)) for role in roles]
    session.add(user)
    return user


def add_team(session: Session, *, name: str, site: Site, members: Iterable[User] = ()) -> Team:
    """A team at a site, with its members."""
    team = Team(name=name, site_id=site.id)
    team.members = [TeamMember(user=user) for user in members]
    session.add(team)
    return team


# ---------------------------------------------------------------- places and assets


def add_site(
    session: Session,
    *,
    code: str | None = None,
    name: str | None = None,
    request_intake: RequestIntake = RequestIntake.triage,
    **columns: Any,
) -> Site:
    """A site (a plant, a building complex)."""
    n = serial()
    site = Site(
        code=code or f"S{n}", name=name or f"Site {n}", request_intake=request_intake, **columns
    )
    session.add(site)
    return site


def add_location(
    session: Session,
    *,
    site: Site,
    code: str | None = None,
    name: str | None = None,
    kind: str = "area",
    parent: Location | None = None,
) -> Location:
    """A building, area or unit inside a site."""
    n = serial()
    location = Location(
        site=site, parent=parent, code=code or f"L{n}", name=name or f"Area {n}", kind=kind
    )
    session.add(location)
    return location


def new_short_code(taken: set[str] | None = None) -> str:
    """Six characters a person can read off a label and type (not one of `taken`)."""
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(6))
        if taken is None or code not in taken:
            if taken is not None:
                taken.add(code)
            return code


def short_code_for(number: int) -> str:
    """Eight characters from a number: unique per number, never a six-character random code.

    For assets made in bulk (bench/), where drawing random codes would need a lookup each.
    """
    chars, n = [], number
    for _ in range(7):
        n, digit = divmod(n, len(SHORT_CODE_ALPHABET))
        chars.append(SHORT_CODE_ALPHABET[digit])
    return "Z" + "".join(reversed(chars))


def asset_values(
    *,
    tag: str,
    location_id: int | None = None,
    name: str | None = None,
    category: str = "Pumps",
    criticality: Criticality | str = Criticality.medium,
    qr_token: str | None = None,
    short_code: str | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """The columns of one asset, with a fresh QR token and short code unless given.

    Plain values, for set-based inserts (bench/) and for add_asset alike.
    """
    values: dict[str, Any] = {
        "tag": tag,
        "name": name or f"Machine {tag}",
        "category": category,
        "criticality": Criticality(criticality),
        "qr_token": qr_token or new_qr_token(),
        "short_code": short_code or new_short_code(),
        **columns,
    }
    if location_id is not None:
        values["location_id"] = location_id
    return values


def add_asset(session: Session, *, location: Location, tag: str | None = None, **columns: Any):
    """An asset at `location` with its QR token and short code."""
    asset = Asset(location=location, **asset_values(tag=tag or f"T-{serial()}", **columns))
    session.add(asset)
    return asset


# ---------------------------------------------------------------- items and stock


def add_item(
    session: Session,
    *,
    part_number: str | None = None,
    description: str | None = None,
    kind: ItemKind | str = ItemKind.stock,
    uom: str | None = None,
    category: str = "Bearings",
    standard_cost: Decimal | str | None = "10.00",
    **columns: Any,
) -> Item:
    """A stocked part by default; a non-stock part or a service with `kind`."""
    n = serial()
    kind = ItemKind(kind)
    item = Item(
        part_number=part_number or f"P-{n:05d}",
        description=description or f"Part {n}",
        uom=uom or ("VISIT" if kind is ItemKind.service else "EA"),
        category=category,
        kind=kind,
        standard_cost=_amount(standard_cost),
        **columns,
    )
    session.add(item)
    return item


def add_storeroom(
    session: Session, *, site: Site, code: str | None = None, name: str | None = None
) -> Storeroom:
    """A storeroom at a site."""
    n = serial()
    store = Storeroom(site=site, code=code or f"ST{n}", name=name or f"Storeroom {n}")
    session.add(store)
    return store


def add_stock(
    session: Session,
    *,
    item: Item,
    storeroom: Storeroom,
    on_hand: Decimal | str = "0",
    unit_cost: Decimal | str | None = None,
    bin: str | None = None,
) -> StockLevel:
    """What a storeroom holds of an item, at its unit cost (the item's standard cost), with the
    opening count as its first stock movement: on hand is always the sum of the movements."""
    cost = _amount(unit_cost) if unit_cost is not None else item.standard_cost
    level = StockLevel(
        item=item,
        storeroom=storeroom,
        on_hand_qty=_amount(on_hand),
        reserved_qty=Decimal(0),
        unit_cost=cost if cost is not None else Decimal(0),
        bin=bin,
    )
    session.add(level)
    if level.on_hand_qty:
        session.flush()  # the movement names the item and storeroom by id
        session.add(
            StockMovement(
                item_id=item.id,
                storeroom_id=storeroom.id,
                kind=MovementKind.adjustment,
                qty=level.on_hand_qty,
                unit_cost=level.unit_cost,
            )
        )
    return level


# ---------------------------------------------------------------- vendors and contracts


def add_vendor(
    session: Session,
    *,
    code: str | None = None,
    name: str | None = None,
    payment_terms: str = "Net 30",
    preferred_for: Iterable[str] = (),
    blocked_reason: str | None = None,
    **columns: Any,
) -> Vendor:
    """An active vendor (blocked, with the reason, when `blocked_reason` is given)."""
    n = serial()
    vendor = Vendor(
        code=code or f"V{n}", name=name or f"Vendor {n}", payment_terms=payment_terms, **columns
    )
    if blocked_reason:
        vendor.status, vendor.blocked_reason = VendorStatus.blocked, blocked_reason
    vendor.preferred_for = [PreferredVendor(category=category) for category in preferred_for]
    session.add(vendor)
    return vendor


def add_contract(
    session: Session,
    *,
    vendor: Vendor,
    valid_from: date,
    valid_to: date,
    reference: str | None = None,
    title: str | None = None,
    prices: Iterable[tuple[Item | str, str, Decimal | str]] = (),
    **columns: Any,
) -> Contract:
    """A contract or price agreement; `prices` are (Item or category name, uom, unit price)."""
    n = serial()
    contract = Contract(
        vendor=vendor,
        reference=reference or f"C-{n}",
        title=title or f"Price agreement {n}",
        valid_from=valid_from,
        valid_to=valid_to,
        **columns,
    )
    for what, uom, price in prices:
        is_item = isinstance(what, Item)
        contract.prices.append(
            ContractPrice(
                item=what if is_item else None,
                category=None if is_item else what,
                uom=uom,
                unit_price=_amount(price),
            )
        )
    session.add(contract)
    return contract


# ---------------------------------------------------------------- money: budgets and approvals


def add_cost_centre(
    session: Session,
    *,
    code: str | None = None,
    name: str | None = None,
    site: Site | None = None,
    budget: Decimal | str | None = "10000.00",
    year: int | None = None,
    **columns: Any,
) -> CostCentre:
    """A cost centre with a budget for one calendar year (this one unless `year`); budget=None:
    no budget row."""
    n = serial()
    centre = CostCentre(code=code or f"CC-{n}", name=name or f"Cost centre {n}", **columns)
    centre.site = site
    session.add(centre)
    if budget is not None:
        add_budget(session, cost_centre=centre, amount=budget, year=year)
    return centre


def add_budget(
    session: Session, *, cost_centre: CostCentre, amount: Decimal | str, year: int | None = None
) -> Budget:
    """What a cost centre may spend in one calendar year."""
    year = year or date.today().year
    budget = Budget(
        cost_centre=cost_centre,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        amount=_amount(amount),
    )
    session.add(budget)
    return budget


def add_approval_rule(
    session: Session,
    *,
    role: Role | str = Role.supervisor,
    min_amount: Decimal | str = "0.00",
    max_amount: Decimal | str | None = None,
    approvals_needed: int = 1,
    **columns: Any,
) -> ApprovalRule:
    """One row of the approval matrix (global unless cost_centre_id is given)."""
    rule = ApprovalRule(
        min_amount=_amount(min_amount),
        max_amount=_amount(max_amount),
        role=Role(role),
        approvals_needed=approvals_needed,
        **columns,
    )
    session.add(rule)
    return rule


# The matrix the demo runs on: up to 500.00 a supervisor, to 5,000.00 an approver, above two.
APPROVAL_MATRIX = (
    (Role.supervisor, "0.00", "500.00", 1),
    (Role.approver, "500.01", "5000.00", 1),
    (Role.approver, "5000.01", None, 2),
)


def add_approval_matrix(session: Session) -> list[ApprovalRule]:
    """The three bands of APPROVAL_MATRIX."""
    return [
        add_approval_rule(
            session, role=role, min_amount=low, max_amount=high, approvals_needed=needed
        )
        for role, low, high, needed in APPROVAL_MATRIX
    ]


def add_policy_rule(
    session: Session,
    *,
    name: str | None = None,
    kind: RuleKind | str = RuleKind.amount_at_least,
    amount: Decimal | str | None = "500.00",
    categories: Iterable[str] = (),
    item_kinds: Iterable[str] = ("service",),
    **columns: Any,
) -> PolicyRule:
    """An active purchasing-policy rule: by default a PO from 500.00 for outside services."""
    rule = PolicyRule(
        name=name or f"Rule {serial()}",
        kind=RuleKind(kind),
        amount=_amount(amount),
        categories=list(categories),
        item_kinds=list(item_kinds),
        active=columns.pop("active", True),
        **columns,
    )
    session.add(rule)
    return rule
