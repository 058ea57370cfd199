"""repositories.sql.connection_of, the hot paths' lookup of a model's connection, finds the
one Tortoise's own lookup (``Model._meta.db``) finds: the pool's outside a transaction, the
transaction's inside one."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.repositories.sql import connection_of


async def test_connection_of_finds_the_connection_tortoise_finds(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    with contract_persistence._database.bound():
        pool = connection_of(Player)
        assert pool is Player._meta.db
        async with in_transaction() as transaction:
            assert connection_of(Player) is Player._meta.db is transaction
            assert transaction is not pool
        assert connection_of(Player) is pool
