"""Run every contender on the same operations in interleaved rounds; report ops/s and ratios.

Usage: python -m bench.run [--rounds 5] [--duration 0.5] [--server-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.world import ROOM, World, create_world, drop_world

CONTENDERS = ("facade", "raw_asyncpg", "sqlalchemy", "legacy_psycopg2")
OPERATIONS = [
    "get_player_by_id",
    "get_player_by_name",
    "damage_player",
    "gain_experience",
    "save_player",
    "get_containers_by_room_id",
    "transfer_item",
]
# operation -> least facade/raw ratio the project aims for (issue 6)
RAW_TARGETS = {
    "get_player_by_id": 0.70,
    "get_player_by_name": 0.70,
    "damage_player": 0.50,
    "gain_experience": 0.50,
    "get_containers_by_room_id": 0.50,
}
SQLALCHEMY_TARGET, LEGACY_TARGET = 2.0, 20.0
ROOT = Path(__file__).resolve().parent.parent


def arguments(world: World, contender: Any, operation: str, worker: int) -> tuple[Any, ...]:
    """The next call's arguments for ``worker``; each worker has its own player and items."""
    if operation == "get_player_by_name":
        return (world.names[worker].upper(),)
    if operation == "save_player":
        return (world.player_ids[worker], *world.flip_room(worker))
    if operation == "get_containers_by_room_id":
        return (ROOM,)
    if operation == "transfer_item":
        return world.flip_shuttle(worker)
    return (world.player_ids[worker],)


async def measure(
    world: World, contender: Any, operation: str, concurrency: int, duration: float
) -> float:
    """Operations per second with ``concurrency`` tasks calling it back to back."""
    call = getattr(contender, operation)
    deadline = time.perf_counter() + duration
    done = 0

    async def worker(index: int) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call(*arguments(world, contender, operation, index))
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done / (time.perf_counter() - started)


def contender_classes() -> list[Any]:
    """Imported here, so that --help and bad arguments need none of the bench extra."""
    try:
        from bench.contenders.facade import FacadeContender
        from bench.contenders.legacy_psycopg2 import LegacyPsycopg2Contender
        from bench.contenders.raw_asyncpg import RawAsyncpgContender
        from bench.contenders.sqlalchemy_orm import SqlAlchemyContender
    except ImportError as exc:
        raise SystemExit(
            f"the benchmark needs the bench extra ({exc.name} is missing): run `make bench`, "
            'or pip install -e ".[bench]"'
        ) from None
    return [FacadeContender, RawAsyncpgContender, SqlAlchemyContender, LegacyPsycopg2Contender]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    kinds = contender_classes()
    world = await create_world(args.server_url, max(args.concurrency))
    contenders = [kind(world.url, args.pool) for kind in kinds]
    samples: dict[tuple[str, int, str], list[float]] = defaultdict(list)
    try:
        for contender in contenders:
            await contender.start()
        for operation in OPERATIONS:  # warm up pools, caches and prepared statements
            for contender in contenders:
                await measure(world, contender, operation, 1, 0.05)
        for round_number in range(args.rounds):
            for operation in args.operations:
                for concurrency in args.concurrency:
                    for contender in random.sample(contenders, len(contenders)):
                        rate = await measure(
                            world, contender, operation, concurrency, args.duration
                        )
                        samples[(operation, concurrency, contender.name)].append(rate)
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)
    finally:
        for contender in contenders:
            await contender.stop()
        await drop_world(args.server_url, world)
    return summarize(samples, args)


def summarize(
    samples: dict[tuple[str, int, str], list[float]], args: argparse.Namespace
) -> dict[str, Any]:
    rows = []
    for operation in args.operations:
        for concurrency in args.concurrency:
            median = {
                name: statistics.median(samples[(operation, concurrency, name)])
                for name in CONTENDERS
            }
            rows.append(
                {
                    "operation": operation,
                    "concurrency": concurrency,
                    "ops_per_second": median,
                    "facade_vs_raw": median["facade"] / median["raw_asyncpg"],
                    "facade_vs_sqlalchemy": median["facade"] / median["sqlalchemy"],
                    "facade_vs_legacy": median["facade"] / median["legacy_psycopg2"],
                }
            )
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "pool_size": args.pool,
            "concurrency": args.concurrency,
        },
        "machine": machine(),
        "results": rows,
    }


def machine() -> dict[str, Any]:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "packages": {
            name: version(name)
            for name in ("tortoise-orm", "asyncpg", "sqlalchemy", "psycopg2-binary")
        },
    }


def verdicts(row: dict[str, Any]) -> list[str]:
    misses = []
    target = RAW_TARGETS.get(row["operation"])
    if target is not None and row["facade_vs_raw"] < target:
        misses.append(f"raw {row['facade_vs_raw']:.2f} < {target}")
    if row["facade_vs_sqlalchemy"] < SQLALCHEMY_TARGET:
        misses.append(f"sqlalchemy {row['facade_vs_sqlalchemy']:.2f} < {SQLALCHEMY_TARGET}")
    if row["facade_vs_legacy"] < LEGACY_TARGET:
        misses.append(f"legacy {row['facade_vs_legacy']:.1f} < {LEGACY_TARGET}")
    return misses


COLUMNS = (
    "operation",
    "tasks",
    "facade",
    "raw asyncpg",
    "SQLAlchemy",
    "legacy",
    "facade/raw",
    "facade/SQLAlchemy",
    "facade/legacy",
    "targets missed",
)


def table(report: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * 8 + "---|"]
    for row in report["results"]:
        ops = row["ops_per_second"]
        cells = [
            row["operation"],
            str(row["concurrency"]),
            *(f"{ops[name]:,.0f}" for name in ("facade", "raw_asyncpg", "sqlalchemy")),
            f"{ops['legacy_psycopg2']:,.0f}",
            f"{row['facade_vs_raw']:.2f}",
            f"{row['facade_vs_sqlalchemy']:.2f}",
            f"{row['facade_vs_legacy']:.1f}",
            "; ".join(verdicts(row)) or "none",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(16, 5))
    for axis, key, title, target in [
        (axes[0], "facade_vs_raw", "facade / raw asyncpg (higher is better)", None),
        (axes[1], "facade_vs_sqlalchemy", "facade / SQLAlchemy", SQLALCHEMY_TARGET),
        (axes[2], "facade_vs_legacy", "facade / legacy psycopg2", LEGACY_TARGET),
    ]:
        for offset, concurrency in enumerate(report["settings"]["concurrency"]):
            rows = [r for r in report["results"] if r["concurrency"] == concurrency]
            axis.bar(
                [i + offset * 0.4 for i in range(len(rows))],
                [r[key] for r in rows],
                width=0.4,
                label=f"{concurrency} task(s)",
            )
        if target:
            axis.axhline(target, color="red", linestyle="--", label=f"target {target}")
        operations = list(dict.fromkeys(r["operation"] for r in report["results"]))
        axis.set_xticks(
            [i + 0.2 for i in range(len(operations))], operations, rotation=40, ha="right"
        )
        axis.set_title(title)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def write_report(report: dict[str, Any], args: argparse.Namespace) -> None:
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    chart(report, args.chart)
    m = report["machine"]
    args.report.write_text(
        f"""# Performance

Measured by `make bench` ({report["measured_at"]}): each contender runs each operation for
{args.duration} s per round, {args.rounds} rounds interleaved in random order; the table shows
medians in operations per second, and the facade's ratio to each contender. Pool: {args.pool}
connections for every pooled contender; the legacy layer opens a connection per call, as the
layer we replace did.

Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory_gib"]} GiB; Python {m["python"]};
{", ".join(f"{k} {v}" for k, v in m["packages"].items())}. PostgreSQL on the same machine.

Contenders (`bench/contenders/`): the facade; hand-written asyncpg SQL with the same semantics
(the limit: one statement for each counter, one join for the room listing); the SQLAlchemy 2
async ORM written as its documentation suggests (a counter change locks the row, then updates
it with RETURNING: four round trips; the room listing uses `selectinload`); psycopg2 in
`asyncio.to_thread` with a new connection per call and one query per container (the legacy
layer). Every contender returns the old and new values of a counter, checks the stale value on
`save_player`, and locks both containers in id order on `transfer_item`.

Targets: `get_player_by_*` >= 0.70 x raw; `damage_player`, `gain_experience` >= 0.50 x raw;
room listing >= 0.50 x a single hand-written join; every operation >= 2 x SQLAlchemy and
>= 20 x legacy.

{table(report)}

![ratios]({args.chart.name})

Raw figures: `{args.json.name}`, beside this file.
"""
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server to create the (temporary) benchmark database on",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=0.5, help="seconds per sample")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--operations", nargs="+", default=OPERATIONS, choices=OPERATIONS)
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write the report, figures and chart to docs/ (make bench does); "
        "otherwise they go to bench/results/",
    )
    args = parser.parse_args()
    out = ROOT / ("docs" if args.write_docs else "bench/results")
    args.json, args.chart, args.report = (
        out / "performance.json",
        out / "performance.png",
        out / "performance.md",
    )
    report = asyncio.run(run(args))
    write_report(report, args)
    print(table(report))


if __name__ == "__main__":
    main()
