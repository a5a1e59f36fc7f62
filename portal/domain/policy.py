"""The purchasing policy: rules kept as data that say when a need must go through a PO.

A rule is evaluated against one need (what a PR line asks to buy) and gives a decision with the
reason in words. Three kinds of rule:

- **amount_at_least**: a PO is required when the need's amount is *at or above* the limit, for the
  item kinds in scope (outside services, non-stock parts, stock parts; none listed: any). The limit
  itself is inside: 500.00 against a 500.00 limit needs a PO, 499.99 does not. The kind's name says
  so, and a limit is what finance writes as "from 500.00".
- **category_always**: items of these categories always need a PO, whatever the amount.
- **non_preferred_vendor**: buying from a vendor that is not preferred for the category (and holds
  no valid contract for the item) needs a PO.
- **out_of_pocket_limit**: the most one out-of-pocket claim may be; more goes to a buyer as a PO.
  It requires no PO of a need: `out_of_pocket_limit(rules)` reads it for claims.

A blocked vendor is not a policy decision: it is refused outright (domain.sourcing.BlockedVendor).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from portal.domain.errors import DomainError
from portal.domain.money import format_money, money
from portal.domain.statuses import ItemKind

MAX_LIMIT = Decimal("100000000")
PO_REQUIRED = "po_required"  # the code stored with each decision on a PR line


class RuleKind(StrEnum):
    """What a policy rule looks at."""

    amount_at_least = "amount_at_least"
    category_always = "category_always"
    non_preferred_vendor = "non_preferred_vendor"
    out_of_pocket_limit = "out_of_pocket_limit"


RULE_KIND_LABELS: dict[RuleKind, str] = {
    RuleKind.amount_at_least: "Amount at or above a limit",
    RuleKind.category_always: "Category always needs a PO",
    RuleKind.non_preferred_vendor: "Vendor not preferred for the category",
    RuleKind.out_of_pocket_limit: "Most one out-of-pocket claim may be",
}

ITEM_KIND_WORDS: dict[ItemKind, str] = {
    ItemKind.service: "outside services",
    ItemKind.non_stock: "non-stock parts",
    ItemKind.stock: "stock parts",
}

# What a custom message may say, e.g. "Get a PO first: {amount} is over {limit}".
PLACEHOLDERS = ("amount", "limit", "scope", "category", "vendor", "item", "rule")


class PolicyError(DomainError):
    """A policy rule whose settings do not make sense; the message says which one."""


@dataclass(frozen=True)
class Rule:
    """One active rule of the purchasing policy, as plain values."""

    name: str
    kind: RuleKind
    amount: Decimal | None = None
    categories: tuple[str, ...] = ()
    item_kinds: tuple[ItemKind, ...] = ()  # empty: every kind
    message: str | None = None
    rule_id: int | None = None


@dataclass(frozen=True)
class Need:
    """What someone asks to buy: the facts the policy looks at."""

    amount: Decimal
    item_kind: ItemKind
    item_label: str = ""
    category: str | None = None
    vendor_name: str | None = None  # None: no vendor chosen yet
    preferred: bool | None = None  # None: the category has no preferred vendors
    on_contract: bool = False


@dataclass(frozen=True)
class Decision:
    """A rule that applies to the need: a PO is required, and why in words."""

    text: str
    rule_name: str
    rule_id: int | None = None
    code: str = PO_REQUIRED

    def as_dict(self) -> dict:
        """For storing on a PR line (JSON), beside the sourcing warnings."""
        return {
            "code": self.code,
            "rule_id": self.rule_id,
            "rule": self.rule_name,
            "text": self.text,
        }


# ---------------------------------------------------------------- checking a rule's settings


def parse_limit(text: str | Decimal | None) -> Decimal:
    """A limit typed by a person: a positive amount with at most two decimals; else PolicyError."""
    if isinstance(text, float):
        raise TypeError("a limit must not be a float; pass a str or Decimal")
    raw = str(text).strip().replace(",", "") if text is not None else ""
    if not raw:
        raise PolicyError("Enter the limit, like 500.00.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise PolicyError("Enter the limit as a number, like 500.00.") from None
    if not value.is_finite() or value <= 0:
        raise PolicyError("The limit must be more than 0.")
    if value >= MAX_LIMIT:
        raise PolicyError("That limit is too large: check the number.")
    if value != value.quantize(Decimal("0.01")):
        raise PolicyError("Use at most 2 decimal places for the limit.")
    return money(value)


def parse_categories(text: str | None) -> tuple[str, ...]:
    """Categories from a comma-separated list, trimmed, duplicates dropped (case-insensitive)."""
    seen: dict[str, str] = {}
    for part in (text or "").split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name[:60]
    return tuple(seen.values())


def check_message(template: str | None) -> str | None:
    """A custom message, checked: only the known {placeholders}; None when left empty."""
    text = (template or "").strip()
    if not text:
        return None
    if len(text) > 300:
        raise PolicyError("Keep the message under 300 characters.")
    allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise PolicyError(
            f"The message has an unmatched brace. Placeholders you can use: {allowed}."
        ) from None
    for _literal, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in PLACEHOLDERS or spec or conversion:
            raise PolicyError(f"Unknown placeholder {{{field_name}}}. You can use: {allowed}.")
    return text


def build_rule(
    *,
    name: str,
    kind: RuleKind | str,
    amount: str | Decimal | None = None,
    categories: str | None = None,
    item_kinds: list[str] | tuple[str, ...] = (),
    message: str | None = None,
    rule_id: int | None = None,
) -> Rule:
    """A rule from what was typed, checked for its kind; PolicyError in words otherwise."""
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise PolicyError("Give the rule a name.")
    if len(clean_name) > 120:
        raise PolicyError("Keep the name under 120 characters.")
    try:
        kind = RuleKind(kind)
    except ValueError:
        raise PolicyError("Choose what the rule looks at.") from None
    try:
        kinds = tuple(dict.fromkeys(ItemKind(k) for k in item_kinds))
    except ValueError:
        raise PolicyError("Choose item kinds from the list.") from None
    cats = parse_categories(categories)
    limit = None
    if kind in (RuleKind.amount_at_least, RuleKind.out_of_pocket_limit):
        limit = parse_limit(amount)
        cats = ()
        if kind is RuleKind.out_of_pocket_limit:
            kinds = ()
    elif kind is RuleKind.category_always:
        if not cats:
            raise PolicyError("List at least one category, like Electrical.")
        kinds = ()
    else:  # non_preferred_vendor: optionally only for some categories
        kinds = ()
    return Rule(
        name=clean_name,
        kind=kind,
        amount=limit,
        categories=cats,
        item_kinds=kinds,
        message=check_message(message),
        rule_id=rule_id,
    )


# ---------------------------------------------------------------- evaluating a need


def scope_words(item_kinds: tuple[ItemKind, ...] | list[ItemKind]) -> str:
    """The item kinds a rule covers, in words: "outside services and non-stock parts"."""
    kinds = [ItemKind(k) for k in item_kinds]
    if not kinds or set(kinds) == set(ItemKind):
        return "any purchase"
    words = [words for k, words in ITEM_KIND_WORDS.items() if k in kinds]
    return " and ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " and " + words[-1]


def _in_categories(category: str | None, categories: tuple[str, ...]) -> bool:
    """True when `category` is one of `categories`, ignoring case."""
    if not category:
        return False
    return category.casefold() in {c.casefold() for c in categories}


def _default_text(rule: Rule, need: Need, amount: Decimal) -> str:
    """The reason in words when the rule has no message of its own."""
    if rule.kind is RuleKind.amount_at_least:
        limit = format_money(rule.amount)
        relation = "at" if amount == rule.amount else "above"
        return (
            f"PO required: {format_money(amount)} is {relation} the {limit} limit "
            f"for {scope_words(rule.item_kinds)}."
        )
    if rule.kind is RuleKind.category_always:
        return f"PO required: {need.category} purchases always need a PO."
    return (
        f"PO required: {need.vendor_name} is not a preferred vendor for {need.category}"
        f" and has no contract for {need.item_label or 'this item'}."
    )


def _applies(rule: Rule, need: Need, amount: Decimal) -> bool:
    """Whether the rule says this need requires a PO."""
    if rule.kind is RuleKind.amount_at_least:
        in_scope = not rule.item_kinds or ItemKind(need.item_kind) in rule.item_kinds
        return in_scope and rule.amount is not None and amount >= rule.amount
    if rule.kind is RuleKind.category_always:
        return _in_categories(need.category, rule.categories)
    if rule.kind is RuleKind.non_preferred_vendor:
        if rule.categories and not _in_categories(need.category, rule.categories):
            return False
        return need.vendor_name is not None and need.preferred is False and not need.on_contract
    return False


def out_of_pocket_limit(rules: list[Rule]) -> Decimal | None:
    """The most one out-of-pocket claim may be (the lowest active limit); None: no limit set."""
    limits = [
        r.amount for r in rules if r.kind is RuleKind.out_of_pocket_limit and r.amount is not None
    ]
    return min(limits) if limits else None


def evaluate(need: Need, rules: list[Rule]) -> list[Decision]:
    """Every rule that requires a PO for this need, in the order given, each with its reason."""
    if isinstance(need.amount, float):
        raise TypeError("a need's amount must not be a float")
    amount = money(need.amount)
    decisions: list[Decision] = []
    for rule in rules:
        if not _applies(rule, need, amount):
            continue
        if rule.message:
            values = {
                "amount": format_money(amount),
                "limit": format_money(rule.amount) if rule.amount is not None else "",
                "scope": scope_words(rule.item_kinds),
                "category": need.category or "",
                "vendor": need.vendor_name or "",
                "item": need.item_label,
                "rule": rule.name,
            }
            text = rule.message.format_map(values)
        else:
            text = _default_text(rule, need, amount)
        decisions.append(Decision(text=text, rule_name=rule.name, rule_id=rule.rule_id))
    return decisions


def po_required(decisions: list[Decision]) -> bool:
    """A need with at least one decision must go through a PO."""
    return any(d.code == PO_REQUIRED for d in decisions)


def warning_text(entry: object) -> str:
    """The words of one stored PR-line warning: a plain note, or a coded dict with its text."""
    if isinstance(entry, dict):
        return str(entry.get("text", ""))
    return str(entry)


def has_code(entries: list | None, code: str) -> bool:
    """True when stored warnings hold one with this code (off_contract, po_required...)."""
    return any(isinstance(e, dict) and e.get("code") == code for e in entries or [])


def decision_texts(entries: list | None) -> list[str]:
    """The policy's reasons stored on a PR line, in words ("PO required: ...")."""
    return [
        warning_text(e)
        for e in entries or []
        if isinstance(e, dict) and e.get("code") == PO_REQUIRED
    ]


def warning_texts(entries: list | None, *, coded: bool = True) -> list[str]:
    """Stored PR-line warnings as words, policy decisions first (unless `coded` is False: then
    only the other notes), then the sourcing notes."""
    entries = list(entries or [])
    rest = [e for e in entries if not (isinstance(e, dict) and e.get("code") == PO_REQUIRED)]
    texts = [warning_text(e) for e in rest]
    return [*decision_texts(entries), *texts] if coded else texts
