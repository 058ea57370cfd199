"""Database URLs as people write them (libpq, SQLAlchemy, Tortoise), parsed once, checked clearly.

PostgreSQL URLs follow libpq: several hosts (``postgresql://u@h1:5432,h2:5432/db`` or
``?host=h1,h2&port=5432,5433``), ``target_session_attrs`` and the TLS options. SQLite URLs follow
SQLAlchemy: ``sqlite:///relative.db``, ``sqlite:////absolute.db``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

POSTGRES_SCHEMES = (
    "postgresql",
    "postgres",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
)
SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# asyncpg's SessionAttribute values (a unit test keeps the two in step)
SESSION_ATTRS = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")
DEFAULT_PORT = 5432
# libpq picks the first host that answers; with several hosts listed the layer wants the one that
# takes writes, or a standby listed first would be used as the primary
MULTI_HOST_SESSION_ATTRS = "read-write"

TLS_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey")
_OPTIONS = (
    *TLS_OPTIONS,
    "application_name",
    "connect_timeout",
    "target_session_attrs",
    "host",
    "port",
    "dbname",
    "user",
    "password",
    "ssl",  # SQLAlchemy's asyncpg dialect spells sslmode this way
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IPV6_HOST = re.compile(r"^\[([^\]]+)\](?::(.*))?$")


class DatabaseURLError(ValueError):
    """The database URL cannot be used; the message names the part, never the password."""


@dataclass(frozen=True)
class Address:
    """One server of a PostgreSQL URL: a host name or IP, or a Unix socket directory."""

    host: str
    port: int

    def __str__(self) -> str:
        if self.host.startswith("/"):
            return f"{self.host}/.s.PGSQL.{self.port}"
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed database URL. Build it with :func:`parse_database_url`."""

    dialect: Literal["postgres", "sqlite"]
    addresses: tuple[Address, ...] = ()
    port: int = DEFAULT_PORT
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    @property
    def target_session_attrs(self) -> str | None:
        """The asyncpg ``target_session_attrs``: given, or read-write when several hosts are."""
        given = self.options.get("target_session_attrs")
        if given is None and len(self.addresses) > 1:
            return MULTI_HOST_SESSION_ATTRS
        return given

    def describe(self) -> str:
        """Where the database is, for messages: never the password."""
        if self.dialect == "sqlite":
            if self.path == ":memory:":
                return "SQLite in-memory database"
            return f"SQLite file {self.path}"
        servers = ", ".join(map(str, self.addresses)) or f"the local server (port {self.port})"
        text = f"PostgreSQL database {self.database or self.user or '(default)'!r} on {servers}"
        wanted = self.target_session_attrs
        if wanted is not None and wanted != "any":
            text += f" (wanting a {wanted} server)"
        return text

    def scrub(self, text: str) -> str:
        """``text`` with the password, plain or percent-encoded, replaced by ***."""
        if not self.password:
            return text
        for form in (self.password, quote(self.password, safe="")):
            text = text.replace(form, "***")
        return text

    def asyncpg_credentials(self) -> dict[str, Any]:
        """Tortoise ``credentials`` for :mod:`mud_persistence.backend`, which hands them to asyncpg.

        Tortoise takes one host and an integer port, so a list of servers travels as
        ``addresses``; the TLS options travel as ``tls_options`` because asyncpg reads the
        certificate paths only from a DSN.
        """
        first = self.addresses[0] if self.addresses else None
        credentials: dict[str, Any] = {
            "host": first.host if first else None,
            "port": first.port if first else self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
        }
        if len(self.addresses) > 1:
            credentials["addresses"] = [(a.host, a.port) for a in self.addresses]
        if self.target_session_attrs is not None:
            credentials["target_session_attrs"] = self.target_session_attrs
        tls = {name: self.options[name] for name in TLS_OPTIONS if name in self.options}
        if tls:
            credentials["tls_options"] = tls
        if "application_name" in self.options:
            credentials["application_name"] = self.options["application_name"]
        return credentials

    def connect_timeout(self, default: float) -> float:
        """Seconds to wait for a new connection: the URL's ``connect_timeout``, else ``default``."""
        return float(self.options.get("connect_timeout", default))

    def check_files(self) -> None:
        """Raise DatabaseURLError naming any certificate or key file that is not there.

        Done when connecting, not when parsing: the URL may be read where the files are not.
        """
        for name in ("sslrootcert", "sslcert", "sslkey"):
            path = self.options.get(name)
            if path is not None and not Path(path).expanduser().is_file():
                raise DatabaseURLError(f"{name}: no file at {path}")


def parse_database_url(url: str) -> DatabaseURL:
    """Parse ``url``; raise DatabaseURLError naming what is wrong (never echoing the password)."""
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in (*POSTGRES_SCHEMES, *SQLITE_SCHEMES):
        raise DatabaseURLError(
            "the database URL must start with postgresql://, postgres://, "
            "postgresql+asyncpg:// or sqlite:// (for example "
            "postgresql://user:password@host:5432/database or sqlite:///game.db)"
        )
    if scheme in SQLITE_SCHEMES:
        return _parse_sqlite(rest)
    return _parse_postgres(rest)


def _parse_sqlite(rest: str) -> DatabaseURL:
    # SQLAlchemy: sqlite:///relative.db and sqlite:////absolute.db; Tortoise's sqlite://file.db
    # (no third slash) names a relative file too.
    path, _, query = (rest[1:] if rest.startswith("/") else rest).partition("?")
    if query:
        names = ", ".join(repr(pair.partition("=")[0]) for pair in query.split("&") if pair)
        raise DatabaseURLError(f"unknown option(s) {names} in the SQLite URL: it takes none")
    if not path:
        raise DatabaseURLError("the SQLite URL names no file: write sqlite:///game.db")
    return DatabaseURL(dialect="sqlite", path=unquote(path))


def _parse_postgres(rest: str) -> DatabaseURL:
    before_query, _, query = rest.partition("?")
    netloc, slash, path = before_query.partition("/")
    if "@" in path:
        raise DatabaseURLError(
            "the database URL's user name or password holds a character that must be "
            "percent-encoded (/ as %2F, ? as %3F, @ as %40)"
        )
    auth, at, hostspec = netloc.rpartition("@")
    url_user, _, url_password = auth.partition(":")
    options = _parse_query(query)
    user = _once("user", unquote(url_user) if at else None, options.pop("user", None))
    password = _once(
        "password", unquote(url_password) if at else None, options.pop("password", None)
    )
    database = _once("database name", unquote(path) if slash else None, options.pop("dbname", None))
    if "ssl" in options:
        sslmode = _once("sslmode", options.get("sslmode"), options.pop("ssl"))
        options["sslmode"] = sslmode or ""
    _check_option_values(options)

    query_hosts = options.pop("host", None)
    if hostspec and query_hosts is not None:
        raise DatabaseURLError(
            "the database URL lists its hosts twice, before the path and in ?host=: keep one"
        )
    ports = _parse_ports(options.pop("port", None))
    addresses = _parse_hosts(hostspec or query_hosts or "", ports, encoded=bool(hostspec))
    return DatabaseURL(
        dialect="postgres",
        addresses=addresses,
        port=ports[0] if len(ports) == 1 else DEFAULT_PORT,
        user=user or None,
        password=password or None,
        database=database or None,
        options=options,
    )


def _parse_query(query: str) -> dict[str, str]:
    options: dict[str, str] = {}
    # libpq decodes %XX only; parse_qsl would also turn "+" into a space inside file paths
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        name, value = unquote(name), unquote(value)
        if name not in _OPTIONS and not _IDENTIFIER.match(name):
            raise DatabaseURLError(
                "the database URL's query holds a name that is no option: is there a ? or # in "
                "the password that should be percent-encoded (%3F, %23)?"
            )
        if name not in _OPTIONS:
            raise DatabaseURLError(
                f"unknown option {name!r} in the database URL; known options: "
                f"{', '.join(sorted(_OPTIONS))}"
            )
        if name in options:
            raise DatabaseURLError(f"option {name!r} is given twice in the database URL")
        options[name] = value
    return options


def _once(what: str, first: str | None, second: str | None) -> str | None:
    if first and second and first != second:
        raise DatabaseURLError(f"the database URL gives its {what} twice, differently")
    return first or second


def _check_option_values(options: dict[str, str]) -> None:
    sslmode = options.get("sslmode")
    if sslmode is not None and sslmode not in SSL_MODES:
        raise DatabaseURLError(f"sslmode {sslmode!r} is not one of {', '.join(SSL_MODES)}")
    attrs = options.get("target_session_attrs")
    if attrs is not None and attrs not in SESSION_ATTRS:
        raise DatabaseURLError(
            f"target_session_attrs {attrs!r} is not one of {', '.join(SESSION_ATTRS)}"
        )
    timeout = options.get("connect_timeout")
    if timeout is not None and not _is_positive_number(timeout):
        raise DatabaseURLError(f"connect_timeout {timeout!r} is not a positive number of seconds")
    for name in ("sslrootcert", "sslcert", "sslkey", "application_name"):
        if options.get(name) == "":
            raise DatabaseURLError(f"option {name!r} in the database URL is empty")


def _is_positive_number(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


def _parse_ports(text: str | None) -> list[int]:
    if not text:
        return []
    return [_port(part, "given in ?port=") for part in text.split(",")]


def _port(text: str, where: str) -> int:
    # the text is not repeated: in a URL typed without its @ it may be a password
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    raise DatabaseURLError(f"the port {where} is not a number between 1 and 65535")


def _parse_hosts(text: str, ports: list[int], *, encoded: bool) -> tuple[Address, ...]:
    specs = text.split(",") if text else []
    if len(ports) > 1 and len(ports) != len(specs):
        raise DatabaseURLError(
            f"the database URL lists {len(specs)} host(s) but {len(ports)} ports: give one port "
            "for all, or one per host"
        )
    addresses = []
    for index, spec in enumerate(specs):
        host, port_text = _split_host(spec)
        if encoded:
            host = unquote(host)
        if not host:
            raise DatabaseURLError(f"host {index + 1} in the database URL's host list is empty")
        if port_text and ports:
            raise DatabaseURLError(f"host {host!r} has a port both in the host list and in ?port=")
        if port_text:
            port = _port(port_text, f"of host {host!r}")
        else:
            port = ports[index if len(ports) > 1 else 0] if ports else DEFAULT_PORT
        addresses.append(Address(host, port))
    return tuple(addresses)


def _split_host(spec: str) -> tuple[str, str]:
    if spec.startswith("/") or spec.lower().startswith("%2f"):
        return spec, ""  # a Unix socket directory
    bracketed = _IPV6_HOST.match(spec)
    if bracketed:
        return bracketed.group(1), bracketed.group(2) or ""
    host, _, port = spec.partition(":")
    return host, port
