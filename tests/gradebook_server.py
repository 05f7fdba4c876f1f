"""A throw-away PostgreSQL server for tests: Debian's own tools, a temporary folder, stopped afterwards."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = "5432"  # only names the socket file: the server listens on no TCP address


class PostgresServer:
    """``initdb`` + ``pg_ctl start`` as the ``postgres`` user (the server refuses to run as root)."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="gradebook-postgres-"))
        shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self._as_postgres(POSTGRES_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres")
        self._as_postgres(POSTGRES_BIN / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w",
                          "-o", f"-k {self.folder} -p {PORT} -c listen_addresses=''", "start")

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL (psycopg, over the Unix socket)."""
        self._as_postgres(POSTGRES_BIN / "createdb", "-h", self.folder, "-p", PORT, name)
        return f"postgresql://postgres@/{name}?host={self.folder}&port={PORT}"

    def stop(self) -> None:
        self._as_postgres(POSTGRES_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _as_postgres(*command) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def postgres_missing() -> str:
    """Why no server can be started here, or "" when one can."""
    if not (POSTGRES_BIN / "initdb").exists():
        return "PostgreSQL 15 is not installed (apt-get install postgresql)"
    if os.geteuid() != 0:
        return "starting a PostgreSQL server as the postgres user needs root"
    return ""
