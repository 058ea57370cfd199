"""The reference site's generated parts agree with the code (mkdocs_hooks.py)."""

from __future__ import annotations

import inspect
import re

import mkdocs_hooks
from mud_persistence import AsyncPersistenceLayer, PersistenceSettings


def rows(table: str) -> dict[str, str]:
    """Table rows by the name in their first cell."""
    found = {}
    for line in table.splitlines()[2:]:
        name = re.search(r"`(\w+)`", line)
        assert name, line
        found[name.group(1)] = line
    return found


def test_the_reference_says_which_methods_are_sync_and_which_async() -> None:
    table = rows(mkdocs_hooks.methods_table())
    public = [n for n in dir(AsyncPersistenceLayer) if not n.startswith("_")]
    methods = [n for n in public if inspect.isfunction(getattr(AsyncPersistenceLayer, n))]
    assert sorted(table) == sorted(methods)
    for name in methods:
        is_async = inspect.iscoroutinefunction(getattr(AsyncPersistenceLayer, name))
        assert ("| async |" in table[name]) == is_async, table[name]
    assert "**sync** (no `await`)" in table["list_rooms"]
    assert "**sync** (no `await`)" in table["get_room_by_id"]


def test_the_reference_names_the_errors_and_events_of_each_method() -> None:
    table = rows(mkdocs_hooks.methods_table())
    assert "`PlayerDPUpdated`" in table["damage_player"]
    assert "`PlayerDPUpdated`" in table["heal_player"]
    assert "`ItemTransferred`" in table["transfer_item"]
    assert "`CapacityError`" in table["transfer_item"]


def test_the_settings_table_has_every_setting_with_its_variable() -> None:
    table = mkdocs_hooks.settings_table()
    for name in PersistenceSettings.model_fields:
        assert f"| `{name}` |" in table
        assert f"`MUD_PERSISTENCE_{name.upper()}`" in table
    assert "`DATABASE_URL`" in table
    assert "/work/" not in table and "site-packages" not in table  # no paths of this machine
    assert "`mud_persistence/data/rooms` (in the package)" in table
    assert "`migrations/` (in the checkout)" in table


def test_the_home_page_links_only_to_pages_the_site_has() -> None:
    home = mkdocs_hooks.readme()
    targets = re.findall(r"\]\(([^)]+)\)", home)
    assert targets, "the README lost its links"
    assert [t for t in targets if not t.startswith(("http", "#")) and "/" in t] == []


def test_the_readme_configuration_table_lists_every_setting() -> None:
    readme = (mkdocs_hooks.ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in PersistenceSettings.model_fields
        if f"`MUD_PERSISTENCE_{name.upper()}`" not in readme
    ]
    assert missing == [], "add these settings to the README's Configuration table"


def test_links_from_the_guides_to_the_readme_point_at_the_home_page() -> None:
    assert mkdocs_hooks.fill("see [the README](../README.md#migrations).") == (
        "see [the README](index.md#migrations)."
    )
    assert mkdocs_hooks.fill("[x](../../README.md)") == "[x](../index.md)"
