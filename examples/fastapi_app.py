"""A FastAPI game service using mud-persistence: one layer per process, opened by the lifespan.

Run it with ``DATABASE_URL=postgres://... uvicorn examples.fastapi_app:app``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from mud_persistence import AsyncPersistenceLayer, ConflictError, NotFoundError, ValidationError


class NewPlayer(BaseModel):
    name: str
    user_id: uuid.UUID


class Hit(BaseModel):
    amount: int
    damage_type: str = "physical"


def create_app(database_url: str | None = None) -> FastAPI:
    """The game service, on ``database_url`` (default: the DATABASE_URL variable)."""
    persistence = AsyncPersistenceLayer(database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await persistence.connect()  # fails fast if the database is down or not migrated
        yield
        await persistence.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/players", status_code=201)
    async def create_player(body: NewPlayer) -> dict[str, object]:
        try:
            player = await persistence.create_player(name=body.name, user_id=body.user_id)
        except ValidationError as exc:
            raise HTTPException(422, str(exc)) from exc
        except ConflictError as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"player_id": str(player.player_id), "name": player.name, **player.get_stats()}

    @app.get("/players/{player_id}")
    async def get_player(player_id: uuid.UUID) -> dict[str, object]:
        player = await persistence.get_player_by_id(player_id)
        if player is None:
            raise HTTPException(404, f"no player {player_id}")
        return {"player_id": str(player.player_id), "name": player.name, **player.get_stats()}

    @app.post("/players/{player_id}/hits")
    async def hit_player(player_id: uuid.UUID, body: Hit) -> dict[str, int]:
        player = await persistence.get_player_by_id(player_id)
        if player is None:
            raise HTTPException(404, f"no player {player_id}")
        try:
            current_dp = await persistence.damage_player(player, body.amount, body.damage_type)
        except ValidationError as exc:
            raise HTTPException(422, str(exc)) from exc
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        return {"current_dp": current_dp}

    return app


app = create_app()
