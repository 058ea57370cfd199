"""Import of a game's data from the old layer's PostgreSQL schema."""

from __future__ import annotations

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _unkeyed_write
from mud_persistence.repositories.legacy.importer import LegacyImporter, require_postgres_target
from mud_persistence.schemas.legacy import ImportProgress, ImportReport, OnConflict


class LegacyImportMixin(LayerBase):
    """import_legacy: the old layer's data into this database."""

    @_unkeyed_write
    async def import_legacy(
        self,
        source_url: str,
        *,
        schema: str = "public",
        dry_run: bool = False,
        on_conflict: OnConflict = "stop",
        batch_size: int = 1000,
        progress: ImportProgress | None = None,
    ) -> ImportReport:
        """Copy a game's data from the old layer's PostgreSQL schema into this database.

        Professions, item prototypes and instances, players (stats spread into columns,
        player_inventories merged as the old layer loaded it), containers with their contents,
        and player effects. Rows are upserted by key in batches of ``batch_size``, each batch
        one transaction: running it again, or again after a crash, gives the same result.

        Args:
            source_url: ``postgres://user:password@host:port/database`` of the old game.
            schema: the old layer's schema in that database (``mythos_dev``, ...).
            dry_run: read and check everything, write nothing.
            on_conflict: what to do with problem rows (a stat out of range, a duplicate
                name, one item in two containers, ...): ``stop`` writes nothing, ``skip``
                leaves them out, ``fix`` repairs them (see docs/migrating.md); every one is
                listed in the report.
            progress: told how far each table is (the CLI draws progress bars).

        Returns:
            ImportReport: per-table counts, problem rows, and the verification (row counts and
            a checksum of the key columns on both sides).

        Raises:
            ValidationError: a bad argument, or a target that is not PostgreSQL.
            SchemaError: the source schema lacks the old tables.
            DatabaseError: the source or the target failed.

        It takes no ``idempotency_key``: it commits batch by batch, and running it again
        already gives the same result.
        """
        require_postgres_target(self.settings)
        importer = LegacyImporter(self.settings.connection_name, self.settings.dp_floor)
        return await importer.run(
            source_url,
            schema=schema,
            dry_run=dry_run,
            on_conflict=on_conflict,
            batch_size=batch_size,
            progress=progress,
        )
