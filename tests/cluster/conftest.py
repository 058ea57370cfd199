"""Fixtures for the cluster tests: private primaries, standbys, PgBouncer and Patroni, each
started from Debian's packages on free loopback ports and stopped (with its directory) after
the test. Without the packages the tests are skipped, saying which are missing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.cluster.servers import (
    PatroniCluster,
    PgBouncer,
    StreamingCluster,
    fetchval,
    missing_programs,
    started,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster/" in item.nodeid:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(autouse=True)
def _cluster_programs() -> None:
    reason = missing_programs()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def streaming_cluster() -> Iterator[StreamingCluster]:
    """A primary with one asynchronous streaming standby, for this test only."""
    with started(StreamingCluster()) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[StreamingCluster]:
    """A primary and a standby shared by one module's tests; each test gets its own database
    and must leave the standby running and replaying (``healthy_standby`` makes sure)."""
    if missing_programs():
        pytest.skip(str(missing_programs()))
    with started(StreamingCluster()) as cluster:
        yield cluster


@pytest.fixture
async def healthy_standby(shared_cluster: StreamingCluster) -> AsyncIterator[StreamingCluster]:
    """The shared cluster, its standby put back to running and replaying after the test."""
    yield shared_cluster
    if not (shared_cluster.standby.datadir / "postmaster.pid").exists():
        shared_cluster.standby.start()
    await fetchval(shared_cluster.standby.url, "SELECT pg_wal_replay_resume()")


@pytest.fixture
def synchronous_cluster() -> Iterator[StreamingCluster]:
    """A primary whose commits wait for its standby to flush them."""
    with started(StreamingCluster(synchronous=True)) as cluster:
        yield cluster


@pytest.fixture
def patroni_cluster() -> Iterator[PatroniCluster]:
    """etcd and two Patroni nodes (a leader and a streaming replica)."""
    with started(PatroniCluster()) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def pgbouncer(shared_cluster: StreamingCluster) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode in front of the shared cluster's primary."""
    with started(PgBouncer(shared_cluster.primary.port)) as bouncer:
        yield bouncer
