"""Settings read from the environment, and the Tortoise config Aerich's CLI loads."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mud_persistence.errors import ValidationError
from mud_persistence.models import DEFAULT_ROOM_ID
from mud_persistence.models.limits import LOWEST_DP
from mud_persistence.urls import DatabaseURL, DatabaseURLError, parse_database_url

APP_LABEL = "models"
MODEL_MODULES = ["mud_persistence.models", "aerich.models"]
DEFAULT_DATABASE_URL = "sqlite:///mud_persistence.sqlite3"
# the first one set wins; DATABASE_URL is the variable the game's own settings read
DATABASE_URL_VARIABLES = ("MUD_PERSISTENCE_DATABASE_URL", "DATABASE_URL")

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = _PACKAGE_DIR / "data"


def default_migrations_location() -> Path:
    """The repository's migrations/ in a checkout; the copy bundled in the wheel otherwise."""
    checkout = _PACKAGE_DIR.parent / "migrations"
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "migrations"


class PersistenceSettings(BaseSettings):
    """Every knob of the persistence layer.

    Each field reads ``MUD_PERSISTENCE_<FIELD>`` from the environment; the database URL also
    reads plain ``DATABASE_URL``.
    """

    model_config = SettingsConfigDict(
        env_prefix="MUD_PERSISTENCE_", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices(*DATABASE_URL_VARIABLES),
        description="postgresql://user:password@host:port/db, or sqlite:///path for the demo.",
    )
    pool_min_size: int = Field(default=2, ge=1, description="Connections kept open.")
    pool_max_size: int = Field(default=10, ge=1, description="Most connections open at once.")
    batch_when_busy: bool = Field(
        default=True,
        description="While every pooled connection is busy, send the player lookups, "
        "counter changes and saves that wait for one together, one statement per kind "
        "(PostgreSQL).",
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to wait for a new connection before giving up."
    )
    acquire_timeout: float = Field(
        default=10.0, gt=0, description="Seconds an operation waits for a free connection."
    )
    statement_timeout: float = Field(
        default=30.0, ge=0, description="Seconds the server lets one statement run (0: no limit)."
    )
    command_timeout: float = Field(
        default=40.0,
        ge=0,
        description="Seconds the client waits for the server to answer one statement before it "
        "gives up with DatabaseError, even when the server stops answering altogether (0: no "
        "limit). Keep it above statement_timeout, so a slow statement reports the server's own "
        "error.",
    )
    cancel_timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a call that timed out or was cancelled waits to hand its connection "
        "back (cancel request, reset); past that the connection is closed instead.",
    )
    retry_attempts: int = Field(
        default=3, ge=1, description="Tries for an operation that failed on a transient error."
    )
    retry_base_delay: float = Field(
        default=0.02, ge=0, description="Seconds before the first retry; doubles each time."
    )
    retry_max_delay: float = Field(default=0.5, ge=0, description="Longest wait between retries.")
    default_room_id: str = Field(
        default=DEFAULT_ROOM_ID, min_length=1, description="Where players in unknown rooms go."
    )
    dp_floor: int = Field(
        default=-10,
        ge=LOWEST_DP,
        le=0,
        description="Lowest current_dp damage can reach (-10: mortally wounded down to dead).",
    )
    xp_per_level: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Opt-in level curve: when set, every XP change also sets level = "
            "experience_points // this + 1 in the same statement. Unset: the level is the "
            "game's, and XP changes leave it alone (as the old layer did)."
        ),
    )
    idempotency_key_ttl: float = Field(
        default=24 * 3600.0,
        gt=0,
        description=(
            "Seconds an idempotency key is remembered after its call committed: a repeat within "
            "that time returns the recorded result, a later one runs again (docs/idempotency.md)."
        ),
    )
    idempotency_cleanup_interval: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Seconds between two deletions of expired idempotency keys, each run in the "
            "background after a keyed call (an expired key already counts as absent)."
        ),
    )
    rooms_directory: Path = Field(
        default=DATA_DIR / "rooms",
        description="Folder of room JSON files the default room loader reads.",
    )
    pool_mode: Literal["session", "transaction"] = Field(
        default="session",
        description=(
            "How the server side pools connections: `session` (a direct connection, or "
            "PgBouncer in session mode) or `transaction` (PgBouncer in transaction mode: no "
            "named prepared statements, statement timeout set per transaction)."
        ),
    )
    replica_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Read replicas for staleness-tolerant reads (listings, professions); from the "
            "environment, one URL or several separated by whitespace."
        ),
    )
    echo: bool = Field(
        default=False,
        description="Log every SQL statement with its duration to the logger "
        "mud_persistence.sql (passwords replaced by ***); like SQLAlchemy's echo=True.",
    )
    outbox: bool = Field(
        default=True,
        description="Write every event to the outbox table in the same transaction as its "
        "change, so that `subscribe()` in any process gets it and a crash between commit and "
        'publish loses none (docs/scaling.md, "Events across processes"). Off: events go to '
        "the local bus only, as before, and `subscribe()` refuses.",
    )
    listen_url: str | None = Field(
        default=None,
        description="Where the outbox's LISTEN connection goes: a direct PostgreSQL URL (not "
        "PgBouncer in transaction mode, which cannot LISTEN). Unset: the database URL, except "
        'with `pool_mode="transaction"`, where subscriptions poll instead.',
    )
    outbox_relay_interval: float = Field(
        default=1.0,
        gt=0,
        description="Seconds between the relay's rounds when no write wakes it: it records how "
        "far this process has published its events, re-publishes what a dead writer left, and "
        "polls for subscribers without LISTEN.",
    )
    outbox_poll_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds a subscriber with a working LISTEN waits before it looks anyway "
        "(a NOTIFY lost while reconnecting).",
    )
    outbox_orphan_grace: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a process may go without recording how far it has published before "
        "another process's relay counts it as dead and publishes the events it never did (its "
        "writer died between commit and publish).",
    )
    outbox_retention: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds events stay in the outbox for `subscribe(since=...)` "
        "to replay: one hour covers a restart or a deploy and keeps the table small.",
    )
    migrations_location: Path = Field(
        default_factory=default_migrations_location,
        description="Folder holding Aerich's migration files.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url_is_usable(cls, url: str) -> str:
        url = url.strip()  # a URL pasted into a .env file or a secret often ends in a newline
        parse_database_url(url)  # its errors name the bad part, never the password
        return url

    @field_validator("listen_url")
    @classmethod
    def _listen_url_is_postgres(cls, url: str | None) -> str | None:
        if url is None:
            return None
        url = url.strip()
        if parse_database_url(url).dialect != "postgres":
            raise ValueError("the LISTEN URL is not a PostgreSQL URL")
        return url

    @field_validator("replica_urls", mode="before")
    @classmethod
    def _split_replica_urls(cls, value: object) -> object:
        # a URL may itself hold commas (several hosts), so the environment separates by spaces
        return value.split() if isinstance(value, str) else value

    @field_validator("replica_urls")
    @classmethod
    def _replica_urls_are_postgres(cls, urls: list[str]) -> list[str]:
        for index, url in enumerate(urls, start=1):
            try:
                parsed = parse_database_url(url)
            except DatabaseURLError as exc:
                raise ValueError(f"replica {index}: {exc}") from None
            if parsed.dialect != "postgres":
                raise ValueError(f"replica {index} is not a PostgreSQL URL")
        return urls

    @model_validator(mode="after")
    def _pool_bounds_are_ordered(self) -> PersistenceSettings:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"pool_min_size ({self.pool_min_size}) is larger than "
                f"pool_max_size ({self.pool_max_size})"
            )
        return self

    @model_validator(mode="after")
    def _orphan_grace_outlasts_the_relay_interval(self) -> PersistenceSettings:
        if self.outbox_orphan_grace <= self.outbox_relay_interval:
            raise ValueError(
                f"outbox_orphan_grace ({self.outbox_orphan_grace:g} s) must be longer than "
                f"outbox_relay_interval ({self.outbox_relay_interval:g} s): a process records "
                "that it is alive once per relay interval, so a shorter grace would count live "
                "processes as dead"
            )
        return self

    @cached_property
    def parsed_database_url(self) -> DatabaseURL:
        """``database_url`` taken apart: servers, credentials, options."""
        return parse_database_url(self.database_url)

    @property
    def parsed_listen_url(self) -> DatabaseURL:
        """Where the outbox LISTENs: ``listen_url``, else the database URL."""
        if self.listen_url is None:
            return self.parsed_database_url
        return parse_database_url(self.listen_url)

    @property
    def dialect(self) -> str:
        """'postgres' or 'sqlite'."""
        return self.parsed_database_url.dialect

    @property
    def connection_name(self) -> str:
        """The Tortoise connection name. Tortoise caches compiled SQL by connection name, so
        each dialect gets its own."""
        return self.dialect

    def scrub(self, text: str) -> str:
        """``text`` with the database (and LISTEN) password, if any, replaced by ***."""
        text = self.parsed_database_url.scrub(text)
        return text if self.listen_url is None else self.parsed_listen_url.scrub(text)

    def describe_database(self) -> str:
        """Where the database is, for messages: servers and database name, never the password."""
        return self.parsed_database_url.describe()


def load_settings(base: PersistenceSettings | None = None, **changes: Any) -> PersistenceSettings:
    """Settings from the environment (or ``base``) with ``changes`` applied and validated.

    Raises:
        ValidationError: naming each bad setting; never repeating a value, which may be a URL
            holding a password.
    """
    try:
        if base is None:
            return PersistenceSettings(**changes)
        return PersistenceSettings.model_validate({**base.model_dump(), **changes})
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        problems = "; ".join(map(_describe_problem, errors))
        raise ValidationError(f"invalid settings: {problems}", field=_field_of(errors[0])) from None


def _field_of(error: ErrorDetails) -> str | None:
    where = ".".join(map(str, error["loc"])) or None
    # pydantic names an aliased field by its first alias, whichever variable was set
    return "database_url" if where in DATABASE_URL_VARIABLES else where


def _describe_problem(error: ErrorDetails) -> str:
    where = _field_of(error) or "settings"
    if where != ".".join(map(str, error["loc"])):
        where += f" (from {_database_url_variable()})"
    reason = error.get("ctx", {}).get("error")
    if isinstance(reason, DatabaseURLError):
        return f"{where}: {reason}"  # already a sentence, with names whose case matters
    return f"{where} {error['msg'].lower()}"


def _database_url_variable() -> str:
    names = {name.upper(): name for name in os.environ}
    return next((names[v] for v in DATABASE_URL_VARIABLES if v in names), "the environment")


def tortoise_config(settings: PersistenceSettings) -> dict[str, Any]:
    """The Tortoise ORM config dict for these settings, Aerich's model app included."""
    url = settings.parsed_database_url
    url.check_files()
    connection: dict[str, Any]
    if url.dialect == "sqlite":
        connection = {
            "engine": "mud_persistence.sqlite_backend",
            "credentials": {
                "file_path": url.path,
                "journal_mode": "WAL",
                # other processes may hold the write lock: wait as long as for a pool connection
                "busy_timeout": int(settings.acquire_timeout * 1000),
            },
        }
    else:
        credentials = url.asyncpg_credentials()
        credentials["timeout"] = url.connect_timeout(settings.connect_timeout)
        credentials["minsize"] = settings.pool_min_size
        credentials["maxsize"] = settings.pool_max_size
        credentials["acquire_timeout"] = settings.acquire_timeout
        credentials["release_timeout"] = settings.cancel_timeout
        if settings.command_timeout:
            credentials["command_timeout"] = settings.command_timeout
        if not settings.batch_when_busy:
            credentials["batch_when_busy"] = False
        if settings.pool_mode == "transaction":
            # PgBouncer hands each transaction to any server connection: a named prepared
            # statement may not exist there, and it refuses session-level startup settings.
            # The backend sets the statement timeout inside each transaction instead.
            credentials["statement_cache_size"] = 0
            credentials["transaction_statement_timeout"] = settings.statement_timeout
        elif settings.statement_timeout:
            milliseconds = str(int(settings.statement_timeout * 1000))
            credentials["server_settings"] = {"statement_timeout": milliseconds}
        connection = {"engine": "mud_persistence.backend", "credentials": credentials}
    if settings.echo:
        connection["credentials"]["echo"] = True
    return {
        "connections": {settings.connection_name: connection},
        "apps": {
            APP_LABEL: {"models": MODEL_MODULES, "default_connection": settings.connection_name}
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # Aerich's CLI reads TORTOISE_ORM from this module (pyproject.toml [tool.aerich]). Built on
    # first use, not at import: importing mud_persistence must never fail because of what the
    # environment holds; a bad URL is reported when Aerich asks for the config.
    if name == "TORTOISE_ORM":
        try:
            return tortoise_config(load_settings())
        except (ValidationError, DatabaseURLError) as exc:
            import asyncclick  # Aerich's command-line library, loaded only when it asks

            if asyncclick.get_current_context(silent=True) is None:
                raise
            # inside Aerich's command line: one line of error, not a traceback
            raise asyncclick.ClickException(str(exc)) from None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
