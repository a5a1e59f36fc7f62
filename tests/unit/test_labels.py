"""Every status and kind reads one way on every page."""

from __future__ import annotations

from enum import StrEnum

import pytest

from portal.domain.labels import LABELS, label
from portal.domain.statuses import PurchaseOrderStatus

LABELLED = sorted(LABELS, key=lambda enum: enum.__name__)


@pytest.mark.parametrize("enum", LABELLED, ids=lambda enum: enum.__name__)
def test_every_value_of_a_labelled_enum_has_words(enum: type[StrEnum]):
    assert set(LABELS[enum]) == set(enum)
    assert all(words and words[0].isupper() for words in LABELS[enum].values())


def test_every_status_enum_is_labelled():
    import portal.domain.statuses as statuses

    enums = {
        value
        for value in vars(statuses).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }
    assert enums <= set(LABELS)


def test_a_part_received_order_reads_the_same_everywhere():
    assert label(PurchaseOrderStatus.partially_received) == "Partly received"


def test_a_value_that_is_not_an_enum_is_shown_as_it_is():
    assert label("anything") == "anything"
    assert label(None) == ""
