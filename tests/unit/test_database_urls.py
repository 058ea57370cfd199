"""Database URLs as people have them: schemes, libpq options, several hosts, clear refusals."""

from __future__ import annotations

import pytest
from asyncpg.connect_utils import SessionAttribute

from mud_persistence.errors import ValidationError
from mud_persistence.settings import PersistenceSettings, load_settings, tortoise_config
from mud_persistence.urls import (
    SESSION_ATTRS,
    SSL_MODES,
    Address,
    DatabaseURLError,
    parse_database_url,
)

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://game:pw@db.example:6432/world",
        "postgres://game:pw@db.example:6432/world",
        "postgresql+asyncpg://game:pw@db.example:6432/world",
    ],
)
def test_every_postgres_scheme_names_the_same_server(url: str) -> None:
    parsed = parse_database_url(url)
    assert parsed.dialect == "postgres"
    assert parsed.addresses == (Address("db.example", 6432),)
    assert (parsed.user, parsed.password, parsed.database) == ("game", "pw", "world")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///game.db", "game.db"),
        ("sqlite+aiosqlite:///data/game.db", "data/game.db"),
        ("sqlite:////srv/mud/game.db", "/srv/mud/game.db"),
        ("sqlite+aiosqlite:////srv/mud/game.db", "/srv/mud/game.db"),
        ("sqlite://game.db", "game.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_follow_sqlalchemy_slashes(url: str, path: str) -> None:
    parsed = parse_database_url(url)
    assert (parsed.dialect, parsed.path) == ("sqlite", path)
    settings = PersistenceSettings(database_url=url)
    assert tortoise_config(settings)["connections"]["sqlite"]["credentials"]["file_path"] == path


def test_percent_encoded_credentials_are_decoded() -> None:
    parsed = parse_database_url("postgresql://game%40mud:p%2Fss%3Aw%40rd@db/world%20one")
    assert (parsed.user, parsed.password, parsed.database) == ("game@mud", "p/ss:w@rd", "world one")


@pytest.mark.parametrize("mode", SSL_MODES)
def test_every_sslmode_reaches_asyncpg(mode: str) -> None:
    url = f"postgresql://game@db/world?sslmode={mode}"
    assert _credentials(url)["tls_options"] == {"sslmode": mode}


def test_sqlalchemy_ssl_option_is_sslmode() -> None:
    assert _credentials("postgresql+asyncpg://game@db/world?ssl=require")["tls_options"] == {
        "sslmode": "require"
    }


def test_libpq_options_reach_asyncpg() -> None:
    credentials = _credentials(
        "postgresql://game@db/world?sslmode=verify-full&sslrootcert=/etc/ca+1.pem"
        "&sslcert=/etc/client.pem&sslkey=~/client.key&application_name=mud%20server"
        "&connect_timeout=7"
    )
    assert credentials["tls_options"] == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ca+1.pem",  # a "+" in a path stays a "+", as in libpq
        "sslcert": "/etc/client.pem",
        "sslkey": "~/client.key",
    }
    assert credentials["application_name"] == "mud server"


@pytest.mark.parametrize(("query", "seconds"), [("", 3.0), ("?connect_timeout=7", 7.0)])
def test_the_urls_connect_timeout_wins_over_the_setting(query: str, seconds: float) -> None:
    settings = PersistenceSettings(
        database_url=f"postgresql://game@db/world{query}", connect_timeout=3
    )
    credentials = tortoise_config(settings)["connections"]["postgres"]["credentials"]
    assert credentials["timeout"] == seconds


def test_session_attributes_are_asyncpgs() -> None:
    assert set(SESSION_ATTRS) == {attribute.value for attribute in SessionAttribute}


@pytest.mark.parametrize("attrs", SESSION_ATTRS)
def test_every_target_session_attrs_value_reaches_asyncpg(attrs: str) -> None:
    url = f"postgresql://game@h1:5432,h2:5433/world?target_session_attrs={attrs}"
    assert _credentials(url)["target_session_attrs"] == attrs


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://game@h1:5432,h2:5433/world",
        "postgresql://game@/world?host=h1:5432,h2:5433",
        "postgresql://game@/world?host=h1,h2&port=5432,5433",
        "postgres://game@h1,h2/world?port=5432,5433",
    ],
)
def test_multi_host_forms_list_every_server_and_want_a_writable_one(url: str) -> None:
    parsed = parse_database_url(url)
    assert parsed.addresses == (Address("h1", 5432), Address("h2", 5433))
    credentials = _credentials(url)
    assert credentials["addresses"] == [("h1", 5432), ("h2", 5433)]
    assert credentials["target_session_attrs"] == "read-write"
    assert (credentials["host"], credentials["port"]) == ("h1", 5432)


def test_one_port_applies_to_every_host() -> None:
    parsed = parse_database_url("postgresql://game@/world?host=h1,h2&port=6000")
    assert parsed.addresses == (Address("h1", 6000), Address("h2", 6000))


def test_one_host_keeps_asyncpgs_default_session_attrs() -> None:
    assert "target_session_attrs" not in _credentials("postgresql://game@h1/world")


def test_ipv6_and_unix_socket_hosts() -> None:
    parsed = parse_database_url("postgresql://game@[::1]:5433,[fe80::2]/world")
    assert parsed.addresses == (Address("::1", 5433), Address("fe80::2", 5432))
    assert parsed.describe().startswith("PostgreSQL database 'world' on [::1]:5433, [fe80::2]:5432")
    socket = parse_database_url("postgres://postgres@/postgres?host=/run/postgresql")
    assert socket.addresses == (Address("/run/postgresql", 5432),)
    assert "/run/postgresql/.s.PGSQL.5432" in socket.describe()


def test_description_of_several_hosts_is_readable_and_has_no_password() -> None:
    settings = PersistenceSettings(
        database_url="postgres://game:hunter2@127.0.0.1:55433,127.0.0.1:55432/world"
    )
    assert settings.describe_database() == (
        "PostgreSQL database 'world' on 127.0.0.1:55433, 127.0.0.1:55432 "
        "(wanting a read-write server)"
    )
    assert settings.scrub("auth failed for hunter2 (hunter2)") == "auth failed for *** (***)"


def test_scrub_hides_the_percent_encoded_password_too() -> None:
    settings = PersistenceSettings(database_url="postgres://game:p%40ss@db/world")
    assert settings.scrub("dsn postgres://game:p%40ss@db, password p@ss") == (
        "dsn postgres://game:***@db, password ***"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "must start with postgresql://"),
        ("mysql://game:s3cretPW@db/world", "must start with postgresql://"),
        ("postgres://game:s3cretPW@db/world?sslMode=require", "unknown option 'sslMode'"),
        ("postgres://game:s3cretPW@db/world?pool=5", "unknown option 'pool'"),
        ("postgres://game:s3cretPW@db/world?sslmode=always", "sslmode 'always' is not one of"),
        (
            "postgres://game:s3cretPW@a,b/world?target_session_attrs=writable",
            "target_session_attrs 'writable' is not one of",
        ),
        ("postgres://game:s3cretPW@db/world?connect_timeout=soon", "connect_timeout 'soon'"),
        ("postgres://game:s3cretPW@db:abc/world", "port of host 'db' is not a number"),
        ("postgres://game:s3cretPW@db:70000/world", "port of host 'db' is not a number"),
        ("postgres://game:s3cretPW@h1,h2/world?port=1,2,3", "2 host(s) but 3 ports"),
        ("postgres://game:s3cretPW@h1,,h2/world", "host 2 in the database URL's host list"),
        ("postgres://game:s3cretPW@h1/world?host=h2", "lists its hosts twice"),
        ("postgres://game:s3cretPW@h1:5432/world?port=5433", "port both in the host list"),
        ("postgres://game:s3cretPW@db/world?sslmode=require&sslmode=disable", "given twice"),
        ("postgres://game:s3cretPW@db/world?sslrootcert=", "'sslrootcert' in the database URL is"),
        ("sqlite:///game.db?mode=ro", "unknown option(s) 'mode' in the SQLite URL"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_urls_are_refused_with_a_reason_and_without_the_password(
    url: str, message: str
) -> None:
    with pytest.raises(DatabaseURLError) as parsing:
        parse_database_url(url)
    assert message in str(parsing.value)
    with pytest.raises(ValidationError) as loading:
        load_settings(database_url=url)
    assert loading.value.field == "database_url"
    assert message in str(loading.value)
    assert "s3cretPW" not in str(loading.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgres://game:se/cret@db/world",  # "/" in the password, not encoded
        "postgres://game:se?cret@db/world",  # "?" in the password, not encoded
        "postgres://game:secret/db",  # no "@": "secret" would look like a port
    ],
)
def test_a_password_with_unencoded_characters_is_never_repeated(url: str) -> None:
    with pytest.raises(DatabaseURLError) as caught:
        parse_database_url(url)
    assert "cret" not in str(caught.value)


def test_missing_certificate_files_are_named_when_connecting_not_when_parsing() -> None:
    settings = PersistenceSettings(
        database_url="postgresql://game@db/world?sslmode=verify-ca&sslrootcert=/nowhere/ca.pem"
    )
    with pytest.raises(DatabaseURLError, match=r"sslrootcert: no file at /nowhere/ca\.pem"):
        tortoise_config(settings)


def test_mud_persistence_database_url_wins_over_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://game@old-db/world")
    monkeypatch.setenv("MUD_PERSISTENCE_DATABASE_URL", "postgresql://game@new-db/world")
    assert PersistenceSettings().parsed_database_url.addresses == (Address("new-db", 5432),)


def test_database_url_is_read_as_the_game_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # the game's own settings read DATABASE_URL case-insensitively, with its SQLAlchemy scheme
    monkeypatch.setenv("database_url", "postgresql+asyncpg://game:pw@db:5432/mythos_dev")
    settings = PersistenceSettings()
    assert settings.describe_database() == "PostgreSQL database 'mythos_dev' on db:5432"


def test_whitespace_around_the_url_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", " postgresql://game@db/world\n")
    assert PersistenceSettings().database_url == "postgresql://game@db/world"


def _credentials(url: str) -> dict[str, object]:
    return parse_database_url(url).asyncpg_credentials()
