"""The benchmark's figure of what the outbox costs (bench/outbox_cost.py): pairs of samples of
the facade with and without the outbox, and how the report reads them against issue 18; and
the case of every task on one player."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from bench import outbox_cost
from bench.outbox_cost import added_time, measure_outbox_cost, median_interval, verdict
from bench.run import arguments, measure, outbox_table, scale_table, verdicts
from bench.world import World


class Contender:
    def __init__(self, name: str, rate: float) -> None:
        self.name, self.rate = name, rate


async def test_a_factor_on_whichever_sample_runs_first_cancels_out() -> None:
    # the facade runs 90 calls a second with the outbox and 100 without: each call takes
    # 11.1% more time; whichever sample of a pair runs first gets 0.7 times its rate
    with_outbox, without = Contender("facade", 90.0), Contender("facade_no_outbox", 100.0)
    ran: list[str] = []

    async def measure(_: Any, contender: Contender, *__: Any) -> tuple[float, list[float]]:
        first = len(ran) % 2 == 0
        ran.append(contender.name)
        return contender.rate * (0.7 if first else 1.0), []

    found = await measure_outbox_cost(
        measure,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        with_outbox,
        without,
        ["damage_player"],
        50,
        pairs=4,
        duration=0.1,
    )

    [entry] = [entry for entry in found if not entry["control"]]
    [control] = [entry for entry in found if entry["control"]]
    assert entry["cost"] == pytest.approx(1 / 0.9 - 1)
    assert entry["interval"] == pytest.approx([1 / 0.9 - 1] * 2)
    assert control["cost"] == pytest.approx(0.0)
    pairs = [pair for pair in zip(ran[::2], ran[1::2], strict=True) if "facade" in pair]
    assert pairs == [("facade", "facade_no_outbox"), ("facade_no_outbox", "facade")] * 2


def test_a_blocks_ratio_is_the_geometric_mean_of_its_two_pairs() -> None:
    # with the outbox first 0.45 and without it first 1.8: 0.9, as the second block's pairs
    found = added_time([(45.0, 100.0), (180.0, 100.0), (90.0, 100.0), (90.0, 100.0)])

    assert found["blocks"] == 2
    assert found["cost"] == pytest.approx(1 / 0.9 - 1)


def test_the_median_interval_widens_with_fewer_blocks() -> None:
    values = [float(v) for v in range(10)]

    assert median_interval(values) == (1.0, 8.0, pytest.approx(1 - 22 / 1024))
    assert median_interval(values[:6]) == (0.0, 5.0, pytest.approx(1 - 2 / 64))
    assert median_interval(values[:5]) == (0.0, 4.0, pytest.approx(1 - 2 / 32))  # < 95%
    assert median_interval(values[:3]) == (0.0, 2.0, 0.75)  # too few: the whole range


def entry(operation: str, low: float, high: float, **more: Any) -> dict[str, Any]:
    found = {"operation": operation, "control": False, "concurrency": 50, "blocks": 10}
    return found | {"cost": (low + high) / 2, "interval": [low, high], "confidence": 0.98} | more


@pytest.mark.parametrize(
    ("found", "read"),
    [
        (entry("damage_player", 0.05, 0.15), "met"),
        (entry("damage_player", 0.1501, 0.2), "missed (the interval starts at 15.0%)"),
        (entry("heal_player", 0.14, 0.2), "unclear (the interval is 14.0% to 20.0%)"),
        (entry("heal_player", 0.1, 0.3, cost=0.2), "unclear (the interval is 10.0% to 30.0%)"),
        (
            entry("heal_player", 0.1, 0.12, confidence=0.94),
            "unclear (too few blocks for a 95% interval)",
        ),
        (entry("save_player", 0.3, 0.4), "-"),  # no target: not a counter
        (entry("damage_player", 0.3, 0.4, concurrency=1), "-"),  # the target is at 50 tasks
        (entry("damage_player", 0.3, 0.4, control=True), "-"),
    ],
)
def test_the_target_is_met_or_missed_only_by_the_whole_interval(
    found: dict[str, Any], read: str
) -> None:
    assert verdict(found) == read


def test_an_odd_number_of_pairs_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="even number"):
        asyncio.run(measure_outbox_cost(None, None, None, None, [], 50, pairs=3, duration=0.1))  # type: ignore[arg-type]


def test_a_run_without_pairs_says_so() -> None:
    assert "--outbox-pairs 0" in outbox_table({"outbox": []})


def test_the_table_names_the_control() -> None:
    header, rows = outbox_cost.table([entry("damage_player", -0.02, 0.02, control=True)])

    assert rows[0][0] == "damage_player (control: without outbox against itself)"
    assert len(header) == len(rows[0])


def test_every_task_of_the_one_player_case_damages_the_same_player_and_no_target_applies() -> None:
    world = World(url="", player_ids=[uuid.uuid4(), uuid.uuid4()])
    for worker in (0, 1):
        assert arguments(world, None, "damage_one_player", worker) == (world.player_ids[1],)
    assert arguments(world, None, "damage_player", 0) == (world.player_ids[0],)
    called: list[uuid.UUID] = []

    class OnePlayer:
        async def damage_player(self, player_id: uuid.UUID) -> None:
            called.append(player_id)
            await asyncio.sleep(0)  # the other task's turn

    asyncio.run(measure(world, OnePlayer(), "damage_one_player", 2, 0.02))
    assert len(called) > 2 and set(called) == {world.player_ids[1]}
    slow = {
        "facade_vs_raw_best": 0.5,
        "facade_vs_sqlalchemy": 1.0,
        "facade_vs_legacy": 1.0,
    }
    assert verdicts({"operation": "damage_one_player", **slow}) == []
    assert len(verdicts({"operation": "damage_player", **slow})) == 3


def test_a_missed_target_shows_a_ratio_that_reads_below_it() -> None:
    # 0.849 rounds to 0.85: the report once read "raw-best 0.85 < 0.85"
    just_below = {
        "operation": "damage_player",
        "facade_vs_raw_best": 0.849,
        "facade_vs_sqlalchemy": 2.996,
        "facade_vs_legacy": 19.96,
    }
    assert verdicts(just_below) == [
        "raw-best 0.849 < 0.85",
        "SQLAlchemy 2.996 < 3.0",
        "legacy 19.96 < 20.0",
    ]


def test_a_missed_scale_target_shows_a_figure_that_reads_above_it() -> None:
    case = {
        "operation": "get_players_in_room",
        "size": "10,000 players",
        "facade_ms": 20.04,
        "raw_best_ms": 10.0,
        "facade_time_over_raw_best": 2.004,
        "facade_statements": 1,
        "raw_best_statements": 1,
    }
    report = {"scale": {"repeats": 5, "cases": [case], "bytes_per_player": 1536.4}}
    text = scale_table(report)
    assert "| 2.004 > 2.0 |" in text
    assert "target missed (1,536.4 > 1,536)" in text
