"""pytest fixtures shared by the engine's and the plugins' tests.

``pg_dsn``: a PostgreSQL DSN for the session (``DATABASE_URL`` if set, else a throwaway server).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from codeflash_engine.testing.postgres import PostgresUnavailable, ThrowawayPostgres, throwaway_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ThrowawayPostgres]:
    """A throwaway PostgreSQL server owned by the test session (can be stopped and restarted)."""
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:  # pragma: no cover - the test command installs the binaries
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def pg_dsn(request: pytest.FixtureRequest) -> str:
    """DSN of a real PostgreSQL: ``DATABASE_URL`` if set, else the session's throwaway server."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    return server.dsn
