"""End-to-end: `trustpath serve` (gunicorn, 2 workers) over real HTTP, on PostgreSQL.

server    one gunicorn for the module, on a fresh database of the session's PostgreSQL,
          with the demo engagement played and one token per role
          (tests/support/served.py: `running_server`, `Server.call`)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.served import Server, running_server


@pytest.fixture(scope="module")
def server(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(pg_server_url, tmp_path_factory.mktemp("e2e")) as found:
        yield found
