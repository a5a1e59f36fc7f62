"""Playing stories in time order: the demo's documents are made when they happened.

A story is a generator that yields the moment of its next step, then does that step when it
is resumed (the portal's clock set to that moment). `play` runs many stories interleaved, always
resuming the one whose next step is earliest, so audit events, document numbers and every
`created_at` follow the calendar, as if people had done the work day by day.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime

Story = Iterator[datetime]
# A part of a story (`yield from`), which tells the story when it ended.
Sub = Generator[datetime, None, datetime]


def play(stories: Iterable[Story], move_to: Callable[[datetime], None]) -> int:
    """Run every story to its end in time order; the number of steps taken.

    A story may not go back in time: a step asked for before the one just taken runs at once.
    """
    queue: list[tuple[datetime, int, Story]] = []
    for order, story in enumerate(stories):
        first = next(story, None)
        if first is not None:
            queue.append((first, order, story))
    heapq.heapify(queue)
    steps = 0
    while queue:
        when, order, story = heapq.heappop(queue)
        move_to(when)
        following = next(story, None)  # the step due at `when`, up to the next yield
        steps += 1
        if following is not None:
            heapq.heappush(queue, (max(following, when), order, story))
    return steps
