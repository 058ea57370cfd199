"""The mud-persistence command line: demo, upgrade, status, seed, shell, dbshell,
import-legacy and bench."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from mud_persistence.demo import run_demo
from mud_persistence.errors import PersistenceError
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.import_view import ProgressBars, show_report
from mud_persistence.schemas.legacy import MAX_BATCH_SIZE, ON_CONFLICT_MODES
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
    add_import_legacy_parser(commands, database)
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


# import-legacy -----------------------------------------------------------------------------


def add_import_legacy_parser(commands: Any, database: argparse.ArgumentParser) -> None:
    command = commands.add_parser(
        "import-legacy",
        parents=[database],
        help="import a game from the old layer's PostgreSQL schema",
        description="Migrate the target database (--db), then copy professions, item "
        "prototypes and instances, players, containers and player effects from a database of "
        "the old layer (the MythosMUD SQLAlchemy schema). Safe to run again, and again after a "
        "crash: rows are upserted by key, in batches. Shows a progress bar per table, then a "
        "summary; exits 1 if it stopped on problem rows or the verification failed.",
    )
    command.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SOURCE_URL",
        help="the old game's database: postgres://user:password@host:port/name",
    )
    command.add_argument(
        "--schema",
        default="public",
        metavar="NAME",
        help="the old layer's schema in that database, e.g. mythos_dev (default: public)",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="read and check everything, write nothing"
    )
    command.add_argument(
        "--on-conflict",
        choices=ON_CONFLICT_MODES,
        default="stop",
        help="problem rows (a stat out of range, a duplicate name, an item in two "
        "containers, ...): stop writes nothing (default), skip leaves them out, fix repairs "
        "them; each is listed",
    )
    command.add_argument(
        "--batch-size",
        type=batch_size,
        default=1000,
        metavar="N",
        help="rows per transaction (default 1000)",
    )
    command.add_argument(
        "--report", type=Path, metavar="FILE", help="also write the whole report as JSON"
    )


def batch_size(text: str) -> int:
    """--batch-size out of range is a bad command line (exit 2), as a word there is."""
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be 1..{MAX_BATCH_SIZE}, got {size}")
    return size


async def import_legacy(layer: AsyncPersistenceLayer, args: argparse.Namespace) -> int:
    if layer.settings.dialect != "postgres":  # refused before migrating a new SQLite file
        print(
            "mud-persistence import-legacy: the target must be PostgreSQL: "
            "pass --db postgres://user:password@host:port/name or set DATABASE_URL",
            file=sys.stderr,
        )
        return EXIT_FAILED
    await layer.connect(migrate=True)
    try:
        with ProgressBars(Console(stderr=True)) as progress:
            report = await layer.import_legacy(
                args.source,
                schema=args.schema,
                dry_run=args.dry_run,
                on_conflict=args.on_conflict,
                batch_size=args.batch_size,
                progress=progress,
            )
    finally:
        await layer.close()
    show_report(report, Console(width=160))
    if args.report is not None:
        try:
            args.report.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        except OSError as exc:
            print(f"mud-persistence import-legacy: cannot write the report: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if report.outcome == "stopped":
        refused = sum(problem.action == "stopped" for problem in report.problems)
        print(
            f"mud-persistence import-legacy: stopped on {refused} problem(s); nothing was written",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if report.outcome == "imported" and not report.verified:
        print("mud-persistence import-legacy: verification failed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


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
COMMANDS = {
    "upgrade": upgrade,
    "status": status,
    "seed": seed,
    "demo": demo,
    "import-legacy": import_legacy,
}


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
