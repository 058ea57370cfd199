"""Private PostgreSQL clusters for the cluster tests, started from Debian's packages.

Everything listens on free loopback ports and lives in a temporary directory; ``stop()`` ends
exactly the processes a helper started and deletes its directory. initdb, PostgreSQL,
PgBouncer and Patroni refuse to run as root, so when the tests run as root the servers run as
an unprivileged system user (created once, ``mud-cluster``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERVER_USER = "mud-cluster"
PACKAGES = "postgresql-15 pgbouncer patroni etcd-server"
_PROGRAMS = {
    "initdb": PG_BIN / "initdb",
    "pg_basebackup": PG_BIN / "pg_basebackup",
    "pgbouncer": Path("/usr/sbin/pgbouncer"),
    "patroni": Path("/usr/bin/patroni"),
    "etcd": Path("/usr/bin/etcd"),
}


def missing_programs() -> str | None:
    """Why the cluster tests cannot run here, or None when they can."""
    missing = [name for name, path in _PROGRAMS.items() if not path.exists()]
    if missing:
        return (
            f"cluster tests need {', '.join(missing)}: "
            f"`apt-get install -y {PACKAGES}` (Debian) provides them"
        )
    return None


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from synchronous code, even inside a running event loop
    (pytest-asyncio keeps one running while it sets up fixtures)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """The account servers run as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


def _own(path: Path) -> None:
    user = _server_user()
    if user is not None:
        for root, dirs, files in os.walk(path):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, user.pw_uid, user.pw_gid)


def _as_server_user() -> dict[str, Any]:
    user = _server_user()
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a server tool as the server user; raise with its output when it fails."""
    result = subprocess.run(
        args, capture_output=True, text=True, check=False, **_as_server_user(), **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def spawn(args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a long-running server as the server user, in its own process group."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_server_user(),
            **kwargs,
        )


def end(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """Stop a process we spawned (its whole group), politely first."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")


def make_workdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    _own(path)
    return path


class PostgresNode:
    """One PostgreSQL server: a data directory, a port, the pg_ctl life cycle."""

    def __init__(self, datadir: Path, port: int, name: str) -> None:
        self.datadir = datadir
        self.port = port
        self.name = name

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log), *args])

    @property
    def log(self) -> Path:
        return self.datadir.parent / f"{self.name}.log"

    def start(self) -> None:
        self.pg_ctl("-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop; ``immediate`` is a crash: no checkpoint, clients cut off."""
        if (self.datadir / "postmaster.pid").exists():
            self.pg_ctl("-w", "-m", mode, "stop")

    def promote(self) -> None:
        self.pg_ctl("-w", "promote")

    def configure(self, **settings: object) -> None:
        with (self.datadir / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")


async def fetchval(url: str, query: str, *args: object) -> Any:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


class StreamingCluster:
    """A primary and one streaming standby made with ``pg_basebackup -R``.

    With ``synchronous=True`` the primary waits for the standby to flush each commit
    (``synchronous_standby_names``), so an acknowledged write survives losing the primary.
    """

    def __init__(
        self, *, synchronous: bool = False, with_standby: bool = True, fsync: bool = False
    ) -> None:
        self.synchronous = synchronous
        self.fsync = fsync
        self.with_standby = with_standby
        self._template: str | None = None
        self.workdir = make_workdir("mud-cluster-")
        self.primary = PostgresNode(self.workdir / "primary", free_port(), "primary")
        self.standby = PostgresNode(self.workdir / "standby", free_port(), "standby")

    def start(self) -> StreamingCluster:
        primary, standby = self.primary, self.standby
        run(
            [
                *(str(PG_BIN / "initdb"), "-D", str(primary.datadir), "-U", "postgres"),
                *("--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"),
            ]
        )
        (primary.datadir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
            "host replication all 127.0.0.1/32 trust\n"
        )
        primary.configure(
            port=primary.port,
            listen_addresses="127.0.0.1",
            unix_socket_directories=self.workdir,
            wal_level="replica",
            max_wal_senders=10,
            max_connections=60,
            hot_standby="on",
            # off for tests: a crash here is a killed process, not a lost page cache
            fsync="on" if self.fsync else "off",
            wal_keep_size="256MB",
            synchronous_standby_names="standby" if self.synchronous else "",
        )
        primary.start()
        if not self.with_standby:
            return self
        run(
            [
                *(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port)),
                *("-U", "postgres", "-D", str(standby.datadir), "-R", "-X", "stream", "-c", "fast"),
            ]
        )
        standby.configure(
            port=standby.port,
            # application_name is what synchronous_standby_names matches
            primary_conninfo=(
                f"host=127.0.0.1 port={primary.port} user=postgres application_name=standby"
            ),
            synchronous_standby_names="",
        )
        standby.start()
        return self

    def stop(self) -> None:
        for node in (self.standby, self.primary):
            with contextlib.suppress(Exception):
                node.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def multi_host_url(self) -> str:
        """Both servers, primary first, for a layer that must follow a failover."""
        return (
            f"postgres://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
            "/{database}?target_session_attrs=read-write"
        )

    async def create_database(self) -> str:
        """A migrated database on the primary, replayed by the standby; its primary URL.

        The first one is migrated with the real migrations; the next are copies of it.
        """
        from mud_persistence.testing import create_database

        if self._template is None:
            self._template = await create_database(self.primary.url)
        name = f"mud_test_{uuid.uuid4().hex[:12]}"
        template = self._template.rsplit("/", 1)[1]
        await fetchval(self.primary.url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        if self.with_standby:
            await self.wait_for_replay()
        return self.primary.url_for(name)

    async def wait_for_replay(self) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        await wait_for_replay(self.primary.url, self.standby.url)


async def wait_for_replay(primary_url: str, standby_url: str, within: float = 30) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = await fetchval(primary_url, "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + within
    while await fetchval(
        standby_url,
        "SELECT pg_last_wal_replay_lsn() IS NULL OR pg_last_wal_replay_lsn() < $1",
        target,
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the standby did not replay {target} within {within:g} s")
        await asyncio.sleep(0.05)


class PgBouncer:
    """PgBouncer in front of one server; any database name is passed through."""

    def __init__(self, server_port: int, *, pool_mode: str = "transaction") -> None:
        self.server_port = server_port
        self.pool_mode = pool_mode
        self.port = free_port()
        self.workdir = make_workdir("mud-pgbouncer-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PgBouncer:
        users = self.workdir / "users.txt"
        users.write_text('"postgres" ""\n')
        config = self.workdir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\npool_mode = {self.pool_mode}\n"
            # fewer server connections than a layer's pool: clients must share them
            "max_client_conn = 500\ndefault_pool_size = 5\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\n"
        )
        _own(self.workdir)
        self.process = spawn(["/usr/sbin/pgbouncer", str(config)], self.workdir / "stdout.log")
        wait_until(self._answers, 15, "PgBouncer to listen")
        return self

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"PgBouncer exited: {(self.workdir / 'stdout.log').read_text()}")
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        end(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


class PatroniCluster:
    """etcd and two Patroni nodes, each managing its own PostgreSQL."""

    def __init__(self) -> None:
        self.workdir = make_workdir("mud-patroni-")
        self.etcd_port, self.etcd_peer_port = free_port(), free_port()
        self.nodes = [
            {"name": f"node{i}", "pg_port": free_port(), "api_port": free_port()} for i in (1, 2)
        ]
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> PatroniCluster:
        etcd_dir = self.workdir / "etcd"
        etcd_dir.mkdir()
        _own(etcd_dir)
        client = f"http://127.0.0.1:{self.etcd_port}"
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        self.processes.append(
            spawn(
                [
                    *("/usr/bin/etcd", "--name", "etcd", "--data-dir", str(etcd_dir / "data")),
                    *("--listen-client-urls", client, "--advertise-client-urls", client),
                    *("--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer),
                    *("--initial-cluster", f"etcd={peer}"),
                ],
                self.workdir / "etcd.log",
            )
        )
        wait_until(lambda: self._get(client + "/health") is not None, 30, "etcd")
        for node in self.nodes:
            config = self.workdir / f"{node['name']}.yml"
            config.write_text(json.dumps(self._config(node)))
            _own(self.workdir)
            self.processes.append(
                spawn(["/usr/bin/patroni", str(config)], self.workdir / f"{node['name']}.log")
            )
        wait_until(lambda: self.leader() is not None, 60, "a Patroni leader")
        wait_until(lambda: self._replica_streaming(), 60, "the Patroni replica to stream")
        return self

    def _config(self, node: dict[str, Any]) -> dict[str, Any]:
        return {
            "scope": "mud",
            "name": node["name"],
            "restapi": {
                "listen": f"127.0.0.1:{node['api_port']}",
                "connect_address": f"127.0.0.1:{node['api_port']}",
            },
            "etcd3": {"hosts": [f"127.0.0.1:{self.etcd_port}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": 10,
                    "loop_wait": 1,
                    "retry_timeout": 3,
                    "postgresql": {
                        "use_pg_rewind": False,
                        "parameters": {"max_connections": 60, "wal_keep_size": "128MB"},
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, {"auth": "trust"}],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node['pg_port']}",
                "connect_address": f"127.0.0.1:{node['pg_port']}",
                "data_dir": str(self.workdir / node["name"] / "data"),
                "bin_dir": str(PG_BIN),
                "pgpass": str(self.workdir / f"{node['name']}.pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres"},
                    "replication": {"username": "postgres"},
                },
                "parameters": {
                    "unix_socket_directories": str(self.workdir),
                    "fsync": "off",
                },
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
            "tags": {},
        }

    def _get(self, url: str) -> Any:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except (OSError, ValueError):
            return None

    def _members(self) -> list[dict[str, Any]]:
        for node in self.nodes:
            cluster = self._get(f"http://127.0.0.1:{node['api_port']}/cluster")
            if cluster:
                return list(cluster.get("members", []))
        return []

    def leader(self) -> str | None:
        for member in self._members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return str(member["name"])
        return None

    def _replica_streaming(self) -> bool:
        return any(
            m.get("role") == "replica" and m.get("state") in ("streaming", "running")
            for m in self._members()
        )

    def port_of(self, name: str) -> int:
        return int(next(n["pg_port"] for n in self.nodes if n["name"] == name))

    async def create_database(self) -> str:
        """A migrated database on the leader, replayed by the replica; its name."""
        from mud_persistence.testing import create_database

        leader = self.leader()
        assert leader is not None
        replica = next(n["name"] for n in self.nodes if n["name"] != leader)
        url = await create_database(
            f"postgres://postgres@127.0.0.1:{self.port_of(leader)}/postgres"
        )
        await wait_for_replay(
            url, f"postgres://postgres@127.0.0.1:{self.port_of(replica)}/postgres"
        )
        return url.rsplit("/", 1)[1]

    @property
    def multi_host_url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{n['pg_port']}" for n in self.nodes)
        return f"postgres://postgres@{hosts}/{{database}}?target_session_attrs=read-write"

    def switchover(self) -> str:
        """Hand the leader role to the other node; return the new leader's name."""
        leader = self.leader()
        candidate = next(n["name"] for n in self.nodes if n["name"] != leader)
        api = next(n["api_port"] for n in self.nodes if n["name"] == leader)
        request = urllib.request.Request(
            f"http://127.0.0.1:{api}/switchover",
            data=json.dumps({"leader": leader, "candidate": candidate}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        wait_until(lambda: self.leader() == candidate, 60, f"{candidate} to lead")
        return str(candidate)

    def stop(self) -> None:
        # Patroni nodes first (each stops its PostgreSQL), then etcd
        for process in reversed(self.processes):
            end(process, timeout=30)
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def started(server: Any) -> Iterator[Any]:
    """Start a helper above, and stop it (processes and directory) whatever happens."""
    try:
        yield server.start()
    finally:
        server.stop()
