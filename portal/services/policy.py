"""The purchasing policy: keep its rules (audited), and evaluate a need against them.

Other features call `decisions_for(session, need)` inside their own transaction to learn whether
a need must go through a PO and why, in words; the rules themselves are pure (domain/policy.py).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import policy as rules
from portal.domain.errors import NotFound
from portal.domain.statuses import ItemKind
from portal.extensions import db
from portal.models import PolicyRule, User
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work


def _as_rule(row: PolicyRule) -> rules.Rule:
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


def active_rules(session: Session) -> list[rules.Rule]:
    """Every active rule, oldest first (one query)."""
    return [_as_rule(row) for row in session.scalars(_ACTIVE_RULES)]


# Built once: every part bought asks the policy (building it cost about as much as running it).
_ACTIVE_RULES = select(PolicyRule).where(PolicyRule.active.is_(True)).order_by(PolicyRule.id)


def decisions_for(session: Session, need: rules.Need) -> list[rules.Decision]:
    """What the active policy says about this need: one decision per rule that requires a PO."""
    return rules.evaluate(need, active_rules(session))


# ---------------------------------------------------------------- reads for pages


def list_rules() -> list[PolicyRule]:
    """All rules, active first, then by name (a bounded list: a policy has a few dozen at most)."""
    return list(
        db.session.scalars(
            select(PolicyRule).order_by(PolicyRule.active.desc(), PolicyRule.name).limit(200)
        )
    )


def get_rule(rule_id: int) -> PolicyRule:
    """One rule, or NotFound."""
    row = db.session.get(PolicyRule, rule_id)
    if row is None:
        raise NotFound(f"Policy rule {rule_id} does not exist.")
    return row


def describe(row: PolicyRule) -> str:
    """What a stored rule says, in a sentence for the rules list."""
    rule = _as_rule(row)
    if rule.kind is rules.RuleKind.amount_at_least:
        return (
            f"PO required from {rules.format_money(rule.amount)} "
            f"for {rules.scope_words(rule.item_kinds)}."
        )
    if rule.kind is rules.RuleKind.category_always:
        return f"PO always required for {', '.join(rule.categories)}."
    where = f" in {', '.join(rule.categories)}" if rule.categories else ""
    return f"PO required when the vendor is not preferred{where} and has no contract."


# ---------------------------------------------------------------- writes


def _snapshot(row: PolicyRule) -> dict:
    """The fields an edit may change, for the audit trail."""
    return {
        "name": row.name,
        "kind": row.kind,
        "amount": row.amount,
        "categories": list(row.categories or []),
        "item_kinds": list(row.item_kinds or []),
        "message": row.message,
        "active": row.active,
    }


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    """True when another rule already has this name (ignoring case)."""
    stmt = select(PolicyRule.id).where(func.lower(PolicyRule.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(PolicyRule.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def create_rule(
    *,
    name: str,
    kind: str,
    amount: str | Decimal | None,
    categories: str | None,
    item_kinds: list[str],
    message: str | None,
    actor: User,
    submission_id: str,
) -> PolicyRule:
    """Add a rule to the policy (active at once); the same submission_id twice adds it once."""
    rule = rules.build_rule(
        name=name,
        kind=kind,
        amount=amount,
        categories=categories,
        item_kinds=item_kinds,
        message=message,
    )
    with unit_of_work() as session:
        earlier = earlier_submission(session, PolicyRule, submission_id)
        if earlier is not None:
            return earlier
        if _name_taken(session, rule.name):
            raise rules.PolicyError(f"A rule named {rule.name} already exists.")
        row = PolicyRule(
            name=rule.name,
            kind=rule.kind,
            amount=rule.amount,
            categories=list(rule.categories),
            item_kinds=[k.value for k in rule.item_kinds],
            message=rule.message,
            active=True,
            created_by_id=actor.id,
            submission_id=submission_id,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise rules.PolicyError(f"A rule named {rule.name} already exists.") from None
        audit.record(
            session,
            actor=actor,
            action="policy_rule.created",
            subject=row,
            subject_label=row.name,
            changes={key: [None, value] for key, value in _snapshot(row).items()},
        )
    return row


def update_rule(
    rule_id: int,
    *,
    name: str,
    kind: str,
    amount: str | Decimal | None,
    categories: str | None,
    item_kinds: list[str],
    message: str | None,
    actor: User,
    reason: str | None = None,
) -> PolicyRule:
    """Change a rule; the audit trail keeps each changed field before and after."""
    rule = rules.build_rule(
        name=name,
        kind=kind,
        amount=amount,
        categories=categories,
        item_kinds=item_kinds,
        message=message,
        rule_id=rule_id,
    )
    with unit_of_work() as session:
        row = session.get(PolicyRule, rule_id, with_for_update=True)
        if row is None:
            raise NotFound(f"Policy rule {rule_id} does not exist.")
        if _name_taken(session, rule.name, except_id=rule_id):
            raise rules.PolicyError(f"A rule named {rule.name} already exists.")
        before = _snapshot(row)
        row.name = rule.name
        row.kind = rule.kind
        row.amount = rule.amount
        row.categories = list(rule.categories)
        row.item_kinds = [k.value for k in rule.item_kinds]
        row.message = rule.message
        after = _snapshot(row)
        changes = {
            key: [before[key], after[key]]
            for key in after
            if audit._plain(before[key]) != audit._plain(after[key])
        }
        if changes:
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="policy_rule.updated",
                subject=row,
                subject_label=row.name,
                changes=changes,
                why=(reason or "").strip()[:1000] or None,
            )
    return row


def set_rule_active(
    rule_id: int, *, active: bool, actor: User, reason: str | None = None
) -> PolicyRule:
    """Deactivate (or bring back) a rule; a conditional update, so a double tap changes it once."""
    with unit_of_work() as session:
        row = session.get(PolicyRule, rule_id)
        if row is None:
            raise NotFound(f"Policy rule {rule_id} does not exist.")
        changed = session.execute(
            update(PolicyRule)
            .where(PolicyRule.id == rule_id, PolicyRule.active.is_(not active))
            .values(active=active)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            session.refresh(row)
            audit.record(
                session,
                actor=actor,
                action="policy_rule.activated" if active else "policy_rule.deactivated",
                subject=row,
                subject_label=row.name,
                changes={"active": [not active, active]},
                why=(reason or "").strip()[:1000] or None,
            )
    return row
