"""The writer's pace in a serving process: it gives way while searches arrive, never otherwise."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from ingestion.pace import Pace


@dataclass
class Store:
    last_read: float = 0.0


def _two_steps(pace: Pace) -> None:
    time.sleep(0.005)  # a step of work
    pace.step()
    time.sleep(0.005)
    pace.step()


@pytest.mark.parametrize(
    ("serving", "searched", "pauses"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_pauses_only_in_a_serving_process_while_searches_arrive(serving: bool, searched: bool, pauses: bool) -> None:
    store = Store(last_read=time.monotonic() if searched else 0.0)
    pace = Pace(store, serving)
    _two_steps(pace)
    assert (pace.paused_s > 0) is pauses


def test_gives_way_for_as_long_as_it_worked_at_half_share() -> None:
    store = Store(last_read=time.monotonic())
    pace = Pace(store, serving=True, share=0.5)
    worked = time.monotonic()
    time.sleep(0.01)
    pace.step()
    assert pace.paused_s >= 0.01  # at least the step's own duration (it measured ≥ the sleep above)
    assert time.monotonic() - worked >= 2 * 0.01
