"""The players table: one row per character, with every stat as a real integer column."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.base import DatabaseDefault
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from mud_persistence.errors import ValidationError
from mud_persistence.models.limits import COUNTER_MAX, INT4_MAX, LOWEST_DP, MAX_EXPERIENCE
from mud_persistence.models.player_changes import TracksChanges
from mud_persistence.models.player_methods import PlayerGameMethods
from mud_persistence.models.player_rows import player_row_loader
from mud_persistence.models.player_stats import (
    STAT_COLUMNS,
    STAT_KEYS,
    PlayerStats,
    Position,
    checked_stats,
    derived_max_dp,
)

if TYPE_CHECKING:
    from mud_persistence.models.container import Container
    from mud_persistence.models.effect import PlayerEffect
    from mud_persistence.models.profession import Profession

DEFAULT_ROOM_ID = "earth_arkhamcity_sanitarium_room_foyer_001"


class StrUUIDField(fields.Field[str]):
    """A UUID column whose Python value is its canonical string, as the old model's ids were.

    Game code keys dicts and sets by player ids and compares them with strings; a uuid.UUID there
    fails silently (``"..." in room_players`` is just False). Filters accept a UUID or a string.
    """

    field_type = str
    SQL_TYPE = "CHAR(36)"

    class _db_postgres:
        SQL_TYPE = "UUID"

    def to_python_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))

    def to_db_value(self, value: Any, instance: Any) -> str | None:
        return self.to_python_value(value)


def _range_check(table: str, column: str, low: int, high: int | None) -> CheckConstraint:
    condition = f"{column} >= {low}" if high is None else f"{column} BETWEEN {low} AND {high}"
    return CheckConstraint(check=condition, name=f"ck_{table}_{column}")


# Spelled without GREATEST, which SQLite lacks: the two backends share these CHECK rules.
EFFECTIVE_MAX_DP_SQL = (
    "COALESCE(max_dp, CASE WHEN (constitution + size) / 5 > 20 "
    "THEN (constitution + size) / 5 ELSE 20 END)"
)


def _new_player_id() -> str:
    return str(uuid.uuid4())


def _slots(namespace: dict[str, Any]) -> tuple[str, ...]:
    """The instance attributes of a model class body's ``namespace``: its columns (a foreign
    key's as ``<name>_id``) and Tortoise's own per-instance flags."""
    columns = [
        f"{name}_id" if isinstance(value, fields.relational.ForeignKeyFieldInstance) else name
        for name, value in namespace.items()
        if isinstance(value, fields.Field)
    ]
    return (*columns, "_partial", "_saved_in_db", "_custom_generated_pk", "_await_when_save")


class Player(TracksChanges, PlayerGameMethods, Model):
    """One character. ``player_id`` and ``user_id`` are strings, as in the old model; typed code
    reads ``player_uuid`` and ``user_uuid``.

    Build a new one as game code always did, ``Player(player_id=..., user_id=..., name=...,
    stats={...}, ...)``, and ``save_player`` inserts it; unspecified columns take their defaults.
    """

    player_id = StrUUIDField(primary_key=True, default=_new_player_id)
    user_id = StrUUIDField(db_index=True)
    name = fields.CharField(max_length=50)
    current_room_id = fields.CharField(max_length=255, db_default=DEFAULT_ROOM_ID, db_index=True)
    respawn_room_id = fields.CharField(max_length=255, null=True)
    profession: fields.ForeignKeyNullableRelation[Profession] = fields.ForeignKeyField(
        "models.Profession", related_name="players", null=True, on_delete=fields.SET_NULL
    )
    experience_points = fields.BigIntField(db_default=0)
    level = fields.IntField(db_default=1)

    strength = fields.IntField(db_default=50)
    dexterity = fields.IntField(db_default=50)
    constitution = fields.IntField(db_default=50)
    size = fields.IntField(db_default=50)
    intelligence = fields.IntField(db_default=50)
    power = fields.IntField(db_default=50)
    education = fields.IntField(db_default=50)
    charisma = fields.IntField(db_default=50)
    luck = fields.IntField(db_default=50)
    wisdom = fields.IntField(db_default=50)
    current_dp = fields.IntField(db_default=20)
    max_dp = fields.IntField(null=True)
    magic_points = fields.IntField(db_default=10)
    max_magic_points = fields.IntField(null=True)
    lucidity = fields.IntField(db_default=100)
    max_lucidity = fields.IntField(null=True)
    mp_fractional = fields.FloatField(null=True)
    occult = fields.IntField(db_default=0)
    occult_knowledge = fields.IntField(db_default=0)
    corruption = fields.IntField(db_default=0)
    fear = fields.IntField(db_default=0)
    cult_affiliation = fields.IntField(db_default=0)
    cold_resistance = fields.IntField(db_default=0)

    position = fields.CharEnumField(Position, max_length=16, db_default=Position.STANDING)
    inventory: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    equipped: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    status_effects: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    is_admin = fields.BooleanField(db_default=False)
    is_deleted = fields.BooleanField(db_default=False)
    deleted_at = fields.DatetimeField(null=True)
    tutorial_instance_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(db_default=Now())
    last_active = fields.DatetimeField(db_default=Now())

    owned_containers: fields.ReverseRelation[Container]
    equipment_containers: fields.ReverseRelation[Container]
    effects: fields.ReverseRelation[PlayerEffect]

    # Columns in slots, not in a per-object dict: a loaded Player takes about half the memory
    # (tracemalloc, 10,000 players of get_players_in_room). Tortoise removes the field
    # definitions from the class, so the slot names are free.
    __slots__ = _slots(locals())

    class Meta:
        table = "players"
        constraints = (
            CheckConstraint(check="name <> ''", name="ck_players_name_not_empty"),
            CheckConstraint(
                check=f"experience_points BETWEEN 0 AND {MAX_EXPERIENCE}",
                name="ck_players_experience_points",
            ),
            CheckConstraint(check="level >= 1", name="ck_players_level"),
            CheckConstraint(check="max_dp >= 1", name="ck_players_max_dp"),
            CheckConstraint(
                check="position IN ('standing', 'sitting', 'lying')",
                name="ck_players_position",
            ),
            *(
                _range_check("players", col, low, high)
                for col, (_, low, high) in STAT_COLUMNS.items()
            ),
            # 32-bit columns stay where a step of MAX_STEP cannot overflow them (both backends).
            CheckConstraint(
                check=f"level <= {INT4_MAX} AND max_dp <= {COUNTER_MAX}",
                name="ck_players_int_ranges",
            ),
            CheckConstraint(
                check=f"max_magic_points BETWEEN 0 AND {COUNTER_MAX}",
                name="ck_players_max_magic_points",
            ),
            CheckConstraint(
                check=f"max_lucidity BETWEEN 0 AND {COUNTER_MAX}",
                name="ck_players_max_lucidity",
            ),
            CheckConstraint(
                check="mp_fractional >= 0 AND mp_fractional < 1", name="ck_players_mp_fractional"
            ),
            # The floor is configurable (dp_floor), so the database holds the lowest one allowed.
            CheckConstraint(
                check=f"current_dp BETWEEN {LOWEST_DP} AND {EFFECTIVE_MAX_DP_SQL}",
                name="ck_players_current_dp",
            ),
        )

    def __init__(self, *, stats: Mapping[str, Any] | None = None, **columns: Any) -> None:
        # Tortoise adds the foreign-key id fields (profession_id) when it is initialised, and
        # game code may build players before the layer's first call does that.
        early = {
            f"{fk}_id": columns.pop(f"{fk}_id", None)
            for fk in self._meta.fk_fields
            if f"{fk}_id" not in self._meta.fields_map
        }
        unknown = columns.keys() - self._meta.fields_map.keys()
        if unknown:
            name = sorted(unknown)[0]
            raise ValidationError(f"Player has no column {name!r}", field=name, value=columns[name])
        for name in ("created_at", "last_active", "deleted_at"):
            if isinstance(moment := columns.get(name), datetime) and moment.tzinfo is None:
                columns[name] = moment.replace(tzinfo=UTC)  # the game passes naive UTC times
        super().__init__(**columns)
        for name, value in early.items():
            setattr(self, name, value)
        self._fill_defaults_in_python()
        if stats is not None:
            self.set_stats(stats)

    def _fill_defaults_in_python(self) -> None:
        """Give a new player real values where Tortoise leaves database-default placeholders,
        so its methods work before it is saved and the insert writes every column."""
        for name in self._meta.fields_db_projection:
            field = self._meta.fields_map[name]
            if not isinstance(getattr(self, name, None), DatabaseDefault):
                continue
            default = field.db_default
            if isinstance(default, Now):
                value: Any = datetime.now(UTC)
            else:
                value = field.to_python_value(copy.deepcopy(default))
            setattr(self, name, value)

    def __str__(self) -> str:
        return f"Player({self.name}, {self.player_id})"

    def __repr__(self) -> str:
        return f"<Player(player_id={self.player_id}, name={self.name}, level={self.level})>"

    @property
    def player_uuid(self) -> uuid.UUID:
        """``player_id`` as a uuid.UUID, for typed code."""
        return uuid.UUID(self.player_id)

    @property
    def user_uuid(self) -> uuid.UUID:
        """``user_id`` as a uuid.UUID, for typed code."""
        return uuid.UUID(self.user_id)

    @classmethod
    def row_loader(cls) -> Callable[[Mapping[str, Any]], Player]:
        """A fast builder of Players from whole rows, for the database Tortoise was
        initialised with (see player_rows.py)."""
        return player_row_loader(cls)

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Player:
        player = super()._init_from_db(**kwargs)
        if not player._partial:  # an .only() read cannot be saved, so it needs no baseline
            player.mark_loaded(kwargs)
        return player

    @property
    def effective_max_dp(self) -> int:
        """max_dp, or the value derived from constitution and size when it is null."""
        if self.max_dp is not None:
            return self.max_dp
        return derived_max_dp(self.constitution, self.size)

    def get_stats(self) -> PlayerStats:
        """The stats as the old dict: every stat, ``position``, ``max_dp`` (derived when null)
        and the optional stats that are set (``max_magic_points``, ``max_lucidity``,
        ``_mp_fractional``). Changes made to the dict are made to the player."""
        return PlayerStats(self)

    @property
    def stats(self) -> PlayerStats:
        """The old model's stats attribute: the same as get_stats()."""
        return self.get_stats()

    @stats.setter
    def stats(self, stats: Mapping[str, Any]) -> None:
        self.set_stats(stats)

    def set_stats(self, stats: Mapping[str, Any]) -> None:
        """Check every stat in ``stats`` and assign them all, or raise and assign none.

        Accepts what get_stats() returns, the old optional keys (``max_magic_points``,
        ``max_lucidity``, ``_mp_fractional``; None clears them), and ``position``. A ``max_dp``
        equal to the derived value of a player whose max_dp is null leaves it null, so it keeps
        following constitution and size.

        Raises:
            ValidationError: an unknown stat name, a bad type, or a value out of range.
        """
        checked = checked_stats(stats)
        if self.max_dp is None and checked.get("max_dp") == self.effective_max_dp:
            del checked["max_dp"]
        for name, value in checked.items():
            setattr(self, STAT_KEYS[name], value)
