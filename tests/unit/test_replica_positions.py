"""Read-your-writes compares WAL positions, which PostgreSQL prints as two hex halves."""

from __future__ import annotations

from mud_persistence.replicas import parse_lsn


def test_wal_positions_compare_as_numbers() -> None:
    assert parse_lsn("0/16B3748") == 0x16B3748
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")
