"""A Player built before the layer's first call (before Tortoise knows the foreign-key id
fields) keeps its profession_id and saves it. Run in a fresh interpreter, where no layer has
connected yet."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from mud_persistence.testing import empty_tables

GAME = """
    import asyncio, sys, uuid

    from mud_persistence import AsyncPersistenceLayer
    from mud_persistence.models import Player

    built = Player(player_id=uuid.uuid4(), user_id=uuid.uuid4(), name="Early", profession_id=0)
    assert built.profession_id == 0 and built.get_stats()["position"] == "standing"

    async def main() -> None:
        layer = AsyncPersistenceLayer(sys.argv[1])
        await layer.connect()
        try:
            await layer.seed_professions()
            await layer.save_player(built)
            loaded = await layer.get_player_by_id(built.player_id)
            assert loaded is not None and loaded.profession_id == 0, loaded
        finally:
            await layer.close()

    asyncio.run(main())
"""


def run_game(code: str, pg_url: str) -> None:
    """Run ``code`` in a fresh interpreter against the session's database."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), pg_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    asyncio.run(empty_tables(pg_url))
    assert done.returncode == 0, done.stderr


def test_a_player_built_before_the_first_call_keeps_its_profession(pg_url: str) -> None:
    run_game(GAME, pg_url)


KEYED_FIRST_CALL = """
    import asyncio, sys, uuid

    from mud_persistence import AsyncPersistenceLayer
    from mud_persistence.models import Player

    built = Player(player_id=uuid.uuid4(), user_id=uuid.uuid4(), name="Keyed")

    async def main() -> None:
        layer = AsyncPersistenceLayer(sys.argv[1])  # not connected: the save opens it
        try:
            await layer.save_player(built, idempotency_key="create-keyed")
            # the repeat of a save whose answer was lost: the same call, not a conflict
            await layer.save_player(built, idempotency_key="create-keyed")
        finally:
            await layer.close()

    asyncio.run(main())
"""


def test_a_keyed_save_as_the_first_call_can_be_repeated(pg_url: str) -> None:
    run_game(KEYED_FIRST_CALL, pg_url)
