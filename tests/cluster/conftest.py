"""Fixtures for the cluster tests: private primaries, standbys, PgBouncer and Patroni, each
started from Debian's packages on free loopback ports and stopped (with its directory) after
the test. Without the packages the tests are skipped, saying which are missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.servers import (
    PatroniCluster,
    PgBouncer,
    StreamingCluster,
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


@pytest.fixture
def pgbouncer(streaming_cluster: StreamingCluster) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode in front of the streaming cluster's primary."""
    with started(PgBouncer(streaming_cluster.primary.port)) as bouncer:
        yield bouncer
