"""Contender 3: the same operations with the SQLAlchemy 2 async ORM, written the way its
documentation suggests: what a developer would pick instead of this layer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from mud_persistence.models.limits import COUNTER_MAX, MAX_EXPERIENCE
from mud_persistence.settings import PersistenceSettings

DP_FLOOR = PersistenceSettings().dp_floor  # as the facade: damage stops at -10 by default


class Base(DeclarativeBase):
    pass


class Player(Base):
    """Every column of the players table, as the facade loads them all."""

    __tablename__ = "players"
    player_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    name: Mapped[str]
    current_room_id: Mapped[str]
    respawn_room_id: Mapped[str | None]
    profession_id: Mapped[int | None]
    experience_points: Mapped[int]
    level: Mapped[int]
    strength: Mapped[int]
    dexterity: Mapped[int]
    constitution: Mapped[int]
    size: Mapped[int]
    intelligence: Mapped[int]
    power: Mapped[int]
    education: Mapped[int]
    charisma: Mapped[int]
    luck: Mapped[int]
    wisdom: Mapped[int]
    current_dp: Mapped[int]
    max_dp: Mapped[int | None]
    magic_points: Mapped[int]
    max_magic_points: Mapped[int | None]
    lucidity: Mapped[int]
    max_lucidity: Mapped[int | None]
    mp_fractional: Mapped[float | None]
    occult: Mapped[int]
    occult_knowledge: Mapped[int]
    corruption: Mapped[int]
    fear: Mapped[int]
    cult_affiliation: Mapped[int]
    cold_resistance: Mapped[int]
    position: Mapped[str]
    inventory: Mapped[Any] = mapped_column(JSONB)
    equipped: Mapped[Any] = mapped_column(JSONB)
    status_effects: Mapped[Any] = mapped_column(JSONB)
    is_admin: Mapped[bool]
    is_deleted: Mapped[bool]
    deleted_at: Mapped[datetime | None]
    tutorial_instance_id: Mapped[str | None]
    created_at: Mapped[datetime]
    last_active: Mapped[datetime]


class Prototype(Base):
    __tablename__ = "item_prototypes"
    prototype_id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]


class Instance(Base):
    __tablename__ = "item_instances"
    item_instance_id: Mapped[str] = mapped_column(primary_key=True)
    prototype_id: Mapped[str] = mapped_column(ForeignKey("item_prototypes.prototype_id"))
    owner_type: Mapped[str]
    owner_id: Mapped[str | None]
    quantity: Mapped[int]
    prototype: Mapped[Prototype] = relationship(lazy="joined")


class Content(Base):
    __tablename__ = "container_contents"
    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("containers.container_id"))
    item_instance_id: Mapped[str] = mapped_column(ForeignKey("item_instances.item_instance_id"))
    position: Mapped[int]
    instance: Mapped[Instance] = relationship(lazy="joined")


class Container(Base):
    __tablename__ = "containers"
    container_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    room_id: Mapped[str | None]
    capacity_slots: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    contents: Mapped[list[Content]] = relationship(order_by=Content.position)


def _max_dp() -> Any:
    return func.coalesce(Player.max_dp, func.greatest(20, (Player.constitution + Player.size) // 5))


class SqlAlchemyContender:
    name = "sqlalchemy"

    def __init__(self, url: str, pool_size: int) -> None:
        self.engine = create_async_engine(
            url.replace("postgres://", "postgresql+asyncpg://", 1),
            pool_size=pool_size,
            max_overflow=0,
        )
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads need no transaction: on an autocommit connection the driver sends no BEGIN
        # and COMMIT around them (the facade's reads send none either).
        self.read_session = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.engine.dispose()

    async def get_player_by_id(self, player_id: uuid.UUID) -> Any:
        async with self.read_session() as session:
            return await session.get(Player, player_id)

    async def get_player_by_name(self, name: str) -> Any:
        async with self.read_session() as session:
            query = select(Player).where(
                func.lower(Player.name) == func.lower(name), Player.is_deleted.is_(False)
            )
            return (await session.scalars(query.limit(1))).first()

    async def damage_player(self, player_id: uuid.UUID) -> Any:
        return await self._change_dp(player_id, -1)

    async def heal_player(self, player_id: uuid.UUID) -> Any:
        return await self._change_dp(player_id, +1)

    async def _change_dp(self, player_id: uuid.UUID, delta: int) -> Any:
        async with self.session() as session, session.begin():
            old = await session.scalar(
                select(Player.current_dp).where(Player.player_id == player_id).with_for_update()
            )
            new = await session.scalar(
                update(Player)
                .where(Player.player_id == player_id)
                .values(
                    current_dp=func.greatest(
                        DP_FLOOR, func.least(_max_dp(), Player.current_dp + delta)
                    )
                )
                .returning(Player.current_dp)
            )
            return old, new

    async def update_player_stat_field(self, player_id: uuid.UUID) -> Any:
        async with self.session() as session, session.begin():
            old = await session.scalar(
                select(Player.magic_points).where(Player.player_id == player_id).with_for_update()
            )
            new = await session.scalar(
                update(Player)
                .where(Player.player_id == player_id)
                .values(
                    magic_points=func.greatest(0, func.least(Player.magic_points + 1, COUNTER_MAX))
                )
                .returning(Player.magic_points)
            )
            return old, new

    async def gain_experience(self, player_id: uuid.UUID) -> Any:
        async with self.session() as session, session.begin():
            old = (
                await session.execute(
                    select(Player.experience_points, Player.level)
                    .where(Player.player_id == player_id)
                    .with_for_update()
                )
            ).one()
            new = (
                await session.execute(
                    update(Player)
                    .where(Player.player_id == player_id)
                    .values(
                        experience_points=func.greatest(
                            0, func.least(Player.experience_points + 1, MAX_EXPERIENCE)
                        )
                    )
                    .returning(Player.experience_points, Player.level)
                )
            ).one()
            return old, new

    async def save_player(self, player_id: uuid.UUID, old_room: str, new_room: str) -> None:
        async with self.session() as session, session.begin():
            result = await session.execute(
                update(Player)
                .where(Player.player_id == player_id, Player.current_room_id == old_room)
                .values(current_room_id=new_room)
            )
            assert result.rowcount == 1  # type: ignore[attr-defined]

    async def get_containers_by_room_id(self, room_id: str) -> Any:
        async with self.read_session() as session:
            query = (
                select(Container)
                .where(Container.room_id == room_id)
                .order_by(Container.created_at)
                .options(selectinload(Container.contents))
            )
            return list(await session.scalars(query))

    async def transfer_item(self, item_id: str, source: uuid.UUID, target: uuid.UUID) -> Any:
        async with self.session() as session, session.begin():
            locked = await session.scalars(
                select(Container)
                .where(Container.container_id.in_([source, target]))
                .order_by(Container.container_id)
                .with_for_update()
            )
            capacity = {c.container_id: c.capacity_slots for c in locked}
            slot = await session.scalar(
                select(Content).where(
                    Content.container_id == source, Content.item_instance_id == item_id
                )
            )
            if slot is None:
                raise LookupError(item_id)
            taken = set(
                await session.scalars(
                    select(Content.position).where(Content.container_id == target)
                )
            )
            if len(taken) >= capacity[target]:
                raise OverflowError(target)
            slot.container_id = target
            slot.position = min(set(range(capacity[target])) - taken)
            slot.instance.owner_type = "container"
            slot.instance.owner_id = str(target)
            await session.execute(
                update(Container)
                .where(Container.container_id.in_([source, target]))
                .values(updated_at=func.now())
            )
