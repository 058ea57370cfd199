"""`mud-persistence shell` (an asyncio Python prompt with the layer connected) and `dbshell`
(the database's own client, psql or sqlite3, on the configured database)."""

from __future__ import annotations

import ast
import asyncio
import code
import concurrent.futures
import contextlib
import inspect
import os
import shutil
import signal
import subprocess
import threading
import types
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import mud_persistence
from mud_persistence import errors, events, models
from mud_persistence.errors import PersistenceError
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.settings import PersistenceSettings

# libpq reads these variables; dbshell passes the connection to psql this way, so the password
# never appears on a command line other users can list.
LIBPQ_OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class AsyncConsole(code.InteractiveConsole):
    """Python's interactive console, with ``await`` allowed at top level: each statement that
    awaits runs on the event loop of the layer, in its thread."""

    def __init__(self, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(namespace)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, code: types.CodeType) -> None:
        try:
            result = types.FunctionType(code, self.locals)()
            if inspect.iscoroutine(result):
                self.await_on_loop(result)
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()

    def await_on_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except (KeyboardInterrupt, concurrent.futures.CancelledError):
            future.cancel()
            raise


def namespace_for(persistence: AsyncPersistenceLayer) -> dict[str, Any]:
    """What the prompt starts with: the layer, the package's public names and every model."""
    namespace: dict[str, Any] = {"__name__": "__console__", "asyncio": asyncio}
    namespace.update({name: getattr(mud_persistence, name) for name in mud_persistence.__all__})
    namespace.update(
        {
            name: value
            for name, value in vars(models).items()
            if inspect.isclass(value) and value.__module__.startswith("mud_persistence.models")
        }
    )
    namespace.update(errors=errors, events=events, models=models, persistence=persistence)
    return namespace


def banner(persistence: AsyncPersistenceLayer, namespace: dict[str, Any]) -> str:
    names = sorted(name for name in namespace if not name.startswith("_") and name != "asyncio")
    return (
        f"mud-persistence shell on the {persistence.settings.describe_database()}\n"
        "An asyncio Python prompt: `await` works here. Ctrl-D (or exit()) leaves.\n"
        f"Ready: {', '.join(names)}\n"
        'Try: await persistence.get_player_by_name("Armitage")'
    )


def run_shell(settings: PersistenceSettings) -> int:
    """Connect a layer (building a new SQLite file's schema first, as `demo` does), then hand
    the terminal to an asyncio prompt until the user leaves; close the layer at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mud-persistence-shell", daemon=True)
    thread.start()
    persistence = AsyncPersistenceLayer(settings=settings)

    def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    try:
        run(persistence.connect(migrate=settings.dialect == "sqlite"))
        namespace = namespace_for(persistence)
        console = AsyncConsole(namespace, loop)
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 (line editing and history at the prompt, where available)
        console.interact(banner=banner(persistence, namespace), exitmsg="")
        return 0
    finally:
        try:
            run(persistence.close())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()


def dbshell_command(settings: PersistenceSettings) -> tuple[list[str], dict[str, str]]:
    """The client's command line and environment for the configured database.

    Raises:
        PersistenceError: the client is not installed, or the database is in memory or is a
            SQLite file that does not exist.
    """
    url = settings.parsed_database_url
    if url.dialect == "sqlite":
        if url.path == ":memory:":
            raise PersistenceError("an in-memory SQLite database exists only inside its program")
        # sqlite3 would create an empty file at a mistyped path
        if not Path(str(url.path)).exists():
            raise PersistenceError(
                f"the SQLite file {url.path} does not exist; create it with "
                f"`mud-persistence upgrade --db {settings.database_url}`"
            )
        return [client("sqlite3", "sqlite3"), str(url.path)], dict(os.environ)
    environment = dict(os.environ)
    if url.addresses:
        environment["PGHOST"] = ",".join(address.host for address in url.addresses)
        environment["PGPORT"] = ",".join(str(address.port) for address in url.addresses)
    else:
        environment["PGPORT"] = str(url.port)
    for value, variable in (
        (url.user, "PGUSER"),
        (url.password, "PGPASSWORD"),
        (url.database, "PGDATABASE"),
    ):
        if value:
            environment[variable] = value
    for option, variable in LIBPQ_OPTION_VARIABLES.items():
        if option in url.options:
            environment[variable] = url.options[option]
    return [client("psql", "postgresql-client")], environment


def client(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise PersistenceError(f"{program} is not installed (on Debian or Ubuntu: {package})")
    return found


def run_dbshell(settings: PersistenceSettings) -> int:
    """Run psql or sqlite3 on the configured database; return its exit status."""
    command, environment = dbshell_command(settings)
    # Ctrl-C belongs to the client (it cancels a query there), not to this process.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run(command, env=environment, check=False).returncode
    finally:
        signal.signal(signal.SIGINT, previous)
