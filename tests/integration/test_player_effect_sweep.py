"""The tick sweep on a large player_effects table reads the expiry index, not the whole table."""

from __future__ import annotations

import uuid

import asyncpg

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import EFFECT_EXPIRY_INDEX
from mud_persistence.repositories.effect import PlayerEffectRepository


async def test_the_sweep_uses_the_expiry_index(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    player = await persistence.create_player(name="Cursed", user_id=uuid.uuid4())
    await raw.execute(
        "INSERT INTO player_effects (id, player_id, effect_type, category, duration,"
        " applied_at_tick) SELECT gen_random_uuid(), $1, 'curse', 'test', 10, tick"
        " FROM generate_series(1, 50000) AS tick",
        player.player_id,
    )
    await raw.execute("ANALYZE player_effects")
    with persistence._database.bound():
        sql = PlayerEffectRepository().expired_query(100).sql()
    plan = "\n".join(row[0] for row in await raw.fetch("EXPLAIN " + sql.replace("$1", "100")))
    assert EFFECT_EXPIRY_INDEX in plan, plan

    expired = await persistence.expire_player_effects_for_tick(100)
    assert len(expired) == 90  # applied at ticks 1..90, ten ticks each
    assert await raw.fetchval("SELECT count(*) FROM player_effects") == 50000 - 90
