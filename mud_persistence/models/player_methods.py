"""The methods game code calls on a Player, with the meaning they had in the layer we replace.

Each changes the object only; ``save_player`` persists the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mud_persistence.models.json_values import json_copy
from mud_persistence.models.player_stats import Position, check_stat

if TYPE_CHECKING:
    from mud_persistence.models.player_stats import PlayerStats

# The game's rules, not the storage's: mortally wounded at 0 DP and below, dead at -10.
MORTAL_WOUND_DP = 0
DEATH_DP = -10
XP_PER_LEVEL_OF_ADD_EXPERIENCE = 100  # the old add_experience's own level rule


class PlayerGameMethods:
    """Mixed into Player: the old model's methods. Attributes are the Player's columns."""

    current_dp: int
    dexterity: int
    experience_points: int
    level: int
    is_admin: bool
    position: Position
    inventory: list[Any]
    equipped: dict[str, Any]
    status_effects: list[Any]

    if TYPE_CHECKING:

        @property
        def effective_max_dp(self) -> int: ...

        def get_stats(self) -> PlayerStats: ...

    # Inventory, equipment and status effects: the returned objects are the player's own, so
    # editing them in place is a change that save_player writes.

    def get_inventory(self) -> list[Any]:
        """The inventory stacks (the player's own list)."""
        return self.inventory

    def set_inventory(self, inventory: Sequence[Mapping[str, Any]]) -> None:
        """Replace the inventory with a copy of ``inventory``."""
        self.inventory = json_copy(list(inventory), field="inventory")

    def get_equipped_items(self) -> dict[str, Any]:
        """The equipped stacks by slot (the player's own dict)."""
        return self.equipped

    def set_equipped_items(self, equipped: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the equipped items with a copy of ``equipped``."""
        self.equipped = json_copy(dict(equipped), field="equipped")

    def get_status_effects(self) -> list[Any]:
        """The status effects (the player's own list)."""
        return self.status_effects

    def set_status_effects(self, status_effects: Sequence[Mapping[str, Any]]) -> None:
        """Replace the status effects with a copy of ``status_effects``."""
        self.status_effects = json_copy(list(status_effects), field="status_effects")

    # Experience and admin status

    def add_experience(self, amount: int) -> None:
        """Add XP on the object, and set the level to XP // 100 + 1 (the old rule).

        For a change that is safe against concurrent awards use the facade's gain_experience.
        """
        self.experience_points += amount
        self.level = self.experience_points // XP_PER_LEVEL_OF_ADD_EXPERIENCE + 1

    def is_admin_user(self) -> bool:
        return bool(self.is_admin)

    def set_admin_status(self, admin_status: bool) -> None:
        self.is_admin = bool(admin_status)

    # Health: DP above 0 is alive, 0 down to -9 mortally wounded, -10 and below dead.

    def is_alive(self) -> bool:
        return self.current_dp > MORTAL_WOUND_DP

    def is_mortally_wounded(self) -> bool:
        return DEATH_DP < self.current_dp <= MORTAL_WOUND_DP

    def is_dead(self) -> bool:
        return self.current_dp <= DEATH_DP

    def get_health_state(self) -> str:
        """``"alive"``, ``"mortally_wounded"`` or ``"dead"``."""
        if self.is_alive():
            return "alive"
        return "dead" if self.is_dead() else "mortally_wounded"

    def get_combat_stats(self) -> dict[str, int]:
        """current_dp, max_dp (effective) and dexterity, for building a combat participant."""
        return {
            "current_dp": self.current_dp,
            "max_dp": self.effective_max_dp,
            "dexterity": self.dexterity,
        }

    def get_health_percentage(self) -> float:
        """current_dp as a percentage of the effective max DP (negative when below 0)."""
        return self.current_dp / self.effective_max_dp * 100

    def apply_dp_decay(self, amount: int = 1) -> tuple[int, int, bool]:
        """Lose ``amount`` DP (bleeding), not below -10; lie down at 0 DP or below.

        Returns:
            (old DP, new DP, whether the position changed)
        """
        old_dp = self.current_dp
        new_dp = max(old_dp - check_stat("current_dp", amount), DEATH_DP)
        self.current_dp = new_dp
        changed = new_dp <= MORTAL_WOUND_DP and (
            old_dp > MORTAL_WOUND_DP or self.position != Position.LYING
        )
        if changed:
            self.position = Position.LYING
        return old_dp, new_dp, changed

    def restore_to_full_health(self) -> int:
        """DP to the effective max, standing up (respawn); return the DP before."""
        old_dp = self.current_dp
        self.current_dp = self.effective_max_dp
        self.position = Position.STANDING
        return old_dp

    def apply_dp_change(self, new_dp: int) -> tuple[int, bool, bool]:
        """Set DP (from combat); lie down at 0 DP or below.

        Returns:
            (old DP, whether the player just became mortally wounded, whether just died)
        """
        old_dp = self.current_dp
        self.current_dp = check_stat("current_dp", new_dp)
        if new_dp <= MORTAL_WOUND_DP:
            self.position = Position.LYING
        became_mortally_wounded = old_dp > MORTAL_WOUND_DP and DEATH_DP < new_dp <= MORTAL_WOUND_DP
        became_dead = old_dp > DEATH_DP >= new_dp
        return old_dp, became_mortally_wounded, became_dead
