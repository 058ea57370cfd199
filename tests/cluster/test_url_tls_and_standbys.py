"""Database URL options reach the driver: TLS against a server that refuses plain connections,
and several hosts with a standby listed first."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError
from tests.cluster.servers import (
    PostgresNode,
    StreamingCluster,
    _own,
    fetchval,
    free_port,
    run_coroutine,
    started,
)

# sslmode=disable must be refused: only TLS connections over TCP, plain ones on the socket;
# role "certified" must show a client certificate issued to it
TLS_ONLY_HBA = (
    "local all all trust\n"
    "hostssl all certified 127.0.0.1/32 cert\n"
    "hostssl all all 127.0.0.1/32 trust\n"
)


@dataclass
class TLSServer:
    node: PostgresNode
    socket_dir: Path
    database: str
    certificates: Path

    @property
    def root_cert(self) -> Path:
        """Signed the server's certificate (issued to "localhost" only) and the client's."""
        return self.certificates / "root.crt"

    @property
    def other_root_cert(self) -> Path:
        """Signed nothing this server shows."""
        return self.certificates / "other_root.crt"

    def url(self, host: str = "127.0.0.1", user: str = "postgres", **options: str) -> str:
        query = "&".join(f"{name}={value}" for name, value in options.items())
        return f"postgresql://{user}:s3cretPW@{host}:{self.node.port}/{self.database}?{query}"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certificates(folder: Path) -> None:
    """A root certificate authority, a server certificate it signs, and an unrelated root."""
    folder.mkdir()
    for name in ("root", "other_root"):
        _openssl(
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN=mud test {name}"),
            cwd=folder,
        )
    _openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key"),
        *("-out", "server.csr", "-subj", "/CN=localhost"),
        cwd=folder,
    )
    _openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key"),
        *("-out", "client.csr", "-subj", "/CN=certified"),
        cwd=folder,
    )
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    for name, extensions in (("server", ("-extfile", "san.ext")), ("client", ())):
        _openssl(
            *("x509", "-req", "-in", f"{name}.csr", "-CA", "root.crt", "-CAkey", "root.key"),
            *("-CAcreateserial", "-days", "2", *extensions, "-out", f"{name}.crt"),
            cwd=folder,
        )
    (folder / "server.key").chmod(0o600)  # PostgreSQL refuses a key others can read


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TLSServer]:
    with started(StreamingCluster(with_standby=False)) as server:
        certificates = server.workdir / "tls"
        _make_certificates(certificates)
        _own(server.workdir)
        node = server.primary
        node.configure(
            ssl="on",
            ssl_cert_file=certificates / "server.crt",
            ssl_key_file=certificates / "server.key",
            ssl_ca_file=certificates / "root.crt",  # what client certificates must be signed by
        )
        (node.datadir / "pg_hba.conf").write_text(TLS_ONLY_HBA)
        node.stop()
        node.start()
        # sslmode=prefer (asyncpg's default) gets through; the plugin migrates the database
        url = run_coroutine(server.create_database())
        run_coroutine(fetchval(url, "CREATE ROLE certified LOGIN SUPERUSER"))
        yield TLSServer(
            node=node,
            socket_dir=server.workdir,
            database=urlsplit(url).path.lstrip("/"),
            certificates=certificates,
        )


async def _layer_uses_tls(server: TLSServer, url: str) -> bool:
    """Connect a layer with ``url``; whether the server saw its connections encrypted."""
    name = f"mud-tls-{uuid.uuid4().hex[:8]}"
    layer = AsyncPersistenceLayer(f"{url}&application_name={name}")
    await layer.connect()
    try:
        admin = await asyncpg.connect(
            host=str(server.socket_dir), port=server.node.port, user="postgres"
        )
        try:
            encrypted = await admin.fetch(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                "WHERE a.application_name = $1",
                name,
            )
        finally:
            await admin.close()
    finally:
        await layer.close()
    assert encrypted, "no connection of the layer's pool was seen by the server"
    return all(row["ssl"] for row in encrypted)


async def test_the_server_refuses_plain_connections(tls_server: TLSServer) -> None:
    layer = AsyncPersistenceLayer(tls_server.url(sslmode="disable"))
    with pytest.raises(DatabaseError, match="no encryption") as caught:
        await layer.connect()
    assert "s3cretPW" not in str(caught.value)


@pytest.mark.parametrize("mode", ["require", "prefer", "allow"])
async def test_sslmode_reaches_the_driver(tls_server: TLSServer, mode: str) -> None:
    assert await _layer_uses_tls(tls_server, tls_server.url(sslmode=mode))


async def test_sqlalchemy_ssl_option_reaches_the_driver(tls_server: TLSServer) -> None:
    url = tls_server.url(ssl="require").replace("postgresql://", "postgresql+asyncpg://")
    assert await _layer_uses_tls(tls_server, url)


async def test_verify_full_accepts_the_right_root_and_host(tls_server: TLSServer) -> None:
    url = tls_server.url("localhost", sslmode="verify-full", sslrootcert=str(tls_server.root_cert))
    assert await _layer_uses_tls(tls_server, url)


async def test_verify_ca_accepts_the_right_root_whatever_the_host_name(
    tls_server: TLSServer,
) -> None:
    url = tls_server.url(sslmode="verify-ca", sslrootcert=str(tls_server.root_cert))
    assert await _layer_uses_tls(tls_server, url)


@pytest.mark.parametrize(
    ("host", "mode", "root", "reason"),
    [
        ("localhost", "verify-full", "other_root_cert", "certificate verify failed"),
        ("127.0.0.1", "verify-ca", "other_root_cert", "certificate verify failed"),
        # the certificate names localhost only
        ("127.0.0.1", "verify-full", "root_cert", "IP address mismatch"),
    ],
)
async def test_verification_refuses_the_wrong_root_or_host(
    tls_server: TLSServer, host: str, mode: str, root: str, reason: str
) -> None:
    root_cert = getattr(tls_server, root)
    layer = AsyncPersistenceLayer(tls_server.url(host, sslmode=mode, sslrootcert=str(root_cert)))
    with pytest.raises(DatabaseError, match=reason) as caught:
        await layer.connect()
    assert f"{host}:{tls_server.node.port}" in str(caught.value)
    assert "s3cretPW" not in str(caught.value)


async def test_a_client_certificate_reaches_the_server(tls_server: TLSServer) -> None:
    folder = tls_server.certificates
    url = tls_server.url(
        user="certified",
        sslmode="require",
        sslcert=str(folder / "client.crt"),
        sslkey=str(folder / "client.key"),
    )
    assert await _layer_uses_tls(tls_server, url)


async def test_without_its_client_certificate_the_role_is_refused(tls_server: TLSServer) -> None:
    layer = AsyncPersistenceLayer(tls_server.url(user="certified", sslmode="require"))
    with pytest.raises(DatabaseError, match="certificate"):
        await layer.connect()


async def test_sslmode_require_refuses_a_server_without_tls(pair: Pair) -> None:
    # asyncpg's default (prefer) would fall back to a plain connection here: require must not
    primary = pair.cluster.primary
    layer = AsyncPersistenceLayer(
        f"postgresql://postgres@127.0.0.1:{primary.port}/{pair.database}?sslmode=require"
    )
    with pytest.raises(DatabaseError, match="rejected SSL"):
        await layer.connect()


async def test_a_missing_root_certificate_is_named(tls_server: TLSServer) -> None:
    missing = tls_server.root_cert.with_name("absent.crt")
    layer = AsyncPersistenceLayer(tls_server.url(sslmode="verify-full", sslrootcert=str(missing)))
    with pytest.raises(DatabaseError, match=f"sslrootcert: no file at {missing}"):
        await layer.connect()


# --- several hosts -------------------------------------------------------------------------


@dataclass
class Pair:
    """A migrated database on a primary, replayed by its standby."""

    cluster: StreamingCluster
    database: str

    def hosts(self, *nodes: PostgresNode) -> str:
        return ",".join(f"127.0.0.1:{node.port}" for node in nodes)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with started(StreamingCluster()) as cluster:
        url = run_coroutine(cluster.create_database())
        yield Pair(cluster, urlsplit(url).path.lstrip("/"))


@pytest.fixture
async def standby_first(pair: Pair) -> AsyncIterator[AsyncPersistenceLayer]:
    """A layer given the standby first, then the primary, and no target_session_attrs."""
    standby, primary = pair.cluster.standby, pair.cluster.primary
    layer = AsyncPersistenceLayer(
        f"postgresql://postgres@{pair.hosts(standby, primary)}/{pair.database}"
    )
    await layer.connect()
    yield layer
    await layer.close()


async def _server_port(layer: AsyncPersistenceLayer) -> int:
    """The port of the server the layer's pool is connected to."""
    from tortoise import connections

    with layer._database.bound():
        _, rows = await connections.get(layer.settings.connection_name).execute_query(
            "SELECT inet_server_port() AS port"
        )
    return int(rows[0]["port"])


async def test_a_standby_listed_first_is_passed_over_for_writes(
    standby_first: AsyncPersistenceLayer, pair: Pair
) -> None:
    player = await standby_first.create_player(
        name=f"Ward{uuid.uuid4().hex[:6]}", user_id=uuid.uuid4()
    )
    assert await _server_port(standby_first) == pair.cluster.primary.port
    assert (await standby_first.get_player_by_id(player.player_id)) is not None
    assert await standby_first.upgrade() == []  # Aerich runs through the same URL


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ("any", "standby"),  # the first listed that answers
        ("primary", "primary"),
        ("standby", "standby"),
        ("prefer-standby", "standby"),
        ("read-write", "primary"),
        ("read-only", "standby"),
    ],
)
async def test_every_target_session_attrs_picks_its_server(
    pair: Pair, attrs: str, expected: str
) -> None:
    standby, primary = pair.cluster.standby, pair.cluster.primary
    layer = AsyncPersistenceLayer(
        f"postgresql://postgres@{pair.hosts(standby, primary)}/{pair.database}"
        f"?target_session_attrs={attrs}"
    )
    await layer.connect()
    try:
        assert await _server_port(layer) == getattr(pair.cluster, expected).port
    finally:
        await layer.close()


async def test_a_layer_connects_to_a_standby_whose_outbox_has_gaps(pair: Pair) -> None:
    # Rows a few numbers apart (pruned between, or rolled back): a layer starting on the
    # standby cannot take a transaction id to wait for writes that hold the numbers between
    primary, standby = pair.cluster.primary, pair.cluster.standby
    on_primary = await asyncpg.connect(primary.url_for(pair.database))
    try:
        await on_primary.execute(
            "INSERT INTO outbox (id, kind, payload, origin) VALUES "
            "(9000001, 'gone', '{}', 'gone'), (9000005, 'gone', '{}', 'gone')"
        )
        await pair.cluster.wait_for_replay()
        layer = AsyncPersistenceLayer(
            f"postgresql://postgres@{pair.hosts(standby)}/{pair.database}"
            "?target_session_attrs=standby"
        )
        await layer.connect()
        try:
            assert await _server_port(layer) == standby.port
        finally:
            await layer.close()
    finally:
        await on_primary.execute("DELETE FROM outbox WHERE origin = 'gone'")
        await on_primary.close()


@pytest.mark.parametrize(
    "query",
    ["host={standby_host},{primary_host}", "host=127.0.0.1,127.0.0.1&port={standby},{primary}"],
)
async def test_hosts_given_as_options_find_the_primary(pair: Pair, query: str) -> None:
    standby, primary = pair.cluster.standby, pair.cluster.primary
    query = query.format(
        standby_host=f"127.0.0.1:{standby.port}",
        primary_host=f"127.0.0.1:{primary.port}",
        standby=standby.port,
        primary=primary.port,
    )
    layer = AsyncPersistenceLayer(f"postgresql://postgres@/{pair.database}?{query}")
    await layer.connect()
    try:
        assert await _server_port(layer) == primary.port
    finally:
        await layer.close()


async def test_when_no_server_takes_writes_the_error_names_each_readably(pair: Pair) -> None:
    standby = pair.cluster.standby
    nobody = free_port()
    layer = AsyncPersistenceLayer(
        f"postgresql://postgres:s3cretPW@127.0.0.1:{standby.port},127.0.0.1:{nobody}"
        f"/{pair.database}?connect_timeout=2"
    )
    with pytest.raises(DatabaseError) as caught:
        await layer.connect()
    message = str(caught.value)
    assert f"127.0.0.1:{standby.port}: a standby" in message, message
    assert f"127.0.0.1:{nobody}: " in message, message
    assert f"{nobody}:5432" not in message and "s3cretPW" not in message
