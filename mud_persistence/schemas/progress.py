"""What experience awards return."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class XPAward(BaseModel):
    """The outcome of one experience change, with the exact values before and after."""

    model_config = ConfigDict(frozen=True)

    player_id: uuid.UUID
    amount: int
    old_xp: int
    new_xp: int
    old_level: int
    new_level: int
    source: str

    @property
    def leveled_up(self) -> bool:
        return self.new_level > self.old_level
