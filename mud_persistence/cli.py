"""The mud-persistence command line: schema upgrade, status, and the demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from mud_persistence.errors import PersistenceError
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.settings import load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mud-persistence",
        description="Manage the database of a MUD game server's persistence layer.",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        metavar="URL",
        help="database URL: postgres://user:password@host:port/name or sqlite://path "
        "(default: $DATABASE_URL, else the SQLite file mud_persistence.sqlite3)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "upgrade", parents=[database], help="apply pending migrations (SQLite: create the schema)"
    )
    commands.add_parser("status", parents=[database], help="list applied and pending migrations")
    commands.add_parser(
        "demo", parents=[database], help="build the demo database and show its schema status"
    )
    return parser


async def _upgrade(layer: AsyncPersistenceLayer) -> None:
    applied = await layer.upgrade()
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {name}" for name in applied))


async def _status(layer: AsyncPersistenceLayer) -> None:
    status = await layer.migration_status()
    print(f"database: {layer.settings.describe_database()}")
    for name in status.applied:
        print(f"  applied  {name}")
    for name in status.pending:
        print(f"  pending  {name}")
    print("schema is current" if status.is_current else "schema is behind: run `upgrade`")


async def _demo(layer: AsyncPersistenceLayer) -> None:
    await _upgrade(layer)
    await _status(layer)


COMMANDS = {"upgrade": _upgrade, "status": _status, "demo": _demo}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(database_url=args.db) if args.db else load_settings()
        asyncio.run(COMMANDS[args.command](AsyncPersistenceLayer(settings=settings)))
    except PersistenceError as exc:
        print(f"mud-persistence {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
