"""What the transactional outbox adds to each call (issue 18, item 4): the facade against the
same facade with ``outbox=False``, in pairs of samples run back to back.

A sample that runs first in its pair can be slower or faster than the second for reasons of
its own (the switch from the previous operation, the machine's drift), by as much as the cost
measured. So each contender goes first in every other pair, and two pairs, one with each
first, make a block whose ratio is the geometric mean of the two pairs' ratios: a factor that
weighs on whichever sample runs first cancels out. The cost is the median over the blocks of
the time the outbox adds per call, with a confidence interval of that median. A control, the
facade without outbox against itself on a counter, has no cost: its interval shows how
precisely a run measures.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bench.world import World

# issue 18: the outbox adds at most 15% to a counter update at 50 tasks
TARGET, TARGET_TASKS = 0.15, 50
COUNTERS = ("damage_player", "gain_experience", "heal_player", "update_player_stat_field")
OPERATIONS = (*COUNTERS, "save_player", "transfer_item")  # the writes, which write outbox rows
CONTROL = "damage_player"  # run by the facade without outbox against itself
CONFIDENCE = 0.95
# a pause before each sample: the relay's last round after the previous sample (its NOTIFY,
# 50 ms after the last commit) ends before the next sample starts, not during it
SETTLE = 0.1

Measure = Callable[[World, Any, str, int, float], Awaitable[tuple[float, list[float]]]]


async def measure_outbox_cost(
    measure: Measure,
    world: World,
    with_outbox: Any,
    without_outbox: Any,
    operations: Sequence[str],
    concurrency: int,
    pairs: int,
    duration: float,
) -> list[dict[str, Any]]:
    """The outbox's cost for each of ``operations``, and the control's, from ``pairs`` pairs
    (an even number) of ``duration`` s samples at ``concurrency`` tasks (``measure`` takes one
    sample). The cases run in a new random order for each block, the same in its two pairs."""
    if pairs < 2 or pairs % 2:
        raise ValueError(f"pairs must be an even number, 2 or more, not {pairs}")
    cases = [(operation, with_outbox, False) for operation in operations]
    cases.append((CONTROL, without_outbox, True))  # without outbox against itself
    rates: list[list[tuple[float, float]]] = [[] for _ in cases]
    order = list(range(len(cases)))
    for pair in range(pairs):
        if pair % 2 == 0:
            random.shuffle(order)
        measured_first = pair % 2 == 0
        for index in order:
            operation, measured, _ = cases[index]
            first, second = (
                (measured, without_outbox) if measured_first else (without_outbox, measured)
            )
            await asyncio.sleep(SETTLE)
            first_rate, _ = await measure(world, first, operation, concurrency, duration)
            await asyncio.sleep(SETTLE)
            second_rate, _ = await measure(world, second, operation, concurrency, duration)
            rates[index].append(
                (first_rate, second_rate) if measured_first else (second_rate, first_rate)
            )
        print(f"outbox pair {pair + 1}/{pairs} done", flush=True)
    return [
        {
            "operation": operation,
            "control": control,
            "concurrency": concurrency,
            **added_time(rates[index]),
        }
        for index, (operation, _, control) in enumerate(cases)
    ]


def added_time(rates: list[tuple[float, float]]) -> dict[str, Any]:
    """From (with the outbox, without) throughputs of pairs of samples, the first of each
    block of two run with the outbox first and the second without it first: the time the
    outbox adds per call, the median over the blocks of (without / with - 1) with the blocks'
    ratios as geometric means of their two pairs', and the median's confidence interval."""
    blocks = [
        1 / math.sqrt((a_with / a_without) * (b_with / b_without)) - 1
        for (a_with, a_without), (b_with, b_without) in zip(rates[::2], rates[1::2], strict=True)
    ]
    low, high, confidence = median_interval(blocks)
    return {
        "pairs": rates,
        "blocks": len(blocks),
        "cost": statistics.median(blocks),
        "interval": [low, high],
        "confidence": confidence,
    }


def median_interval(values: list[float]) -> tuple[float, float, float]:
    """A distribution-free interval of the median of what ``values`` sample, and the chance
    that it holds it: the k-th lowest and k-th highest of ``values``, with k the largest whose
    binomial tail (the chance that fewer than k values fall below the median) is at most half
    of 1 - CONFIDENCE; too few values for that: the whole range, which holds it less often."""
    ordered, n = sorted(values), len(values)
    tails = [math.comb(n, i) / 2**n for i in range(n)]  # the chance that i fall below
    k = 1
    while k < n and sum(tails[: k + 1]) <= (1 - CONFIDENCE) / 2:
        k += 1
    return ordered[k - 1], ordered[n - k], 1 - 2 * sum(tails[:k])


def verdict(entry: dict[str, Any]) -> str:
    """Issue 18's target on a counter update at 50 tasks, from the interval of the median
    (of at least CONFIDENCE): "met" when all of it is at or below the target, "missed" when
    all of it is above, else "unclear"."""
    if (
        entry["control"]
        or entry["operation"] not in COUNTERS
        or entry["concurrency"] != TARGET_TASKS
    ):
        return "-"
    low, high = entry["interval"]
    if entry["confidence"] < CONFIDENCE:
        return f"unclear (too few blocks for a {CONFIDENCE:.0%} interval)"
    if high <= TARGET:
        return "met"
    if low > TARGET:
        return f"missed (the interval starts at {low:.1%})"
    return f"unclear (the interval is {low:.1%} to {high:.1%})"


def table(entries: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[list[str]]]:
    """The report's table of ``entries`` (``measure_outbox_cost``): its header and rows."""
    header = (
        "operation",
        "tasks",
        "blocks",
        "added time per call",
        "interval of the median (its confidence)",
        "target",
    )
    rows = [
        [
            entry["operation"]
            + (" (control: without outbox against itself)" if entry["control"] else ""),
            str(entry["concurrency"]),
            str(entry["blocks"]),
            f"{entry['cost']:.1%}",
            f"{entry['interval'][0]:.1%} to {entry['interval'][1]:.1%} ({entry['confidence']:.0%})",
            verdict(entry),
        ]
        for entry in entries
    ]
    return header, rows


def description(tasks: int, pairs: int, duration: float) -> str:
    """The report's paragraph on how the cost was measured."""
    return f"""What the transactional outbox adds to each call at {tasks} tasks. The facade and the
same facade with `outbox=False` run each write for {duration} s, back to back, {pairs} times,
taking turns to go first, after a pause of {SETTLE} s each (the operations in a new random
order for every two pairs). Two pairs, one with each first, make a block ({pairs // 2} blocks),
whose throughput ratio is the geometric mean of its two pairs': so whatever slows or speeds
the sample that runs first weighs on both alike. The cost is the time the outbox adds per call
(throughput without the outbox / with it - 1), the median over the blocks, with an interval
that holds the true median with the confidence shown (at least {CONFIDENCE:.0%} from 6 blocks
on). The control runs `{CONTROL}` on the facade without outbox against itself: it has no cost,
so its interval shows how precisely this run measures `{CONTROL}`. Target (issue 18): the
outbox adds at most {TARGET:.0%} to a counter update at {TARGET_TASKS} tasks: "met" when the
whole interval is at or below it, "missed" when all of it is above, "unclear" otherwise."""
