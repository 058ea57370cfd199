"""The mud-persistence command line: demo, upgrade, status, seed, shell, dbshell and bench."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mud_persistence.demo import run_demo
from mud_persistence.errors import PersistenceError
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.settings import load_settings
from mud_persistence.shell import run_dbshell, run_shell

EXIT_OK, EXIT_FAILED = 0, 1  # argparse exits 2 on a bad command line
CHECKOUT = Path(__file__).resolve().parent.parent
DB_HELP = (
    "database URL: postgresql://user:password@host:port/name or sqlite:///path "
    "(default: $DATABASE_URL, else the SQLite file mud_persistence.sqlite3)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mud-persistence",
        description="The persistence layer of a MUD game server: try it, migrate it, seed it.",
        epilog="Exit codes: 0 done, 1 failed (the reason is printed), 2 bad command line.",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--db", metavar="URL", help=DB_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        parents=[database],
        help="play a scripted game session and check every invariant",
        description="Migrate the database, seed it, then play a session with hundreds of "
        "concurrent hits, XP awards, a death, a concurrent looting and a decay sweep; end with "
        "a summary of operations and invariants. Exits 1 if an invariant does not hold.",
    )
    commands.add_parser(
        "upgrade",
        parents=[database],
        help="apply pending migrations (SQLite: create the schema)",
        description="Apply every pending Aerich migration, as `aerich upgrade` does.",
    )
    commands.add_parser(
        "status",
        parents=[database],
        help="list applied and pending migrations",
        description="List the migrations the database has applied and those still pending.",
    )
    seed = commands.add_parser(
        "seed",
        parents=[database],
        help="load professions and item prototypes",
        description="Insert or update professions (by name) and item prototypes (by id). "
        "With no option, the bundled ones; with --professions or --prototypes, only the files "
        "given. The schema must be current.",
    )
    seed.add_argument("--professions", type=Path, metavar="FILE", help="a JSON list of professions")
    seed.add_argument("--prototypes", type=Path, metavar="FILE", help="a JSON list of prototypes")
    commands.add_parser(
        "shell",
        parents=[database],
        help="an asyncio Python prompt with `persistence` connected",
        description="An interactive Python prompt where `await` works, with `persistence` (a "
        "connected AsyncPersistenceLayer), the models (Player, Container, ...) and the "
        'package\'s names ready: `await persistence.get_player_by_name("Armitage")`. A new '
        "SQLite file gets its schema first, as in `demo`; a PostgreSQL database must be current.",
    )
    commands.add_parser(
        "dbshell",
        parents=[database],
        help="open psql or sqlite3 on the database",
        description="Run the database's own client on the configured database: psql for "
        "PostgreSQL (the password is passed in the environment, never on the command line), "
        "sqlite3 for a SQLite file.",
    )
    commands.add_parser(
        "bench",
        help="run the benchmark (from a checkout of the repository)",
        description="Run `python -m bench.run` with any further arguments "
        "(for example --rounds 3 --operations damage_player); `make bench` runs it in full.",
    )
    return parser


async def upgrade(layer: AsyncPersistenceLayer, args: argparse.Namespace) -> int:
    applied = await layer.upgrade()
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {name}" for name in applied))
    return EXIT_OK


async def status(layer: AsyncPersistenceLayer, args: argparse.Namespace) -> int:
    current = await layer.migration_status()
    print(f"database: {layer.settings.describe_database()}")
    for name in current.applied:
        print(f"  applied  {name}")
    for name in current.pending:
        print(f"  pending  {name}")
    print("schema is current" if current.is_current else "schema is behind: run `upgrade`")
    return EXIT_OK


async def seed(layer: AsyncPersistenceLayer, args: argparse.Namespace) -> int:
    # a file names what to load; with no file at all, both bundled sets are loaded
    everything = args.professions is None and args.prototypes is None
    professions = prototypes = 0
    async with layer:
        if everything or args.professions:
            professions = await layer.seed_professions(args.professions)
        if everything or args.prototypes:
            prototypes = await layer.seed_item_prototypes(args.prototypes)
    print(f"seeded {professions} profession(s) and {prototypes} item prototype(s)")
    return EXIT_OK


async def demo(layer: AsyncPersistenceLayer, args: argparse.Namespace) -> int:
    return EXIT_OK if await run_demo(layer.settings.database_url) else EXIT_FAILED


def bench(arguments: list[str]) -> int:
    try:
        found = importlib.util.find_spec("bench.run")
    except ModuleNotFoundError:
        found = None
    if found is None or found.origin is None or not found.origin.startswith(str(CHECKOUT)):
        print("mud-persistence bench: run it from a checkout of the repository", file=sys.stderr)
        return EXIT_FAILED
    return subprocess.call([sys.executable, "-m", "bench.run", *arguments])


def subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of subcommand ``name``, whose usage line is the one to show for its errors."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]  # type: ignore[no-any-return]
    return parser


# Commands that own the terminal, run outside asyncio.run.
INTERACTIVE = {"shell": run_shell, "dbshell": run_dbshell}
COMMANDS = {"upgrade": upgrade, "status": status, "seed": seed, "demo": demo}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        return bench(extra)
    if extra:
        subcommand(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings = load_settings(database_url=args.db) if args.db else load_settings()
        if args.command in INTERACTIVE:
            return INTERACTIVE[args.command](settings)
        layer = AsyncPersistenceLayer(settings=settings)
        return asyncio.run(COMMANDS[args.command](layer, args))
    except PersistenceError as exc:
        print(f"mud-persistence {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
