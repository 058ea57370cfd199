"""Hand-written SQL shared by the raw asyncpg contender and the legacy psycopg2 contender."""

from __future__ import annotations

import re

PLAYER_BY_ID = "SELECT * FROM players WHERE player_id = $1"
PLAYER_BY_NAME = "SELECT * FROM players WHERE LOWER(name) = LOWER($1) AND NOT is_deleted LIMIT 1"
# One statement: lock the row, keep its old value, write the clamped new one.
DAMAGE = """
WITH old AS (
    SELECT player_id, current_dp FROM players
    WHERE player_id = $1 AND NOT is_deleted FOR UPDATE
)
UPDATE players p SET current_dp = GREATEST($2::int, LEAST(
        COALESCE(p.max_dp, GREATEST(20, (p.constitution + p.size) / 5)), p.current_dp - $3::int))
FROM old WHERE p.player_id = old.player_id
RETURNING old.current_dp AS old_dp, p.current_dp AS new_dp,
    COALESCE(p.max_dp, GREATEST(20, (p.constitution + p.size) / 5)) AS max_dp
"""
HEAL = DAMAGE.replace("p.current_dp - $3::int", "p.current_dp + $3::int")
# update_player_stat_field(player, "magic_points", delta), clamped to 0..$3 as the facade does.
MAGIC_POINTS = """
WITH old AS (
    SELECT player_id, magic_points FROM players WHERE player_id = $1 AND NOT is_deleted FOR UPDATE
)
UPDATE players p SET magic_points = GREATEST(0, LEAST(p.magic_points + $2::int, $3::int))
FROM old WHERE p.player_id = old.player_id
RETURNING old.magic_points AS old_value, p.magic_points AS new_value
"""
# The level is the game's: the facade leaves it alone (unless settings.xp_per_level is set).
GAIN_XP = """
WITH old AS (
    SELECT player_id, experience_points, level FROM players
    WHERE player_id = $1 AND NOT is_deleted FOR UPDATE
)
UPDATE players p SET experience_points = GREATEST(0, LEAST(p.experience_points + $2::bigint,
    $3::bigint))
FROM old WHERE p.player_id = old.player_id
RETURNING old.experience_points AS old_xp, old.level AS old_level,
    p.experience_points AS new_xp, p.level AS new_level
"""
SAVE_ROOM = (
    "UPDATE players SET current_room_id = $1"
    " WHERE player_id = $2 AND NOT is_deleted AND current_room_id = $3"
)
ROOM_CONTAINERS_JOINED = """
SELECT c.*, cc.position, i.item_instance_id, i.quantity, i.condition, i.custom_name,
    i.metadata AS item_metadata, pr.prototype_id, pr.name AS prototype_name
FROM containers c
LEFT JOIN container_contents cc ON cc.container_id = c.container_id
LEFT JOIN item_instances i ON i.item_instance_id = cc.item_instance_id
LEFT JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id
WHERE c.room_id = $1 ORDER BY c.created_at, cc.position
"""
ROOM_CONTAINERS = "SELECT * FROM containers WHERE room_id = $1 ORDER BY created_at"
CONTAINER_ITEMS = """
SELECT cc.position, i.item_instance_id, i.quantity, i.condition, i.custom_name,
    i.metadata AS item_metadata, pr.prototype_id, pr.name AS prototype_name
FROM container_contents cc
JOIN item_instances i ON i.item_instance_id = cc.item_instance_id
JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id
WHERE cc.container_id = $1 ORDER BY cc.position
"""
LOCK_CONTAINERS = (
    "SELECT container_id, capacity_slots FROM containers"
    " WHERE container_id = ANY($1::uuid[]) ORDER BY container_id FOR UPDATE"
)
ITEM_SLOT = "SELECT 1 FROM container_contents WHERE container_id = $1 AND item_instance_id = $2"
TAKEN_POSITIONS = "SELECT position FROM container_contents WHERE container_id = $1"
MOVE_SLOT = (
    "UPDATE container_contents SET container_id = $1, position = $2 WHERE item_instance_id = $3"
)
HAND_OVER = (
    "UPDATE item_instances SET owner_type = 'container', owner_id = $1, updated_at = now()"
    " WHERE item_instance_id = $2"
)
TOUCH = "UPDATE containers SET updated_at = now() WHERE container_id = ANY($1::uuid[])"


def for_psycopg2(sql: str) -> str:
    """$1-style placeholders as psycopg2's %s (each $n appears once, in order)."""
    return re.sub(r"\$\d+", "%s", sql.replace("%", "%%"))
