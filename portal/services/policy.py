"""The purchasing policy: keep its rules (audited, by those who manage the policy), and evaluate a
need against them.

Other features call `decisions_for(session, need)` inside their own transaction to learn whether
a need must go through a PO and why, in words; the rules themselves are pure (domain/policy.py).
Each change is one transaction on a locked rule; the same form posted twice changes it once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import policy as rules
from portal.domain.permissions import Capability as C
from portal.models import PolicyRule, User
from portal.read_models.policy import as_rule
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize


def active_rules(session: Session) -> list[rules.Rule]:
    """Every active rule, oldest first (one query)."""
    return [as_rule(row) for row in session.scalars(_ACTIVE_RULES)]


# Built once: every part bought asks the policy (building it cost about as much as running it).
_ACTIVE_RULES = select(PolicyRule).where(PolicyRule.active.is_(True)).order_by(PolicyRule.id)


def decisions_for(session: Session, need: rules.Need) -> list[rules.Decision]:
    """What the active policy says about this need: one decision per rule that requires a PO."""
    return rules.evaluate(need, active_rules(session))


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


@submitted_once("create_policy_rule")
def create_rule(
    *,
    name: str,
    kind: str,
    amount: str | Decimal | None,
    categories: str | None,
    item_kinds: list[str],
    message: str | None,
    actor: User,
    submission_id: str | None = None,
) -> PolicyRule:
    """Add a rule to the policy (active at once); the same form posted twice adds it once."""
    authorize(actor, C.manage_policy)
    rule = rules.build_rule(
        name=name,
        kind=kind,
        amount=amount,
        categories=categories,
        item_kinds=item_kinds,
        message=message,
    )
    with unit_of_work() as session:
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


@submitted_once("update_policy_rule")
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
    submission_id: str | None = None,
) -> PolicyRule:
    """Change a rule; the audit trail keeps each changed field before and after."""
    authorize(actor, C.manage_policy)
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
        row = locked(session, PolicyRule, rule_id)
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


@submitted_once("set_policy_rule_active")
def set_rule_active(
    rule_id: int,
    *,
    active: bool,
    actor: User,
    reason: str | None = None,
    submission_id: str | None = None,
) -> PolicyRule:
    """Deactivate (or bring back) a rule, on the locked row: a rule already so changes nothing."""
    authorize(actor, C.manage_policy)
    with unit_of_work() as session:
        row = locked(session, PolicyRule, rule_id)
        if row.active is not active:
            row.active = active
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
