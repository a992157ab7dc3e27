"""A real PostgreSQL server for the tests: a throwaway cluster in a temporary directory,
listening on 127.0.0.1 on a free port, tuned for speed (no fsync), removed when stopped.

    with PostgresServer() as pg:
        pg.url                      # postgresql+asyncpg://postgres@127.0.0.1:PORT/sdbot_test
        pg.make_database("t_1")     # a fresh, empty database; returns its URL

The binaries come from Debian's packages (/usr/lib/postgresql/<version>/bin, newest version;
`SDBOT_PG_BINDIR` overrides); `scripts/ensure-postgres.sh` installs them. As root the cluster
runs as the `postgres` account (initdb refuses root). `python -m tests.support.postgres`
starts one by hand and prints its URL until Ctrl-C.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

NOT_INSTALLED = "PostgreSQL not installed: run scripts/ensure-postgres.sh (make test does)"
DEFAULT_DATABASE = "sdbot_test"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresNotInstalled(RuntimeError):
    pass


class PostgresError(RuntimeError):
    pass


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name  # /usr/lib/postgresql/<version>/bin
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_binaries() -> Path:
    """The newest PostgreSQL server's bin directory, or PostgresNotInstalled."""
    override = os.environ.get("SDBOT_PG_BINDIR")
    if override:
        if not (Path(override) / "postgres").is_file():
            raise PostgresNotInstalled(f"{NOT_INSTALLED} (SDBOT_PG_BINDIR={override} has no postgres)")
        return Path(override)
    found = [str(Path(p).parent) for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    if not found:
        raise PostgresNotInstalled(NOT_INSTALLED)
    bindir = Path(max(found, key=_version_key))
    missing = [tool for tool in ("initdb", "pg_ctl", "psql") if not (bindir / tool).is_file()]
    if missing:
        raise PostgresNotInstalled(f"{NOT_INSTALLED} ({bindir} lacks {', '.join(missing)})")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Cluster:
    """What stopping needs; shared with the finaliser that stops a server nobody stopped."""

    pg_ctl: list[str]
    data: Path
    folder: Path
    running: bool = False


def _stop_cluster(cluster: _Cluster) -> None:
    if cluster.running:
        cluster.running = False
        result = subprocess.run([*cluster.pg_ctl, "-D", str(cluster.data), "-m", "immediate", "-w", "-t", "30", "stop"],
                                capture_output=True, timeout=60, cwd="/", check=False)  # fmt: skip
        pid_file = cluster.data / "postmaster.pid"
        if result.returncode != 0 and pid_file.exists():  # pg_ctl could not stop it: leave nothing running
            try:
                pid = int(pid_file.read_text().split()[0])
                if b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes():  # ours, not a reused pid
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
    shutil.rmtree(cluster.folder, ignore_errors=True)


class PostgresServer:
    def __init__(self, database: str = DEFAULT_DATABASE) -> None:
        self.bin = find_binaries()
        self.database = database
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="sdbot-pg-"))
        self.data = self.dir / "data"
        self.log_path = self.dir / "postgres.log"
        self._as_user: list[str] = []
        self._cluster = _Cluster(self._cmd("pg_ctl"), self.data, self.dir)
        self._finalizer = weakref.finalize(self, _stop_cluster, self._cluster)

    # Commands ------------------------------------------------------------------------------

    def _cmd(self, tool: str) -> list[str]:
        return [*self._as_user, str(self.bin / tool)]

    def _run(self, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # cwd: the `postgres` account may not be allowed into the caller's directory.
        result = subprocess.run([*self._cmd(tool), *args], capture_output=True, text=True, timeout=timeout,
                                cwd=self.dir, check=False)  # fmt: skip
        if check and result.returncode != 0:
            raise PostgresError(f"{tool} {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    # Lifecycle -----------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        if self._cluster.running:
            return self
        if not self._finalizer.alive:
            raise PostgresError("this server was stopped (its directory is gone): make a new PostgresServer")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresNotInstalled(
                    "running as root, and there is no `postgres` account to run the server as "
                    "(initdb refuses root): run scripts/ensure-postgres.sh"
                ) from None
            shutil.chown(self.dir, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
            self._cluster.pg_ctl = self._cmd("pg_ctl")
        os.chmod(self.dir, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions")  # fmt: skip
        for _ in range(5):  # the free port can be taken before the server binds it
            self.port = _free_port()
            options = " ".join((
                "-c listen_addresses=127.0.0.1", f"-c port={self.port}", f"-c unix_socket_directories={self.dir}",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=200", "-c shared_buffers=32MB",
            ))  # fmt: skip
            result = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log_path),
                               "-w", "-t", "60", "start", check=False)  # fmt: skip
            if result.returncode == 0:
                break
            log = self._log_tail()
            if "could not bind" not in log and "in use" not in log:
                self.stop()
                raise PostgresError(f"PostgreSQL did not start: {result.stderr.strip()}\n{log}")
        else:
            self.stop()
            raise PostgresError("PostgreSQL did not start: no free port after 5 tries")
        self._cluster.running = True
        try:
            self._wait_ready()
            self.make_database(self.database)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = self._psql("postgres", "SELECT 1", check=False)
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL does not accept connections: {result.stderr.strip()}\n{self._log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop at once (no checkpoint: the data is thrown away) and delete the directory."""
        self._finalizer()

    @property
    def running(self) -> bool:
        return self._cluster.running

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()

    # Databases -----------------------------------------------------------------------------

    def _psql(self, database: str, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run("psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql, check=check, timeout=60)  # fmt: skip

    def _require_running(self) -> None:
        if not self._cluster.running:
            raise PostgresError("the PostgreSQL server is not running: call start() first")

    def make_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy (asyncpg) URL."""
        if not _NAME.match(name):
            raise ValueError(f"database name {name!r}: letters, digits and _ only, not starting with a digit")
        self._require_running()
        self._psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        if not _NAME.match(name):
            raise ValueError(f"database name {name!r}")
        self._require_running()
        self._psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url_for(self, name: str) -> str:
        """The SQLAlchemy (asyncpg) URL of a database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def dsn_for(self, name: str) -> str:
        """A plain libpq/asyncpg DSN (for asyncpg.connect or psql)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    @property
    def url(self) -> str:
        self._require_running()
        return self.url_for(self.database)

    @property
    def dsn(self) -> str:
        self._require_running()
        return self.dsn_for(self.database)


def main() -> int:
    try:
        server = PostgresServer().start()
    except PostgresNotInstalled as e:
        print(e, file=sys.stderr)
        return 1

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        print(server.url, flush=True)
        print(f"(data in {server.dir}; Ctrl-C stops it and deletes everything)", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
