"""What `mud-persistence import-legacy` shows: a progress bar per table, then the summary."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mud_persistence.schemas.legacy import ImportReport

PROBLEMS_SHOWN = 50


class ProgressBars:
    """An ImportProgress drawing one rich progress bar per table and phase."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._tasks:
            self._progress.stop()

    def table_started(self, table: str, total: int, phase: str) -> None:
        if not self._tasks:  # started late, so a failure before any table draws nothing
            self._progress.start()
        self._tasks[table] = self._progress.add_task(f"{phase} {table}", total=total)

    def rows_done(self, table: str, rows: int) -> None:
        self._progress.advance(self._tasks[table], rows)


def show_report(report: ImportReport, console: Console) -> None:
    """The per-table summary, the problem rows (the first 50) and the outcome."""
    checks = {check.table: check for check in report.verification}
    summary = Table(title=f"import from {report.source}, schema {report.schema_name}")
    for heading in ("table", "read", "kept", "written", "skipped", "fixed", "verified"):
        summary.add_column(heading, justify="left" if heading == "table" else "right")
    for counts in report.tables:
        check = checks.get(counts.table)
        verified = "-" if check is None else "yes" if check.matches else "NO"
        summary.add_row(
            counts.table,
            *(str(n) for n in (counts.read, counts.kept, counts.written, counts.skipped)),
            str(counts.fixed),
            verified,
        )
    console.print(summary)
    if report.problems:
        _show_problems(report, console)
    for check in report.verification:
        if not check.matches:
            console.print(
                f"{check.table}: the source has {check.source_rows} row(s) to import (key "
                f"checksum {check.source_checksum}), the target {check.target_rows} "
                f"({check.target_checksum})"
            )
    console.print(_outcome(report))


def _show_problems(report: ImportReport, console: Console) -> None:
    problems = Table(title=f"{len(report.problems)} problem row(s) and note(s)")
    for heading in ("table", "key", "action", "problem", "repair"):
        problems.add_column(heading, overflow="fold")
    for problem in report.problems[:PROBLEMS_SHOWN]:
        problems.add_row(
            problem.table, problem.key, problem.action, problem.problem, problem.repair or ""
        )
    console.print(problems)
    if len(report.problems) > PROBLEMS_SHOWN:
        console.print(
            f"... and {len(report.problems) - PROBLEMS_SHOWN} more: --report FILE writes them all"
        )


def _outcome(report: ImportReport) -> str:
    if report.outcome == "stopped":
        return (
            "stopped: problem rows found, nothing was written. Repair them in the old "
            "database, or run again with --on-conflict skip (leave them out) or fix (repair "
            "them as listed by a --dry-run)."
        )
    if report.outcome == "dry_run":
        return f"dry run: nothing was written ({report.seconds:.1f} s)"
    verdict = "verified" if report.verified else "VERIFICATION FAILED"
    return f"imported in {report.seconds:.1f} s; {verdict}"
