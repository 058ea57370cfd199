"""URL options reach the server: several hosts, application_name, connect_timeout, on the shared
PostgreSQL (tests/cluster/test_url_tls_and_standbys.py: TLS and standbys on private servers)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: connections are refused


def _with_hosts(pg_url: str, hosts: str, query: str = "", password: str = "") -> str:
    parts = urlsplit(pg_url)
    user = f"{parts.username}:{password}" if password else parts.username
    return f"postgresql://{user}@{hosts}{parts.path}{query}"


async def test_a_dead_first_host_is_skipped(pg_url: str, dead_port: int) -> None:
    live = urlsplit(pg_url).netloc.rpartition("@")[2]
    layer = AsyncPersistenceLayer(_with_hosts(pg_url, f"127.0.0.1:{dead_port},{live}"))
    await layer.connect()
    try:
        player = await layer.create_player(name=f"Dead{uuid.uuid4().hex[:6]}", user_id=uuid.uuid4())
        assert (await layer.get_player_by_id(player.player_id)) is not None
    finally:
        await layer.close()


async def test_application_name_reaches_the_server(pg_url: str) -> None:
    name = f"mud-{uuid.uuid4().hex[:8]}"
    layer = AsyncPersistenceLayer(f"{pg_url}?application_name={name}")
    await layer.connect()
    try:
        admin = await asyncpg.connect(pg_url)
        try:
            seen = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", name
            )
        finally:
            await admin.close()
    finally:
        await layer.close()
    assert seen >= 1


async def test_connect_timeout_reaches_the_driver(pg_url: str, silent_port: int) -> None:
    layer = AsyncPersistenceLayer(
        _with_hosts(pg_url, f"127.0.0.1:{silent_port}", "?connect_timeout=1")
    )
    started = time.monotonic()
    with pytest.raises(DatabaseError) as caught:
        await layer.connect()
    assert str(caught.value).endswith(
        f"on 127.0.0.1:{silent_port}: no answer within 1 s (the connect timeout)"
    )
    # the setting's default is 5 s; asyncpg's own 60 s
    assert time.monotonic() - started < 4


async def test_when_no_server_matches_the_error_says_what_each_answered(
    pg_url: str, dead_port: int
) -> None:
    live = urlsplit(pg_url).netloc.rpartition("@")[2]
    hosts = f"{live},127.0.0.1:{dead_port}"
    query = "?target_session_attrs=standby"
    # a wrong password is ignored by the trust authentication of the test server
    layer = AsyncPersistenceLayer(_with_hosts(pg_url, hosts, query, password="s3cretPW"))
    with pytest.raises(DatabaseError) as caught:
        await asyncio.wait_for(layer.connect(), 30)
    message = str(caught.value)
    assert f"(wanting a standby server): none would do ({live}: takes writes; " in message
    assert f"127.0.0.1:{dead_port}: refused the connection)" in message
    assert "s3cretPW" not in message
