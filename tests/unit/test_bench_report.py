"""The benchmark's outbox-cost figure (bench/run.py): paired samples of the facade with and
without the outbox, and how the report reads them against issue 18's target."""

from __future__ import annotations

from typing import Any

import pytest

from bench.run import OUTBOX_CONTROL, outbox_table, paired_cost


def test_the_cost_is_one_minus_the_median_ratio_of_the_pairs() -> None:
    # costs 0.5, 0.5, 0.1 and 0.2; the medians of each side alone would give 0.15
    found = paired_cost([(50.0, 100.0), (300.0, 600.0), (90.0, 100.0), (80.0, 100.0)])

    assert found["pairs"] == 4
    assert found["cost"] == pytest.approx(0.35)
    assert found["cost_quartiles"] == pytest.approx([0.125, 0.5])


def report(*entries: tuple[str, float]) -> dict[str, Any]:
    return {
        "outbox_cost": [
            {"operation": name, "concurrency": 50, "pairs": 20, "cost": cost}
            | {"cost_quartiles": [cost - 0.05, cost + 0.05]}
            for name, cost in entries
        ]
    }


def test_only_a_counter_over_the_target_is_a_miss() -> None:
    text = outbox_table(
        report(
            (OUTBOX_CONTROL, 0.2),
            ("damage_player", 0.16),
            ("heal_player", 0.14),
            ("save_player", 0.3),
        )
    )
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()[2:]}

    assert rows["damage_player"].endswith("| 16% > 15% |")
    assert rows["heal_player"].endswith("| none |")
    assert rows["save_player"].endswith("| - |")  # no target: not a counter
    assert rows[f"{OUTBOX_CONTROL} (control: writes no outbox row)"].endswith("| - |")


def test_a_run_without_pairs_says_so() -> None:
    assert "--outbox-pairs 0" in outbox_table({"outbox_cost": []})
