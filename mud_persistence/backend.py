"""Tortoise's asyncpg backend, with a pool that gives up waiting for a free connection."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from mud_persistence import echo
from mud_persistence.urls import Address, DatabaseURL


class PoolExhaustedError(TimeoutError):
    """No connection became free within the acquire timeout; nothing was sent."""


class ConnectTimeoutError(ConnectionError):
    """Opening a new pooled connection timed out; nothing was sent."""


class TimedPool(asyncpg.Pool):  # type: ignore[misc]
    """An asyncpg pool whose acquire() waits at most ``acquire_timeout`` seconds."""

    def __init__(self, *args: Any, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        # asyncpg wraps a timed acquire in wait_for, a task per call; only a caller that may
        # have to wait for a connection needs it (measured with `make bench`,
        # get_player_by_id at 50 tasks: 0.43 -> 0.51 of raw asyncpg without the wrapper).
        if timeout is None and self._queue.empty():
            timeout = self._acquire_timeout
        return super().acquire(timeout=timeout)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg API)
        started = time.monotonic()
        try:
            return await super()._acquire(timeout)
        except TimeoutError as exc:
            if timeout is None or time.monotonic() - started < timeout * 0.95:
                raise ConnectTimeoutError(
                    f"opening a new database connection timed out: {exc}"
                ) from exc
            raise PoolExhaustedError(
                f"could not get a database connection within {timeout:g} s "
                f"(all {self.get_max_size()} of the pool are busy)"
            ) from exc


# asyncpg's own clean-up of a connection handed back to the pool: not the game's SQL
ASYNCPG_RESET = "SELECT pg_advisory_unlock_all()"


class TimedAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        # asyncpg.create_pool's own defaults, which Pool itself does not have
        kwargs.setdefault("max_queries", 50000)
        kwargs.setdefault("max_inactive_connection_lifetime", 300.0)
        kwargs.setdefault("record_class", asyncpg.Record)
        # Tortoise forwards one host and an integer port; asyncpg takes lists for several servers
        addresses = kwargs.pop("addresses", None)
        if addresses:
            kwargs["host"] = [host for host, _ in addresses]
            kwargs["port"] = [port for _, port in addresses]
        # asyncpg reads sslrootcert, sslcert and sslkey only from a DSN; the servers, user and
        # database still come from the keyword arguments, which take precedence over it
        tls_options = kwargs.pop("tls_options", None)
        dsn = f"postgresql://?{urlencode(tls_options)}" if tls_options else None
        if kwargs.pop("echo", False):
            echo.enable()
            kwargs["init"] = self._echo_statements
        return await TimedPool(dsn, **kwargs)

    async def _echo_statements(self, connection: asyncpg.Connection) -> None:
        password = self.password if isinstance(self.password, str) else None

        def log(query: Any) -> None:  # an asyncpg LoggedQuery, after each statement
            if query.query.startswith(ASYNCPG_RESET):
                return
            echo.log_statement(
                query.query,
                query.args,
                query.elapsed,
                password=password,
                error=query.exception,
            )

        connection.add_query_logger(log)


client_class = TimedAsyncpgClient


async def describe_servers(url: DatabaseURL, default_connect_timeout: float) -> str:
    """What each server of a several-host URL answers, as one line for an error message.

    asyncpg reports only the last server it tried; someone fixing the configuration needs to
    know which server is down and which is up but a standby.
    """
    seconds = url.connect_timeout(default_connect_timeout)
    answers = [f"{a}: {await _describe_server(url, a, seconds)}" for a in url.addresses]
    return "; ".join(answers)


async def _describe_server(url: DatabaseURL, address: Address, seconds: float) -> str:
    tls_options = url.asyncpg_credentials().get("tls_options")
    try:
        connection = await asyncpg.connect(
            f"postgresql://?{urlencode(tls_options)}" if tls_options else None,
            host=address.host,
            port=address.port,
            user=url.user,
            password=url.password,
            database=url.database,
            timeout=seconds,
        )
    except ConnectionRefusedError:
        return "refused the connection"
    except TimeoutError:
        return "did not answer in time"
    except Exception as exc:
        return url.scrub(str(exc) or type(exc).__name__)
    try:
        if await connection.fetchval("SELECT pg_is_in_recovery()"):
            return "a standby (read-only)"
        if await connection.fetchval("SHOW transaction_read_only") == "on":
            return "read-only"
        return "takes writes"
    finally:
        await connection.close()
