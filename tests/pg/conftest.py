"""A real PostgreSQL server for the whole run (never a mock), and a fresh database per test.

The server is initdb'd into a temporary folder, started on a free loopback port as the ``postgres``
system user (CI runs as root; PostgreSQL refuses root), and removed at the end of the session.
Tests skip, with the reason, only when the PostgreSQL binaries are not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.pgserver import PgServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    why = PgServer.unavailable()
    if why:
        pytest.skip(why)
    server = PgServer().start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_db(pg_server: PgServer) -> Iterator[str]:
    """The name of an empty database of its own (advisory lock -1 is per database: tests stay apart)."""
    name = pg_server.create_database()
    try:
        yield name
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_server: PgServer, pg_db: str) -> str:
    return pg_server.url(pg_db)
