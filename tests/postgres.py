"""A throwaway PostgreSQL server for the storage tests: Debian's binaries, a temp dir, a port.

`make test` installs Debian's postgresql package when it is missing (tests/ensure-postgres).
Where the binaries cannot be found the Postgres variants are skipped, except under CI, where
that is an error: the storage suite must have run on a real server there.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import asyncpg
import pytest

from tests.helpers import free_port

USER = "postgres"  # initdb refuses to run as root; Debian's package creates this account
_names = count(1)


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PostgresServer:
    def __init__(self, binaries: Path, root: Path) -> None:
        self.binaries = binaries
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            os.chown(root, pwd.getpwnam(USER).pw_uid, -1)
            self._as_user = ["runuser", "-u", USER, "--"]

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_user, str(self.binaries / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", log, "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    async def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        name = f"t{next(_names)}"
        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=USER, database="postgres"
        )
        try:
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()
        return self.url(name)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; `make test` installs it (Debian package)")
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    root = Path(tempfile.mkdtemp(prefix="mj-pg-"))
    server = PostgresServer(binaries, root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
