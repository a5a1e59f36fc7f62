"""The purchasing policy's rules at their boundaries, with the reason in words."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.domain.policy import (
    Need,
    PolicyError,
    Rule,
    RuleKind,
    build_rule,
    check_message,
    decision_texts,
    evaluate,
    po_required,
    scope_words,
    warning_texts,
)
from portal.domain.statuses import ItemKind

SERVICES_FROM_500 = Rule(
    "Outside services from 500",
    RuleKind.amount_at_least,
    amount=D("500.00"),
    item_kinds=(ItemKind.service,),
    rule_id=1,
)


def service(amount: str, **more) -> Need:
    return Need(amount=D(amount), item_kind=ItemKind.service, item_label="SVC-LIFT", **more)


def test_an_amount_above_the_limit_needs_a_po_with_the_reason_in_words():
    [decision] = evaluate(service("640.00"), [SERVICES_FROM_500])
    assert decision.text == ("PO required: 640.00 is above the 500.00 limit for outside services.")
    assert decision.as_dict() == {
        "code": "po_required",
        "rule_id": 1,
        "rule": "Outside services from 500",
        "text": decision.text,
    }


def test_exactly_the_limit_needs_a_po():
    [decision] = evaluate(service("500.00"), [SERVICES_FROM_500])
    assert decision.text == "PO required: 500.00 is at the 500.00 limit for outside services."


def test_a_cent_below_the_limit_does_not():
    assert evaluate(service("499.99"), [SERVICES_FROM_500]) == []


def test_an_amount_of_more_decimals_is_rounded_to_the_cent_before_comparing():
    assert evaluate(service("499.994"), [SERVICES_FROM_500]) == []
    assert len(evaluate(service("499.995"), [SERVICES_FROM_500])) == 1


def test_the_amount_rule_ignores_item_kinds_outside_its_scope():
    stock = Need(amount=D("9000"), item_kind=ItemKind.stock)
    assert evaluate(stock, [SERVICES_FROM_500]) == []


def test_an_amount_rule_with_no_kinds_covers_any_purchase():
    rule = Rule("Anything from 5000", RuleKind.amount_at_least, amount=D("5000.00"))
    [decision] = evaluate(Need(amount=D("5000"), item_kind=ItemKind.stock), [rule])
    assert decision.text == "PO required: 5,000.00 is at the 5,000.00 limit for any purchase."


def test_a_category_rule_applies_whatever_the_amount_and_ignores_case():
    rule = Rule("Electrical", RuleKind.category_always, categories=("Electrical",))
    need = Need(amount=D("0.01"), item_kind=ItemKind.non_stock, category="electrical")
    [decision] = evaluate(need, [rule])
    assert decision.text == "PO required: electrical purchases always need a PO."
    other = Need(amount=D("9999"), item_kind=ItemKind.non_stock, category="Seals")
    assert evaluate(other, [rule]) == []


def test_a_non_preferred_vendor_without_contract_needs_a_po():
    rule = Rule("Preferred vendors", RuleKind.non_preferred_vendor)
    need = Need(
        amount=D("10"),
        item_kind=ItemKind.stock,
        item_label="SEAL-M32",
        category="Seals",
        vendor_name="Flowline",
        preferred=False,
    )
    [decision] = evaluate(need, [rule])
    assert decision.text == (
        "PO required: Flowline is not a preferred vendor for Seals"
        " and has no contract for SEAL-M32."
    )


@pytest.mark.parametrize(
    "vendor, preferred, on_contract",
    [
        ("Flowline", True, False),  # preferred
        ("Flowline", False, True),  # a valid contract makes it an approved source
        ("Flowline", None, False),  # the category has no preferred vendors
        (None, False, False),  # no vendor chosen yet: the buyer decides
    ],
)
def test_the_vendor_rule_stays_quiet_for_approved_or_unknown_sources(
    vendor, preferred, on_contract
):
    rule = Rule("Preferred vendors", RuleKind.non_preferred_vendor)
    need = Need(
        amount=D("10"),
        item_kind=ItemKind.stock,
        category="Seals",
        vendor_name=vendor,
        preferred=preferred,
        on_contract=on_contract,
    )
    assert evaluate(need, [rule]) == []


def test_a_vendor_rule_limited_to_categories_skips_the_others():
    rule = Rule("Gas vendors", RuleKind.non_preferred_vendor, categories=("Gas",))
    need = Need(D("10"), ItemKind.stock, category="Seals", vendor_name="X", preferred=False)
    assert evaluate(need, [rule]) == []


def test_a_custom_message_fills_its_placeholders():
    rule = Rule(
        "Big services",
        RuleKind.amount_at_least,
        amount=D("500.00"),
        item_kinds=(ItemKind.service,),
        message="Ask a buyer for a PO: {amount} for {item} is over {limit} ({scope}).",
    )
    [decision] = evaluate(service("1234.5"), [rule])
    assert decision.text == (
        "Ask a buyer for a PO: 1,234.50 for SVC-LIFT is over 500.00 (outside services)."
    )


def test_every_rule_that_applies_gives_its_own_reason_and_the_need_requires_a_po():
    rules = [
        SERVICES_FROM_500,
        Rule("Electrical", RuleKind.category_always, categories=("Electrical",)),
    ]
    decisions = evaluate(service("700", category="Electrical"), rules)
    assert [d.rule_name for d in decisions] == ["Outside services from 500", "Electrical"]
    assert po_required(decisions) and not po_required([])


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        evaluate(Need(amount=640.0, item_kind=ItemKind.service), [SERVICES_FROM_500])


def test_building_an_amount_rule_checks_the_limit():
    rule = build_rule(
        name=" Services ", kind="amount_at_least", amount="1,500", item_kinds=["service"]
    )
    assert (rule.name, rule.amount, rule.item_kinds) == (
        "Services",
        D("1500.00"),
        (ItemKind.service,),
    )
    for bad, words in [
        ("", "Enter the limit"),
        ("abc", "as a number"),
        ("0", "more than 0"),
        ("12.345", "2 decimal places"),
    ]:
        with pytest.raises(PolicyError, match=words):
            build_rule(name="x", kind="amount_at_least", amount=bad)


def test_building_a_category_rule_needs_a_category():
    with pytest.raises(PolicyError, match="at least one category"):
        build_rule(name="x", kind="category_always", categories=" , ")
    rule = build_rule(name="x", kind="category_always", categories="Electrical, gas, Gas")
    assert rule.categories == ("Electrical", "gas")


def test_a_rule_needs_a_name_and_a_known_kind():
    with pytest.raises(PolicyError, match="name"):
        build_rule(name="  ", kind="amount_at_least", amount="1")
    with pytest.raises(PolicyError, match="looks at"):
        build_rule(name="x", kind="vendor_blocked")


def test_a_message_may_only_use_known_placeholders():
    assert check_message("  ") is None
    assert check_message("PO: {amount} over {limit}") == "PO: {amount} over {limit}"
    for bad in ["{amount.__class__}", "{password}", "{amount!r}", "{amount:>10}", "{oops"]:
        with pytest.raises(PolicyError):
            check_message(bad)


def test_scope_words_name_the_kinds_in_a_fixed_order():
    assert scope_words([ItemKind.non_stock, ItemKind.service]) == (
        "outside services and non-stock parts"
    )
    assert scope_words(list(ItemKind)) == "any purchase"


def test_stored_warnings_read_as_words_with_the_policy_first():
    stored = [
        "Preferred vendor NBS",
        {"code": "off_contract", "text": "Price 12.00 is above the contract price 10.00."},
        {"code": "po_required", "rule": "r", "rule_id": 1, "text": "PO required: 640.00 ..."},
    ]
    assert decision_texts(stored) == ["PO required: 640.00 ..."]
    assert warning_texts(stored) == [
        "PO required: 640.00 ...",
        "Preferred vendor NBS",
        "Price 12.00 is above the contract price 10.00.",
    ]
    assert warning_texts(stored, coded=False)[0] == "Preferred vendor NBS"
