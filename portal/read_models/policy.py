"""What the policy pages show: the rules, one rule, and what a rule says in a sentence. Reads
only; keeping the rules and weighing a need against them is `services.policy`.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.domain import policy as rules
from portal.domain.errors import NotFound
from portal.domain.statuses import ItemKind
from portal.models import PolicyRule
from portal.services._uow import current_session


def as_rule(row: PolicyRule) -> rules.Rule:
    """The pure rule behind a stored row."""
    return rules.Rule(
        name=row.name,
        kind=rules.RuleKind(row.kind),
        amount=row.amount,
        categories=tuple(row.categories or ()),
        item_kinds=tuple(ItemKind(k) for k in row.item_kinds or ()),
        message=row.message,
        rule_id=row.id,
    )


def list_rules() -> list[PolicyRule]:
    """All rules, active first, then by name (a bounded list: a policy has a few dozen at most)."""
    return list(
        current_session().scalars(
            select(PolicyRule).order_by(PolicyRule.active.desc(), PolicyRule.name).limit(200)
        )
    )


def get_rule(rule_id: int) -> PolicyRule:
    """One rule, or NotFound."""
    row = current_session().get(PolicyRule, rule_id)
    if row is None:
        raise NotFound(f"Policy rule {rule_id} does not exist.")
    return row


def describe(row: PolicyRule) -> str:
    """What a stored rule says, in a sentence for the rules list."""
    rule = as_rule(row)
    if rule.kind is rules.RuleKind.amount_at_least:
        return (
            f"PO required from {rules.format_money(rule.amount)} "
            f"for {rules.scope_words(rule.item_kinds)}."
        )
    if rule.kind is rules.RuleKind.out_of_pocket_limit:
        return (
            f"Out-of-pocket claims up to {rules.format_money(rule.amount)}; "
            "more goes to a buyer as a PO."
        )
    if rule.kind is rules.RuleKind.category_always:
        return f"PO always required for {', '.join(rule.categories)}."
    where = f" in {', '.join(rule.categories)}" if rule.categories else ""
    return f"PO required when the vendor is not preferred{where} and has no contract."
