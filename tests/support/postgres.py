"""A throwaway PostgreSQL server for tests, from Debian's ``postgresql`` package (no mock).

Use the session fixture in another suite's conftest::

    from tests.support.postgres import postgres_server  # noqa: F401  (pytest fixture)

    def test_x(postgres_server):
        url = postgres_server.create_database()   # fresh database, URL without password
        password = postgres_server.password       # put it in the (test) keyring yourself

The server runs initdb in a fresh temp dir on a free port, listens on 127.0.0.1 only, uses
scram-sha-256 password auth, and is stopped and deleted at the end of the session. As root it
runs as the ``postgres`` user (``runuser``), which owns the data dir. Tests are skipped with a
clear reason only when no server binaries exist.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """Newest /usr/lib/postgresql/*/bin with initdb, or ``PG_BIN``, or pg_ctl on PATH."""
    env = os.environ.get("PG_BIN")
    if env and (Path(env) / "initdb").exists():
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and (Path(pg_ctl).parent / "initdb").exists():
        return Path(pg_ctl).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One running cluster; :meth:`create_database` hands out isolated databases."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.password = secrets.token_urlsafe(16)
        self.host = "127.0.0.1"
        self.port = 0
        self.user = SUPERUSER
        self._durable = durable
        self._root = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        self.data_dir = self._root / "data"
        self._as_postgres = os.geteuid() == 0 if hasattr(os, "geteuid") else False

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self) -> PostgresServer:
        pwfile = self._root / "pw"
        pwfile.write_text(self.password)
        if self._as_postgres:
            shutil.chown(self._root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        os.chmod(self._root, 0o700)
        init = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        # Throwaway server: no fsync (tests kill clients, never this server), small footprint.
        opts = "" if self._durable else "-c fsync=off -c full_page_writes=off "
        for attempt in range(5):
            self.port = _free_port()
            start = self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self._root / "server.log"),
                "-o",
                f"-p {self.port} -k {self._root} -c listen_addresses={self.host} "
                f"{opts}-c max_connections=100 -c shared_buffers=64MB",
                "start",
            )
            if start.returncode == 0:
                return self
            if attempt == 4:
                log = (self._root / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PostgreSQL did not start: {start.stderr}\n{log}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self.data_dir.exists():
            self._run(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"
            )
        shutil.rmtree(self._root, ignore_errors=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser through psql (tests use it as 'an attacker with DB access')."""
        env = dict(os.environ, PGPASSWORD=self.password)
        proc = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        return proc.stdout

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database; returns its SQLAlchemy URL (no password in it)."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self.psql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    server = PostgresServer(bin_dir).start()
    try:
        yield server
    finally:
        server.stop()
