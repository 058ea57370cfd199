"""AsyncPersistenceLayer: the one object game code uses, composed of one part per concern.

Each part is a mixin in its own module (lifecycle, subscriptions, players, counters, effects,
rooms, professions, containers, items, legacy_import); the parts hold lifecycle,
migrations and delegation to the repositories, never queries. ``operation`` holds the wrapper
every database method runs in.
"""

from __future__ import annotations

from mud_persistence.facade.containers import ContainersMixin
from mud_persistence.facade.counters import CountersMixin
from mud_persistence.facade.effects import PlayerEffectsMixin
from mud_persistence.facade.items import ItemsMixin
from mud_persistence.facade.legacy_import import LegacyImportMixin
from mud_persistence.facade.lifecycle import LifecycleMixin
from mud_persistence.facade.operation import LayerClosedError
from mud_persistence.facade.players import PlayersMixin
from mud_persistence.facade.professions import ProfessionsMixin
from mud_persistence.facade.rooms import RoomsMixin
from mud_persistence.facade.subscriptions import SubscriptionsMixin

__all__ = ["AsyncPersistenceLayer", "LayerClosedError"]


# The order of the parts is the order of the reference page and of its methods table.
class AsyncPersistenceLayer(
    LifecycleMixin,
    SubscriptionsMixin,
    PlayersMixin,
    CountersMixin,
    PlayerEffectsMixin,
    RoomsMixin,
    ProfessionsMixin,
    ContainersMixin,
    ItemsMixin,
    LegacyImportMixin,
):
    """Players, professions, rooms, containers and items for a MUD, on PostgreSQL or SQLite.

    Create one per process at start-up and use it from any task: the first call opens the
    connection pool and loads the room cache (``connect()`` does it up front, to fail fast).

    Args:
        database_url: ``postgresql://user:password@host:port/db`` or ``sqlite:///path`` (the
            README's "Database URLs" lists every form and option); overrides
            ``settings.database_url`` (which reads ``DATABASE_URL`` from the environment).
        event_bus: receives the events of ``mud_persistence.events`` after each commit.
        settings: every other knob; read from the environment when omitted.
        room_loader: a callable (sync or async) returning the game's rooms: dicts (validated
            into ``Room``), ``Room`` objects, or the game's own room objects (anything with an
            ``id``, cached as they are); by default the JSON files in
            ``settings.rooms_directory``.

    ``_log_path``, ``_skip_room_cache`` and ``_db_path`` are accepted and ignored, as the layer
    we replace did, so its call shapes keep working (``event_bus`` is its third positional
    parameter there too). Its first positional parameter was an unused path; here it is the
    database URL.
    """
