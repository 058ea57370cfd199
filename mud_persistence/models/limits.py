"""The numeric ranges every backend enforces, chosen so that no sum overflows a column."""

INT4_MAX = 2_147_483_647  # the largest value of a 32-bit (PostgreSQL INT) column
# The largest step one call may add to a counter (damage, healing, XP, a stat delta)...
MAX_STEP = 1_000_000_000
# ...and the largest value of a 32-bit counter such steps change, so value + step is computed
# without overflowing (1e9 + 1e9 < 2**31 - 1).
COUNTER_MAX = 1_000_000_000
# Experience points are a 64-bit column; this bound leaves room for any sum of steps.
MAX_EXPERIENCE = 1_000_000_000_000_000
# DP never goes below this, whatever dp_floor is configured (a database rule).
LOWEST_DP = -1_000_000
