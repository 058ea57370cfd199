"""What an import from the old layer's schema reports: counts, problem rows, verification."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

OnConflict = Literal["stop", "skip", "fix"]
ON_CONFLICT_MODES: tuple[OnConflict, ...] = ("stop", "skip", "fix")
MAX_BATCH_SIZE = 100_000  # rows per transaction

# What happened to a row with a problem: the import stopped on it (nothing was written), left
# it out, or wrote it repaired. "noted" rows were written as the old layer read them; the note
# says what it ignored.
RowAction = Literal["stopped", "skipped", "fixed", "noted"]


class ProblemRow(BaseModel):
    """One row the import could not take over as it was."""

    model_config = ConfigDict(frozen=True)

    table: str = Field(description="the old schema's table")
    key: str = Field(description="the row's key in the old schema")
    problem: str = Field(description="what is wrong, with the value")
    action: RowAction
    repair: str | None = Field(default=None, description="what `fix` changed, when it did")


class TableCounts(BaseModel):
    """Rows of one table: read from the source, and what became of them."""

    table: str
    read: int = 0
    kept: int = Field(default=0, description="rows the target holds after the import")
    written: int = Field(default=0, description="rows inserted or changed by this run")
    skipped: int = 0
    fixed: int = 0


class TableCheck(BaseModel):
    """Row count and checksum of the key columns, on each side."""

    model_config = ConfigDict(frozen=True)

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)


class ImportReport(BaseModel):
    """What ``import_legacy`` did.

    ``outcome`` is ``imported``, ``dry_run`` (nothing written: the counts are what an import
    would do) or ``stopped`` (``on_conflict="stop"`` met problem rows; nothing written).
    """

    source: str
    schema_name: str
    on_conflict: OnConflict
    outcome: Literal["imported", "dry_run", "stopped"]
    tables: list[TableCounts]
    problems: list[ProblemRow] = Field(default_factory=list)
    verification: list[TableCheck] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def verified(self) -> bool:
        """Every table's count and checksum match (False when nothing was verified)."""
        return bool(self.verification) and all(check.matches for check in self.verification)

    def counts(self, table: str) -> TableCounts:
        """The counts of ``table`` (a target table name)."""
        return next(counts for counts in self.tables if counts.table == table)


class ImportProgress(Protocol):
    """Receives progress while an import runs (the CLI draws a bar per table)."""

    def table_started(self, table: str, total: int, phase: str) -> None:
        """``phase`` is "checking" (reading only) or "importing"."""

    def rows_done(self, table: str, rows: int) -> None:
        """``rows`` more rows of ``table`` are done; in "importing", they are committed."""
