"""Counters on a player, changed atomically: DP (health), XP, and the other stats."""

from __future__ import annotations

import uuid

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _write
from mud_persistence.models import Player
from mud_persistence.schemas.progress import XPAward
from mud_persistence.schemas.validation import check_delta


class CountersMixin(LayerBase):
    """DP (health), XP and the other stat counters of a player, each changed atomically."""

    @_write
    async def damage_player(
        self,
        player: Player,
        amount: int,
        damage_type: str = "physical",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Take ``amount`` DP from the player, atomically; return the new current_dp.

        The database clamps the result to ``[settings.dp_floor, effective max DP]``. Cold and
        water damage is reduced by the player's cold_resistance percent (at least 1). The
        object's current_dp is set to the stored value; ``PlayerDPUpdated`` follows the commit.

        Raises:
            ValidationError: ``amount`` is negative or not a whole number, or
                ``damage_type`` is not a string.
            NotFoundError: the player does not exist or is deleted.
        """
        return await self._health.damage(player, amount, damage_type)

    @_write
    async def heal_player(
        self, player: Player, amount: int, *, idempotency_key: str | None = None
    ) -> int:
        """Give ``amount`` DP back, up to the effective max DP; return the new current_dp.

        Publishes ``PlayerDPUpdated`` after the commit.
        """
        return await self._health.heal(player, amount)

    async def async_damage_player(
        self,
        player: Player,
        amount: int,
        damage_type: str = "physical",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """The old layer's alias of ``damage_player`` (``idempotency_key`` as there)."""
        return await self.damage_player(
            player, amount, damage_type, idempotency_key=idempotency_key
        )

    async def async_heal_player(
        self, player: Player, amount: int, *, idempotency_key: str | None = None
    ) -> int:
        """The old layer's alias of ``heal_player`` (``idempotency_key`` as there)."""
        return await self.heal_player(player, amount, idempotency_key=idempotency_key)

    @_write
    async def update_player_health(
        self,
        player_id: uuid.UUID | str,
        delta: int,
        reason: str = "",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Add ``delta`` (negative to hurt) to current_dp, clamped; return the new value.

        Publishes ``PlayerDPUpdated`` after the commit.
        """
        return await self._health.adjust(player_id, delta, reason)

    @_write
    async def gain_experience(
        self,
        player: Player,
        amount: int,
        source: str = "unknown",
        *,
        idempotency_key: str | None = None,
    ) -> XPAward:
        """Award ``amount`` XP atomically; the object's XP is set to the stored total.

        The level is the game's and stays as it is, as in the old layer, unless
        ``settings.xp_per_level`` is set: then it follows the new total in the same statement.
        Publishes ``PlayerXPAwarded``, and ``PlayerLeveledUp`` when the level rises.

        Raises:
            ValidationError: ``amount`` is negative or not a whole number, or ``source`` is
                not a string.
        """
        return await self._experience.gain(player, amount, source)

    @_write
    async def update_player_xp(
        self,
        player_id: uuid.UUID | str,
        delta: int,
        reason: str = "",
        *,
        idempotency_key: str | None = None,
    ) -> XPAward:
        """Add ``delta`` XP atomically (the level as in ``gain_experience``).

        Publishes ``PlayerXPAwarded``, and ``PlayerLeveledUp`` when the level rises.

        Raises:
            ValidationError: ``delta`` is negative (as in the old layer) or not a whole number,
                or ``reason`` is not a string.
            NotFoundError: no active player has this id.
        """
        return await self._experience.adjust(player_id, delta, reason)

    @_write
    async def update_player_stat_field(
        self,
        player_id: uuid.UUID | str,
        field_name: str,
        delta: int | float,
        reason: str = "",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Add ``delta`` to one stat, clamped to its range; return the new value.

        ``current_dp`` is changed as by ``update_player_health`` (clamped to dp_floor..max DP,
        ``PlayerDPUpdated``); every other stat column publishes ``PlayerStatChanged``.
        ``delta`` may be an integral float (``5.0``), as the old layer allowed.

        Raises:
            ValidationError: ``field_name`` is not a stat (current_dp, strength, lucidity,
                fear, ...), ``delta`` has a fraction, or ``reason`` is not a string; a
                ``delta`` that is not a number at all raises ``ValidationTypeError``, which
                is also a ``TypeError``.
        """
        delta = check_delta(delta, field="delta")
        if field_name == "current_dp":
            return await self._health.adjust(player_id, delta, reason)
        return await self._experience.change_stat(None, player_id, field_name, delta, reason)

    @_write
    async def apply_lucidity_loss(
        self,
        player: Player,
        amount: int,
        source: str = "unknown",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Lower lucidity by ``amount`` (not below -100); return the new lucidity.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "lucidity", -1, amount, source)

    @_write
    async def apply_fear(
        self,
        player: Player,
        amount: int,
        source: str = "unknown",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Raise fear by ``amount`` (not above 100); return the new fear.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "fear", +1, amount, source)

    @_write
    async def apply_corruption(
        self,
        player: Player,
        amount: int,
        source: str = "unknown",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Raise corruption by ``amount`` (not above 100); return the new corruption.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "corruption", +1, amount, source)

    @_write
    async def gain_occult_knowledge(
        self,
        player: Player,
        amount: int,
        source: str = "unknown",
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Raise occult_knowledge by ``amount`` (not above 100); return the new value.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "occult_knowledge", +1, amount, source)
