"""A TCP proxy in front of PostgreSQL that can misbehave on cue: cut a connection when the client
sends a given statement, or once the server has answered it (the statement ran, the client never
hears so), or go silent (accept and read, never forward) like a server that stopped
answering."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

ENCRYPTION_REQUESTS = (80877103, 80877104)  # SSLRequest, GSSENCRequest


class Proxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.silent = False
        self.silent_from: bytes | None = None  # go silent when the client sends this
        self.cuts: dict[bytes, int] = {}  # statement text -> connections left to cut on it
        # statement text -> connections left to cut when the server answers it
        self.cuts_after: dict[bytes, int] = {}
        self.cut_count = 0
        self.refusals = 0  # new connections to answer "the database system is starting up"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, database_url: str) -> str:
        """``database_url`` pointing at the proxy instead of the server."""
        parts = urlsplit(database_url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    def cut_at(self, statement: bytes, times: int = 1) -> None:
        """Cut the next ``times`` connections that send ``statement``, as it is sent."""
        self.cuts[statement] = times

    def cut_after(self, statement: bytes, times: int = 1) -> None:
        """Forward ``statement`` on the next ``times`` connections that send it, then cut each
        as the server's answer arrives: the server ran it, and the client gets an error."""
        self.cuts_after[statement] = times

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        upstream_writer = None
        try:
            startup = await self._startup_packet(reader, writer)
            if self.refusals > 0:
                self.refusals -= 1
                await self._refuse(writer)
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            self._writers.add(upstream_writer)
            upstream_writer.write(startup)
            doomed = asyncio.Event()  # set when the server's next answer must not get through
            await asyncio.gather(
                self._pipe(reader, upstream_writer, inspect=True, doomed=doomed),
                self._pipe(upstream_reader, writer, inspect=False, doomed=doomed),
            )
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for side in (writer, upstream_writer):
                if side is not None:
                    side.transport.abort()
                    self._writers.discard(side)
            self._tasks.discard(task)

    @staticmethod
    async def _startup_packet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        """The client's startup packet, after declining TLS and GSS encryption on the server's
        behalf: the proxy has to read the statements."""
        while True:
            header = await reader.readexactly(4)
            body = await reader.readexactly(int.from_bytes(header, "big") - 4)
            if int.from_bytes(body[:4], "big") not in ENCRYPTION_REQUESTS:
                return header + body
            writer.write(b"N")

    @staticmethod
    async def _refuse(writer: asyncio.StreamWriter) -> None:
        """Answer as PostgreSQL does while it starts up (SQLSTATE 57P03)."""
        fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
        writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
        await writer.drain()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        inspect: bool,
        doomed: asyncio.Event,
    ) -> None:
        while data := await reader.read(65536):
            if inspect and self.silent_from is not None and self.silent_from in data:
                self.silent = True
            if self.silent:
                continue  # swallowed: the client waits for an answer that never comes
            if inspect and self._should_cut(self.cuts, data):
                raise ConnectionResetError("cut by the test proxy")
            if not inspect and doomed.is_set():
                raise ConnectionResetError("cut by the test proxy after the server answered")
            if inspect and self._should_cut(self.cuts_after, data):
                doomed.set()
            writer.write(data)
            await writer.drain()
        raise ConnectionResetError("peer closed")

    def _should_cut(self, cuts: dict[bytes, int], data: bytes) -> bool:
        for statement, left in cuts.items():
            if left > 0 and statement in data:
                cuts[statement] = left - 1
                self.cut_count += 1
                return True
        return False


@asynccontextmanager
async def proxy_in_front_of(database_url: str) -> AsyncIterator[Proxy]:
    parts = urlsplit(database_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
