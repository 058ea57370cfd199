"""The README's FastAPI example runs against a real database."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from examples.fastapi_app import create_app


def test_the_fastapi_example_creates_hits_and_reads_a_player(
    mud_persistence_database_url: str,
) -> None:
    with TestClient(create_app(mud_persistence_database_url)) as client:
        created = client.post("/players", json={"name": "Carter", "user_id": str(uuid.uuid4())})
        assert created.status_code == 201, created.text
        player_id = created.json()["player_id"]

        hits = [client.post(f"/players/{player_id}/hits", json={"amount": 3}) for _ in range(4)]
        assert [hit.json()["current_dp"] for hit in hits] == [17, 14, 11, 8]
        assert client.get(f"/players/{player_id}").json()["current_dp"] == 8

        assert client.post(f"/players/{player_id}/hits", json={"amount": -1}).status_code == 422
        duplicate = client.post("/players", json={"name": "CARTER", "user_id": str(uuid.uuid4())})
        assert duplicate.status_code == 409
        assert client.get(f"/players/{uuid.uuid4()}").status_code == 404
