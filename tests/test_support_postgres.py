"""The test PostgreSQL server: starts from the system's binaries on 127.0.0.1, answers through
SQLAlchemy's asyncpg driver, hands out fresh databases, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import postgres
from tests.support.postgres import (
    NOT_INSTALLED,
    PostgresError,
    PostgresNotInstalled,
    PostgresServer,
)

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with PostgresServer() as pg:
        yield pg


async def scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()


async def test_answers_select_1_through_sqlalchemy_and_asyncpg(server: PostgresServer) -> None:
    assert server.url == f"postgresql+asyncpg://postgres@127.0.0.1:{server.port}/sdbot_test"
    assert await scalar(server.url, "select 1") == 1
    assert await scalar(server.url, "select current_database()") == "sdbot_test"


async def test_listens_on_loopback_only_with_its_socket_in_its_own_directory(server: PostgresServer) -> None:
    assert await scalar(server.url, "show listen_addresses") == "127.0.0.1"
    assert await scalar(server.url, "show unix_socket_directories") == str(server.dir)
    assert await scalar(server.url, "show fsync") == "off"
    assert await scalar(server.url, "show synchronous_commit") == "off"
    assert await scalar(server.url, "show full_page_writes") == "off"


async def test_make_database_gives_a_fresh_empty_database(server: PostgresServer) -> None:
    first = server.make_database(f"t_{uuid.uuid4().hex[:10]}")
    second = server.make_database(f"t_{uuid.uuid4().hex[:10]}")
    engine = create_async_engine(first)
    async with engine.begin() as connection:
        await connection.execute(text("create table marker (n int)"))
    await engine.dispose()
    query = "select count(*) from information_schema.tables where table_name = 'marker'"
    assert (await scalar(first, query), await scalar(second, query)) == (1, 0)
    with pytest.raises(ValueError):
        server.make_database('x"; drop database sdbot_test; --')
    with pytest.raises(PostgresError, match="already exists"):
        server.make_database(first.rsplit("/", 1)[1])
    server.drop_database(second.rsplit("/", 1)[1])
    with pytest.raises(Exception, match="does not exist"):
        await scalar(second, "select 1")


def test_stop_kills_the_server_and_removes_its_directory() -> None:
    pg = PostgresServer().start()
    folder, port = pg.dir, pg.port
    assert folder.is_dir() and pg.running
    pg.stop()
    assert not folder.exists() and not pg.running
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
    pg.stop()  # stopping twice is harmless
    with pytest.raises(PostgresError, match="make a new PostgresServer"):
        pg.start()


def test_missing_binaries_raise_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SDBOT_PG_BINDIR", raising=False)
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(PostgresNotInstalled) as raised:
        PostgresServer()
    assert str(raised.value) == NOT_INSTALLED == "PostgreSQL not installed: run scripts/ensure-postgres.sh (make test does)"
    monkeypatch.setenv("SDBOT_PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresNotInstalled, match="ensure-postgres.sh"):
        PostgresServer()


def test_the_newest_version_is_preferred() -> None:
    dirs = ["/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/13/bin"]
    assert max(dirs, key=postgres._version_key) == "/usr/lib/postgresql/15/bin"


def test_the_command_line_prints_a_url_and_cleans_up_on_ctrl_c() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.support.postgres"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("postgresql+asyncpg://postgres@127.0.0.1:") and url.endswith("/sdbot_test")
        folder = process.stderr.readline().split("data in ", 1)[1].split(";", 1)[0]
        assert Path(folder).is_dir()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert not Path(folder).exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ensure_postgres_is_quiet_when_installed() -> None:
    result = subprocess.run(["bash", str(ROOT / "scripts/ensure-postgres.sh")], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_ensure_postgres_fails_clearly_when_it_cannot_install(tmp_path: Path) -> None:
    stub = tmp_path / "apt-get"  # no network: the mirror cannot be reached
    stub.write_text("#!/bin/sh\necho 'E: Could not resolve deb.debian.org' >&2\nexit 100\n")
    stub.chmod(0o755)
    env = {**os.environ, "SDBOT_PG_GLOB": str(tmp_path / "none/*/bin/postgres"), "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(ROOT / "scripts/ensure-postgres.sh")], capture_output=True, text=True,
                            timeout=60, env=env)  # fmt: skip
    assert result.returncode == 1
    assert "ensure-postgres:" in result.stderr
    assert "apt-get update failed" in result.stderr or "needs root" in result.stderr
