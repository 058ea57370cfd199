"""The import of an old layer's database: check, write in batches, verify."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mud_persistence.errors import ValidationError
from mud_persistence.repositories.legacy.container_rules import (
    convert_container,
    convert_content,
    register_content,
)
from mud_persistence.repositories.legacy.player_rules import convert_player, register_player
from mud_persistence.repositories.legacy.rules import (
    ImportContext,
    Row,
    convert_item_instance,
    convert_item_prototype,
    convert_player_effect,
    convert_profession,
)
from mud_persistence.repositories.legacy.source import LegacySource
from mud_persistence.repositories.legacy.target import TargetTables
from mud_persistence.schemas.legacy import (
    MAX_BATCH_SIZE,
    ON_CONFLICT_MODES,
    ImportProgress,
    ImportReport,
    OnConflict,
    ProblemRow,
    RowAction,
    TableCheck,
    TableCounts,
)
from mud_persistence.settings import PersistenceSettings


@dataclass(frozen=True)
class Step:
    table: str
    convert: Callable[[Any, ImportContext], Row]
    register: Callable[[Row, ImportContext], None] | None = None


# In foreign-key order: each table's rows may name rows of the tables above it.
STEPS = (
    Step("professions", convert_profession),
    Step("item_prototypes", convert_item_prototype),
    Step("players", convert_player, register_player),
    Step("item_instances", convert_item_instance),
    Step("containers", convert_container),
    Step("container_contents", convert_content, register_content),
    Step("player_effects", convert_player_effect),
)


class _Silent:
    def table_started(self, table: str, total: int, phase: str) -> None:
        pass

    def rows_done(self, table: str, rows: int) -> None:
        pass


@dataclass
class _Pass:
    context: ImportContext
    counts: list[TableCounts] = field(default_factory=list)
    problems: list[ProblemRow] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return any(problem.action == "stopped" for problem in self.problems)


@dataclass
class _Plan:
    """What one import reads, learnt from the source before the first row."""

    source: LegacySource
    steps: list[Step]
    totals: dict[str, int]
    item_places: dict[str, list[str]]
    orphan_inventories: list[str]
    on_conflict: OnConflict
    batch_size: int
    progress: ImportProgress

    @classmethod
    async def read(
        cls,
        source: LegacySource,
        on_conflict: OnConflict,
        batch_size: int,
        progress: ImportProgress | None,
    ) -> _Plan:
        steps = [step for step in STEPS if step.table in source.tables]
        return cls(
            source=source,
            steps=steps,
            totals={step.table: await source.count(step.table) for step in steps},
            item_places=await source.items_in_several_containers(),
            orphan_inventories=await source.orphan_inventories(),
            on_conflict=on_conflict,
            batch_size=batch_size,
            progress=progress or _Silent(),
        )


def require_postgres_target(settings: PersistenceSettings) -> None:
    """The import writes with PostgreSQL statements (unnest, ON CONFLICT on JSONB rows)."""
    if settings.dialect != "postgres":
        raise ValidationError(
            "import_legacy writes to PostgreSQL only; the target is the "
            f"{settings.describe_database()}: pass a postgres:// URL",
            field="database_url",
        )


class LegacyImporter:
    """Moves professions, items, players, containers and effects from the old schema."""

    def __init__(self, connection_name: str, dp_floor: int) -> None:
        self._connection_name = connection_name
        self._dp_floor = dp_floor

    async def run(
        self,
        source_url: str,
        *,
        schema: str,
        dry_run: bool,
        on_conflict: OnConflict,
        batch_size: int,
        progress: ImportProgress | None,
    ) -> ImportReport:
        _check_options(on_conflict, batch_size)
        started = time.monotonic()
        target = TargetTables(self._connection_name)
        await target.load_column_types([step.table for step in STEPS])
        async with LegacySource(source_url, schema) as source:
            plan = await _Plan.read(source, on_conflict, batch_size, progress)
            # stop must know every problem row before it writes the first one
            if dry_run or on_conflict == "stop":
                done = await self._pass(plan, None, "checking")
                if dry_run or done.stopped:
                    return self._report(plan, done, "dry_run" if dry_run else "stopped", started)
            done = await self._pass(plan, target, "importing")
            verification = await self._verify(plan, target, done.context)
        return self._report(plan, done, "imported", started, verification)

    def _report(
        self,
        plan: _Plan,
        done: _Pass,
        outcome: Literal["imported", "dry_run", "stopped"],
        started: float,
        verification: list[TableCheck] | None = None,
    ) -> ImportReport:
        return ImportReport(
            source=plan.source.description,
            schema_name=plan.source.schema,
            on_conflict=plan.on_conflict,
            outcome=outcome,
            tables=done.counts,
            problems=done.problems,
            verification=verification or [],
            seconds=round(time.monotonic() - started, 3),
        )

    async def _pass(self, plan: _Plan, target: TargetTables | None, phase: str) -> _Pass:
        """Read every table once; write what is kept when given a target."""
        context = ImportContext(plan.on_conflict, self._dp_floor, item_places=plan.item_places)
        result = _Pass(context, problems=_orphan_problems(plan))
        for step in plan.steps:
            counts = TableCounts(table=step.table)
            result.counts.append(counts)
            kept = context.kept.setdefault(step.table, set())
            left_out = context.left_out.setdefault(step.table, set())
            plan.progress.table_started(step.table, plan.totals[step.table], phase)
            async for records in plan.source.batches(step.table, plan.batch_size):
                batch = []
                for record in records:
                    row = step.convert(record, context)
                    counts.read += 1
                    if self._keep(row, plan.on_conflict, counts, result.problems):
                        kept.add(row.key)
                        batch.append(row.values)
                        if step.register is not None:
                            step.register(row, context)
                    else:
                        left_out.add(row.key)
                if target is not None:
                    counts.written += await target.upsert(step.table, batch)
                counts.kept += len(batch)
                plan.progress.rows_done(step.table, len(records))
        return result

    @staticmethod
    def _keep(
        row: Row, on_conflict: OnConflict, counts: TableCounts, problems: list[ProblemRow]
    ) -> bool:
        """Whether ``row`` goes to the target; each of its problems and notes is listed."""
        for note in row.notes:
            problems.append(ProblemRow(table=row.table, key=row.key, problem=note, action="noted"))
        if not row.problems:
            return True
        if on_conflict == "stop":
            action, keep = "stopped", True  # kept in mind, so later rows are judged as usual
        elif on_conflict == "fix" and row.repairable:
            action, keep = "fixed", not row.dropped_by_fix
            counts.fixed += 1
        else:
            action, keep = "skipped", False
            counts.skipped += 1
        for problem in row.problems:
            problems.append(
                ProblemRow(
                    table=row.table,
                    key=row.key,
                    problem=problem.message,
                    action=action,
                    repair=problem.repair if action == "fixed" else None,
                )
            )
        return keep

    async def _verify(
        self, plan: _Plan, target: TargetTables, context: ImportContext
    ) -> list[TableCheck]:
        """Row counts and key checksums: the source's rows less those left out (contents
        from items_json included) against the target's."""
        checks = []
        for step in plan.steps:
            table = step.table
            gone = context.left_out[table] - context.kept[table]
            expected = set(await plan.source.keys(table)) - gone
            stored = set(await target.keys(table))
            checks.append(
                TableCheck(
                    table=table,
                    source_rows=len(expected),
                    target_rows=len(stored),
                    source_checksum=_checksum(expected),
                    target_checksum=_checksum(stored),
                )
            )
        return checks


def _check_options(on_conflict: OnConflict, batch_size: int) -> None:
    if on_conflict not in ON_CONFLICT_MODES:
        raise ValidationError(
            f"on_conflict must be stop, skip or fix, got {on_conflict!r}",
            field="on_conflict",
            value=on_conflict,
        )
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValidationError(
            f"batch_size must be 1..{MAX_BATCH_SIZE}, got {batch_size!r}",
            field="batch_size",
            value=batch_size,
        )


def _orphan_problems(plan: _Plan) -> list[ProblemRow]:
    action: RowAction = "stopped" if plan.on_conflict == "stop" else "skipped"
    return [
        ProblemRow(
            table="player_inventories",
            key=player,
            problem="no player has this id; this inventory and equipment belong to nobody",
            action=action,
        )
        for player in plan.orphan_inventories
    ]


def _checksum(keys: set[str]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for key in sorted(keys):
        digest.update(key.encode())
        digest.update(b"\n")
    return digest.hexdigest()
