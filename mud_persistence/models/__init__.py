"""Tortoise models, one module per aggregate, all in the Tortoise app named "models"."""

from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from mud_persistence.models.container import (
    DEFAULT_CAPACITY,
    MAX_CAPACITY,
    Container,
    ContainerContent,
    LockState,
    SourceType,
)
from mud_persistence.models.effect import PlayerEffect
from mud_persistence.models.idempotency import IdempotencyKey
from mud_persistence.models.item import ItemInstance, ItemPrototype, OwnerType
from mud_persistence.models.outbox import OutboxEntry, OutboxOrigin
from mud_persistence.models.player import DEFAULT_ROOM_ID, Player
from mud_persistence.models.player_stats import STAT_COLUMNS, Position
from mud_persistence.models.profession import Profession

ALL_MODELS: tuple[type[Model], ...] = (
    Profession,
    Player,
    ItemPrototype,
    ItemInstance,
    Container,
    ContainerContent,
    PlayerEffect,
    OutboxEntry,
    OutboxOrigin,
    IdempotencyKey,
)

# Rules Tortoise cannot declare on a field. The initial migration creates them verbatim and a
# migration test checks the database holds each one, so models and migrations cannot drift.
PLAYER_NAME_INDEX = "uidx_players_name_active"
# The tick sweep deletes effects whose last tick has passed; it filters on exactly this sum.
EFFECT_EXPIRY_INDEX = "idx_player_effects_expiry_tick"
EXPRESSION_INDEXES: dict[str, str] = {
    PLAYER_NAME_INDEX: (
        f"CREATE UNIQUE INDEX IF NOT EXISTS {PLAYER_NAME_INDEX} "
        "ON players (LOWER(name)) WHERE NOT is_deleted"
    ),
    EFFECT_EXPIRY_INDEX: (
        f"CREATE INDEX IF NOT EXISTS {EFFECT_EXPIRY_INDEX} "
        "ON player_effects ((applied_at_tick + duration))"
    ),
}


def check_constraints() -> dict[str, list[CheckConstraint]]:
    """Every CHECK constraint the models declare, by table name."""
    return {
        model._meta.db_table: list(model._meta.constraints)
        for model in ALL_MODELS
        if model._meta.constraints
    }


__all__ = [
    "ALL_MODELS",
    "DEFAULT_CAPACITY",
    "DEFAULT_ROOM_ID",
    "EFFECT_EXPIRY_INDEX",
    "EXPRESSION_INDEXES",
    "MAX_CAPACITY",
    "PLAYER_NAME_INDEX",
    "STAT_COLUMNS",
    "Container",
    "ContainerContent",
    "IdempotencyKey",
    "ItemInstance",
    "ItemPrototype",
    "LockState",
    "OutboxEntry",
    "OutboxOrigin",
    "OwnerType",
    "Player",
    "PlayerEffect",
    "Position",
    "Profession",
    "SourceType",
    "check_constraints",
]
