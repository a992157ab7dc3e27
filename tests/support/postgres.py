"""A real PostgreSQL server for the tests: a temporary cluster on 127.0.0.1, started and
stopped by the suite. `python -m tests.support.postgres` runs one by hand."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresNotInstalled(RuntimeError):
    pass


def _binaries() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise PostgresNotInstalled("PostgreSQL not installed: run scripts/ensure-postgres.sh (make test does)")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _binaries()
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sdbot-pg-"))
        self.data = self.dir / "data"
        self._as_user: list[str] = []
        self._started = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as_user, *args], check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            # initdb refuses root: run the cluster as the `postgres` account the package creates.
            pwd.getpwnam("postgres")
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir, 0o700)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")  # fmt: skip
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")  # fmt: skip
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                           "-w", "-t", "60", "start", check=False)  # fmt: skip
        if result.returncode != 0:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log[-2000:]}")
        self._started = True
        self.make_database("sdbot_test")
        return self

    def _psql(self, sql: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            result = self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                               "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql, check=False)  # fmt: skip
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"psql failed: {result.stderr}")
            time.sleep(0.2)

    def make_database(self, name: str) -> str:
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def url_for(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    @property
    def url(self) -> str:
        return self.url_for("sdbot_test")

    def stop(self) -> None:
        if self._started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self._started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


if __name__ == "__main__":
    with PostgresServer() as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
