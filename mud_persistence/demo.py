"""A scripted game session that exercises the layer under concurrency and checks its promises."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mud_persistence.errors import CapacityError, ConflictError
from mud_persistence.events import PlayerDPUpdated, PlayerXPAwarded, RecordingBus
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.schemas.container import ContainerData

HITS, HEALS, AWARDS, XP_PER_AWARD, LOOT = 400, 100, 300, 5, 12


@dataclass
class Report:
    say: Callable[[str], None]
    operations: Counter[str] = field(default_factory=Counter)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    players: list[Player] = field(default_factory=list)
    containers: list[ContainerData] = field(default_factory=list)

    async def run(self, kind: str, calls: Sequence[Awaitable[Any]]) -> list[Any]:
        results = await asyncio.gather(*calls, return_exceptions=True)
        self.operations[kind] += len(calls)
        return results

    def check(self, invariant: str, holds: bool) -> None:
        self.checks.append((invariant, holds))
        self.say(f"  {'ok ' if holds else 'FAILED'} {invariant}")

    @property
    def all_hold(self) -> bool:
        return all(holds for _, holds in self.checks)


async def run_demo(url: str | None, say: Callable[[str], None] = print) -> bool:
    """Play the session on the database at ``url``; return whether every invariant held."""
    bus = RecordingBus()
    layer = AsyncPersistenceLayer(url, event_bus=bus)
    report = Report(say)
    started = time.perf_counter()
    say(f"Connecting to the {layer.settings.describe_database()} (migrating if needed) ...")
    await layer.connect(migrate=True)
    try:
        await play(layer, bus, report)
    finally:
        try:
            await clean_up(layer, report)
        finally:
            await layer.close()
    summarize(report, time.perf_counter() - started)
    return report.all_hold


async def play(layer: AsyncPersistenceLayer, bus: RecordingBus, report: Report) -> None:
    run = uuid.uuid4().hex[:6]
    say = report.say
    say("Seeding the world ...")
    professions = await layer.seed_professions()
    prototypes = await layer.seed_item_prototypes()
    rooms = len(await layer.async_list_rooms())
    say(f"  {professions} professions, {prototypes} item prototypes, {rooms} rooms")

    say("Creating 8 investigators ...")
    party = report.players  # each one is deleted at the end, even if the run fails midway
    for n in range(8):
        party.append(
            await layer.create_player(
                name=f"Investigator {run}-{n}",
                user_id=uuid.uuid4(),
                stats={"max_dp": 120, "current_dp": 120, "cold_resistance": 25},
            )
        )
    report.operations["create_player"] += len(party)

    await combat_round(layer, bus, report, party)
    await experience(layer, bus, report, party)
    corpse = await death_and_looting(layer, report, party, run)
    await decay_sweep(layer, report, corpse)


async def combat_round(
    layer: AsyncPersistenceLayer, bus: RecordingBus, report: Report, party: list[Player]
) -> None:
    report.say(f"Combat: {HITS} concurrent hits and {HEALS} heals on the party ...")
    start = {p.player_uuid: p.current_dp for p in party}
    calls: list[Awaitable[int]] = []
    for _ in range(HITS):
        kind = random.choice(["claw", "cold"])
        calls.append(layer.damage_player(random.choice(party), random.randint(1, 4), kind))
    for _ in range(HEALS):
        calls.append(layer.heal_player(random.choice(party), random.randint(1, 3)))
    random.shuffle(calls)
    results = await report.run("damage_player / heal_player", calls)
    stored = await layer.get_players_batch([p.player_id for p in party])
    events = bus.of(PlayerDPUpdated)
    deltas = Counter[uuid.UUID]()
    for event in events:
        deltas[event.player_id] += event.delta
    report.check(
        "no lost updates: each player's DP moved by exactly the sum of its events",
        all(stored[pid].current_dp == start[pid] + deltas[pid] for pid in start),
    )
    report.check(
        f"every hit and heal succeeded and was announced once ({len(events)} events)",
        not any(isinstance(r, BaseException) for r in results) and len(events) == len(calls),
    )
    floor, maximum = layer.settings.dp_floor, {p.player_uuid: p.effective_max_dp for p in party}
    report.check(
        f"DP never left [{floor}, max] (every event checked)",
        all(floor <= e.new_dp <= maximum[e.player_id] for e in events),
    )


async def experience(
    layer: AsyncPersistenceLayer, bus: RecordingBus, report: Report, party: list[Player]
) -> None:
    report.say(f"Experience: {AWARDS} concurrent awards of {XP_PER_AWARD} XP ...")
    await report.run(
        "gain_experience",
        [
            layer.gain_experience(random.choice(party), XP_PER_AWARD, "shoggoth")
            for _ in range(AWARDS)
        ],
    )
    stored = await layer.get_players_batch([p.player_id for p in party])
    total = sum(p.experience_points for p in stored.values())
    report.check(
        f"XP conserved: {total} == {AWARDS} x {XP_PER_AWARD}", total == AWARDS * XP_PER_AWARD
    )
    per_level = layer.settings.xp_per_level
    if per_level is None:
        report.check(
            "levels untouched (the game owns them; set xp_per_level for a curve)",
            all(p.level == 1 for p in stored.values()),
        )
    else:
        report.check(
            f"every level matches its XP (xp // {per_level} + 1)",
            all(p.level == p.experience_points // per_level + 1 for p in stored.values()),
        )
    awarded = len(bus.of(PlayerXPAwarded))
    report.check(f"{awarded} XP events for {AWARDS} awards", awarded == AWARDS)


async def death_and_looting(
    layer: AsyncPersistenceLayer, report: Report, party: list[Player], run: str
) -> Any:
    victim, looters = party[0], party[1:]
    report.say(f"{victim.name} falls; {len(looters)} investigators loot the corpse at once ...")
    await layer.damage_player(victim, 10_000)
    corpse = await layer.create_container_data(
        "corpse",
        room_id=victim.current_room_id,
        decay_at=datetime.now(UTC) + timedelta(minutes=10),
        metadata={"corpse_of": victim.name},
        items=[{"item_id": kind} for kind in random.choices(LOOT_TABLE, k=LOOT)],
    )
    report.containers.append(corpse)
    packs = [
        await layer.create_container_data("equipment", entity_id=p.player_id, capacity_slots=1)
        for p in looters
    ]
    report.containers += packs
    item_ids = [item.item_instance_id for item in corpse.items]

    async def loot(pack: Any) -> int:
        taken = 0
        for item_id in random.sample(item_ids, len(item_ids)):
            try:
                await layer.transfer_item(
                    item_id,
                    from_container_id=corpse.container_id,
                    to_container_id=pack.container_id,
                )
                taken += 1
            except (ConflictError, CapacityError):
                continue
        return taken

    await asyncio.gather(*(loot(pack) for pack in packs))
    report.operations["transfer_item"] += len(packs) * len(item_ids)
    containers = [await layer.get_container_data(c.container_id) for c in [corpse, *packs]]
    held = Counter(item.item_instance_id for c in containers if c for item in c.items)
    report.check(
        "no duplicated items: each item is in exactly one container", set(held.values()) == {1}
    )
    report.check(
        f"items conserved: {sum(held.values())} of {LOOT}", sorted(held) == sorted(item_ids)
    )
    report.check(
        "no container over capacity",
        all(c is not None and len(c.items) <= c.capacity_slots for c in containers),
    )
    return containers[0]


async def decay_sweep(layer: AsyncPersistenceLayer, report: Report, corpse: Any) -> None:
    report.say("Decay sweep, an hour later ...")
    later = datetime.now(UTC) + timedelta(hours=1)
    decayed = [
        c
        for c in await layer.get_decayed_container_data(later)
        if c.container_id == corpse.container_id
    ]
    for container in decayed:
        await layer.delete_container(container.container_id)
    report.operations["delete_container"] += len(decayed)
    leftovers = [item.item_instance_id for item in corpse.items]
    orphans = [i for i in leftovers if await layer.item_instance_exists(i)]
    gone = await layer.get_container_data(corpse.container_id) is None
    report.check(
        f"the decayed corpse and its {len(leftovers)} unlooted items are gone (no orphans)",
        bool(decayed) and gone and not orphans,
    )


LOOT_TABLE = [
    "weapon.knife.rusted",
    "light.lantern.brass",
    "consumable.laudanum",
    "consumable.bandage",
    "misc.coin.silver",
    "book.necronomicon.fragment",
]


async def clean_up(layer: AsyncPersistenceLayer, report: Report) -> None:
    """Delete what the run created, so a demo against a real database leaves nothing behind."""
    for container in report.containers:
        await layer.delete_container(container.container_id)  # and the items in it
    for player in report.players:
        await layer.delete_player(player.player_id)
    report.say(
        f"Cleaned up: deleted the {len(report.players)} investigators and "
        f"{len(report.containers)} containers (with their items) this run created; the "
        "seeded professions and item prototypes stay."
    )


def summarize(report: Report, seconds: float) -> None:
    say = report.say
    say("")
    say("Summary")
    width = max(len(kind) for kind in report.operations)
    for kind, count in report.operations.items():
        say(f"  {kind:<{width}}  {count:>5}")
    say(
        f"  {'total operations':<{width}}  {sum(report.operations.values()):>5}  in {seconds:.1f} s"
    )
    held = sum(holds for _, holds in report.checks)
    say(f"  invariants verified: {held} of {len(report.checks)}")
