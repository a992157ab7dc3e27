"""Engine, sessions and migrations. SQLite by default; PostgreSQL for more than one instance."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import storage.audit  # noqa: F401  (session events: the audit chain is written at commit)
import storage.links  # noqa: F401  (session events: rows are linked to the case they serve)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How long a SQLite write waits for another writer. The worker, the scheduler and the web
# handler write concurrently, so some waiting is right; but Teams gives up on a request after
# about 15 s (and an invoke after 5 s), so a stuck lock must fail fast and answer 503.
SQLITE_BUSY_SECONDS = 5.0
# The /healthz write probe waits much less: a health check must answer quickly.
PROBE_BUSY_MS = 500


class DatabaseUnavailable(Exception):
    """The database cannot be reached or written now (down, locked, read-only, refused)."""


# SQLSTATEs that mean "cannot write now" rather than a bug: connection exceptions, read-only,
# no privilege, lock or statement timeouts, the server shutting down, too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "25006", "42501", "55P03", "57014", "57P01", "57P02", "57P03", "53300")


def is_unavailable(error: BaseException) -> bool:
    """Whether an exception means the database is down, locked or refusing writes."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        code = getattr(error.orig, "sqlstate", None) or getattr(getattr(error.orig, "__cause__", None), "sqlstate", None)
        return isinstance(code, str) and code.startswith(_UNAVAILABLE_SQLSTATES)
    return False


def _private_sqlite_file(database: str) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does. SQLite gives its -wal and
    -shm files the database file's permissions, so they are private too, whatever the umask."""
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    # A database an earlier version left readable by others is tightened too.
    for existing in (path, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            if existing.stat().st_mode & 0o077:
                existing.chmod(0o600)
        except FileNotFoundError:
            pass
        except PermissionError:  # not ours to change: leave it as the owner set it
            pass


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    # Parameters hold what people typed (reasons, information): never put them in error
    # messages, which end up in logs.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_sqlite_file(database)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    else:
        kwargs["pool_pre_ping"] = True
        # A server that does not answer must not hold a request for minutes.
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS, "command_timeout": 10}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
            cursor.close()

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLite lets one transaction write at a time; the others wait in its busy handler, which
# sleeps in steps of up to 100 ms (and a reader upgrading to a writer can fail outright).
# Taking turns in the process instead keeps a press's wait to the work ahead of it.
_sqlite_writers: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _writer_lock(factory: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return None
    lock = _sqlite_writers.get(bind.sync_engine)
    if lock is None:
        lock = _sqlite_writers[bind.sync_engine] = asyncio.Lock()
    return lock


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: state changes and the outbox rows they cause commit together.
    On SQLite, units of work of this process take turns (see `_writer_lock`); never open one
    inside another."""
    lock = _writer_lock(factory)
    if lock is None:
        async with factory() as session, session.begin():
            yield session
        return
    async with lock, factory() as session, session.begin():
        yield session


async def write_probe(engine: AsyncEngine) -> None:
    """Can the database take a write now? Starts a write transaction and rolls it back, waiting
    at most about half a second for locks. Raises DatabaseUnavailable when it cannot."""
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                await conn.exec_driver_sql(f"PRAGMA busy_timeout={PROBE_BUSY_MS}")
                try:
                    # An UPDATE takes SQLite's write lock even when it matches no row.
                    await conn.execute(text("UPDATE processed_activities SET at = at WHERE 1 = 0"))
                finally:
                    await conn.rollback()
                    await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
            else:
                try:
                    await conn.execute(text("SET LOCAL lock_timeout = '500ms'"))
                    await conn.execute(text("SET LOCAL statement_timeout = '2s'"))
                    # Refused on a read-only server or without the privilege, even with no row.
                    await conn.execute(text("UPDATE processed_activities SET at = at WHERE false"))
                finally:
                    await conn.rollback()
    except DatabaseUnavailable:
        raise
    except Exception as e:
        raise DatabaseUnavailable(type(e).__name__) from e


def mark_touched(session: AsyncSession, discussion_id: str | None) -> None:
    """Note that this unit of work changed (or messaged about) a discussion: after it commits,
    the scheduler looks at that discussion only, instead of a full pass."""
    if discussion_id:
        session.info.setdefault("touched_discussions", set()).add(discussion_id)


def touched_discussions(session: AsyncSession) -> frozenset[str]:
    return frozenset(session.info.get("touched_discussions", ()))


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate_sync(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


async def migrate(url: str, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop for the async engine: keep it off ours.
    await asyncio.to_thread(migrate_sync, url, revision)


async def compact(engine: AsyncEngine) -> str | None:
    """After deleting confidential rows: on SQLite rewrite the file (VACUUM) and empty the
    write-ahead log, so the deleted text is gone from the disk, not only from the tables.
    Returns a warning when that could not be completed (another process was reading)."""
    if engine.dialect.name != "sqlite":
        return None  # PostgreSQL: autovacuum reclaims dead rows; they are invisible to queries
    async with engine.connect() as connection:
        auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await auto.exec_driver_sql("VACUUM")
        for _ in range(20):  # a reader (the running bot polls) can hold the log for a moment
            busy = (await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()[0]  # (busy, log, checkpointed)
            if not busy:
                break
            await asyncio.sleep(0.25)
    if busy:
        return "the write-ahead log could not be emptied while another process reads the database; run `sdbot purge` again when it is idle"
    return None
