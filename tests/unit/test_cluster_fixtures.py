"""Where Debian's cluster packages are missing, the cluster tests skip and say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster import servers


def test_missing_programs_are_named_with_the_packages_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        servers,
        "_PROGRAMS",
        {"pgbouncer": tmp_path / "pgbouncer", "etcd": tmp_path / "etcd", "initdb": Path("/")},
    )
    reason = servers.missing_programs()
    assert reason is not None
    assert "pgbouncer, etcd" in reason and "initdb" not in reason.split(":")[0]
    assert "apt-get install -y postgresql-15 pgbouncer patroni etcd-server" in reason


def test_nothing_is_missing_when_every_program_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(servers, "_PROGRAMS", {"root": Path("/")})
    assert servers.missing_programs() is None
