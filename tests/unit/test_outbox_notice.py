"""The NOTIFY payload the outbox relay sends: its writer and the kinds of the rows it
announces, as a LISTENing process reads them back."""

from __future__ import annotations

import socket

import pytest

from mud_persistence.database import Database
from mud_persistence.events import RecordingBus
from mud_persistence.outbox import Outbox
from mud_persistence.repositories.outbox import notice, notice_payload
from mud_persistence.settings import PersistenceSettings


def test_a_payload_reads_back_as_its_writer_and_kinds() -> None:
    payload = notice_payload("host:12:ab", {"rooms_saved", "dp"})

    assert notice(payload) == ("host:12:ab", frozenset({"rooms_saved", "dp"}))


@pytest.mark.parametrize(
    ("payload", "read"),
    [
        ("", (None, None)),  # a version before NOTIFYs named their writer
        ("host:12:ab", ("host:12:ab", None)),  # a version before they named kinds
        (notice_payload("host:12:ab", None), ("host:12:ab", None)),  # a take-over: any kind
        ("host:12:ab  dp ", ("host:12:ab", frozenset({"dp"}))),
    ],
)
def test_what_a_payload_does_not_say_reads_as_none(
    payload: str, read: tuple[str | None, frozenset[str] | None]
) -> None:
    assert notice(payload) == read


def test_a_host_name_with_spaces_gives_an_origin_without_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "game host 2")
    settings = PersistenceSettings()
    outbox = Outbox(settings, RecordingBus(), Database(settings))

    assert outbox.origin.startswith("game-host-2:")
    assert notice(notice_payload(outbox.origin, {"dp"})) == (outbox.origin, frozenset({"dp"}))
