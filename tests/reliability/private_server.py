"""A throw-away PostgreSQL cluster of the test's own, listening on a free loopback port, for
tests that restart or stop the server. Only what it started is ever stopped."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

POSTGRES_BIN = Path(os.environ.get("MUD_PERSISTENCE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
# initdb refuses to run as root
SERVER_USER = "postgres"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mud-private-pg-"))
        self.data = self.root / "data"
        self.port = free_loopback_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        return (POSTGRES_BIN / "initdb").exists()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(POSTGRES_BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def restart(self) -> None:
        """A fast restart: every connection is cut, then the server takes new ones."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
