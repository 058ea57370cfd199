"""Model-based property tests: random operation sequences against a pure-Python model of the
rules, on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from mud_persistence.events import PlayerDPUpdated, RecordingBus
from mud_persistence.testing import empty_tables

EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
COUNTER_OPS = st.tuples(
    st.sampled_from(["damage", "cold", "heal", "xp", "fear", "lucidity"]), st.integers(0, 80)
)


@pytest.fixture
def database(mud_persistence_database_url: str) -> Iterator[str]:
    yield mud_persistence_database_url
    asyncio.run(empty_tables(mud_persistence_database_url))


DP_FLOOR = -10  # the default dp_floor


@dataclass
class PlayerModel:
    """The rules, in plain Python."""

    dp: int
    max_dp: int
    cold_resistance: int
    xp: int = 0
    fear: int = 0
    lucidity: int = 100

    def loss(self, kind: str, amount: int) -> int:
        if kind == "cold" and amount > 0:
            return max(1, round(amount * (1.0 - self.cold_resistance / 100.0)))
        return amount

    def apply(self, kind: str, amount: int) -> int:
        if kind in ("damage", "cold"):
            self.dp = max(DP_FLOOR, min(self.max_dp, self.dp - self.loss(kind, amount)))
            return self.dp
        if kind == "heal":
            self.dp = max(DP_FLOOR, min(self.max_dp, self.dp + amount))
            return self.dp
        if kind == "xp":
            self.xp += amount
            return self.xp
        if kind == "fear":
            self.fear = max(0, min(100, self.fear + amount))
            return self.fear
        self.lucidity = max(-100, min(100, self.lucidity - amount))
        return self.lucidity


async def call(layer: AsyncPersistenceLayer, player: object, kind: str, amount: int) -> int:
    if kind in ("damage", "cold"):
        return await layer.damage_player(player, amount, "cold" if kind == "cold" else "claw")  # type: ignore[arg-type]
    if kind == "heal":
        return await layer.heal_player(player, amount)  # type: ignore[arg-type]
    if kind == "xp":
        return (await layer.gain_experience(player, amount)).new_xp  # type: ignore[arg-type]
    if kind == "fear":
        return await layer.apply_fear(player, amount)  # type: ignore[arg-type]
    return await layer.apply_lucidity_loss(player, amount)  # type: ignore[arg-type]


@EXAMPLES
@given(
    ops=st.lists(COUNTER_OPS, min_size=1, max_size=12),
    max_dp=st.integers(1, 150),
    start=st.integers(0, 150),
    cold_resistance=st.integers(0, 100),
)
def test_sequences_of_counter_operations_follow_the_rules(
    database: str, ops: list[tuple[str, int]], max_dp: int, start: int, cold_resistance: int
) -> None:
    async def scenario() -> None:
        model = PlayerModel(min(start, max_dp), max_dp, cold_resistance)
        async with AsyncPersistenceLayer(database) as layer:
            player = await layer.create_player(
                name=f"m{uuid.uuid4().hex[:12]}",
                user_id=uuid.uuid4(),
                stats={
                    "max_dp": max_dp,
                    "current_dp": model.dp,
                    "cold_resistance": cold_resistance,
                },
            )
            for kind, amount in ops:
                assert await call(layer, player, kind, amount) == model.apply(kind, amount)
            stored = await layer.get_player_by_id(player.player_id)
            assert stored is not None
            assert (stored.current_dp, stored.experience_points, stored.fear, stored.lucidity) == (
                model.dp,
                model.xp,
                model.fear,
                model.lucidity,
            )
            assert stored.level == 1  # XP changes leave the level to the game by default

    asyncio.run(scenario())


@EXAMPLES
@given(
    ops=st.lists(COUNTER_OPS, min_size=2, max_size=30),
    max_dp=st.integers(1, 150),
    cold_resistance=st.integers(0, 100),
)
def test_concurrent_counter_operations_each_follow_the_rules(
    database: str, ops: list[tuple[str, int]], max_dp: int, cold_resistance: int
) -> None:
    async def scenario() -> None:
        bus = RecordingBus()
        async with AsyncPersistenceLayer(database, event_bus=bus) as layer:
            player = await layer.create_player(
                name=f"c{uuid.uuid4().hex[:12]}",
                user_id=uuid.uuid4(),
                stats={"max_dp": max_dp, "current_dp": max_dp, "cold_resistance": cold_resistance},
            )
            await asyncio.gather(*(call(layer, player, kind, amount) for kind, amount in ops))
            stored = await layer.get_player_by_id(player.player_id)
        assert stored is not None
        # order-independent totals
        assert stored.experience_points == sum(a for k, a in ops if k == "xp")
        assert stored.fear == min(100, sum(a for k, a in ops if k == "fear"))
        assert stored.lucidity == max(-100, 100 - sum(a for k, a in ops if k == "lucidity"))
        # every DP change is one of the operations applied to the value it found
        dp_ops = [(k, a) for k, a in ops if k in ("damage", "cold", "heal")]
        events = bus.of(PlayerDPUpdated)
        assert len(events) == len(dp_ops)
        for event in events:
            candidates = set()
            for kind, amount in dp_ops:
                probe = PlayerModel(event.old_dp, max_dp, cold_resistance)
                candidates.add(probe.apply(kind, amount))
            assert event.new_dp in candidates
        values = {e.old_dp for e in events} | {e.new_dp for e in events}
        assert stored.current_dp in values | {max_dp}

    asyncio.run(scenario())


@dataclass
class WorldModel:
    capacity: dict[int, int]
    place: dict[str, int | None] = field(default_factory=dict)  # item -> container (None: loose)
    alive: set[int] = field(default_factory=set)

    def held(self, box: int) -> list[str]:
        return sorted(item for item, where in self.place.items() if where == box)


CONTAINER_OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "transfer", "delete"]),
        st.integers(0, 5),  # item
        st.integers(0, 2),  # container
        st.integers(0, 2),  # destination
    ),
    min_size=1,
    max_size=20,
)


@EXAMPLES
@given(ops=CONTAINER_OPS)
def test_container_operations_conserve_items_and_respect_capacity(
    database: str, ops: list[tuple[str, int, int, int]]
) -> None:
    async def scenario() -> None:
        async with AsyncPersistenceLayer(database) as layer:
            await layer.seed_item_prototypes()
            model = WorldModel(capacity={0: 1, 1: 2, 2: 3}, alive={0, 1, 2})
            boxes = {
                n: (await layer.create_container_data("environment", room_id="m", capacity_slots=c))
                for n, c in model.capacity.items()
            }
            tag = uuid.uuid4().hex[:8]
            items = [f"m{tag}-{n}" for n in range(6)]
            for item in items:
                await layer.create_item_instance(item, "misc.coin.silver")
                model.place[item] = None
            for kind, i, box, dest in ops:
                await step(layer, model, boxes, items[i], kind, box, dest)
                for n in model.alive:
                    stored = await layer.get_container_data(boxes[n].container_id)
                    assert stored is not None
                    assert sorted(x.item_instance_id for x in stored.items) == model.held(n)
                    assert len(stored.items) <= model.capacity[n]
            for item, where in model.place.items():
                assert await layer.item_instance_exists(item) == (where != "deleted")

    asyncio.run(scenario())


async def step(
    layer: AsyncPersistenceLayer,
    model: WorldModel,
    boxes: dict[int, object],
    item: str,
    kind: str,
    box: int,
    dest: int,
) -> None:
    where = model.place[item]
    container_id = boxes[box].container_id  # type: ignore[attr-defined]
    if kind == "delete":
        assert await layer.delete_container(container_id) == (box in model.alive)
        if box in model.alive:
            model.alive.discard(box)
            for held in model.held(box):
                model.place[held] = "deleted"  # type: ignore[assignment]
        return
    expected: type[Exception] | None
    if kind == "transfer" and box == dest:
        expected = ValidationError  # checked before anything is read
    elif where == "deleted":
        expected = NotFoundError
    elif kind == "add":
        full = len(model.held(box)) >= model.capacity[box]
        expected = (
            NotFoundError
            if box not in model.alive
            else ConflictError
            if where is not None
            else CapacityError
            if full
            else None
        )
    elif kind == "remove":
        expected = (
            NotFoundError if box not in model.alive else ConflictError if where != box else None
        )
    else:
        full = len(model.held(dest)) >= model.capacity[dest]
        expected = (
            None
            if box == dest
            else NotFoundError
            if {box, dest} - model.alive
            else ConflictError  # not in the source: said before the target's capacity
            if where != box
            else CapacityError
            if full
            else None
        )
        if box == dest:
            expected = Exception  # same container: refused as bad input
    try:
        if kind == "add":
            await layer.add_item_to_container(container_id, item)
        elif kind == "remove":
            await layer.remove_item_from_container(container_id, item)
        else:
            await layer.transfer_item(
                item,
                from_container_id=container_id,
                to_container_id=boxes[dest].container_id,  # type: ignore[attr-defined]
            )
    except Exception as exc:
        assert expected is not None and isinstance(exc, expected), (kind, exc)
        return
    assert expected is None, (kind, item, box, dest, "succeeded but expected", expected)
    model.place[item] = {"add": box, "remove": None, "transfer": dest}[kind]
