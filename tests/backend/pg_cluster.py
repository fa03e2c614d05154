"""A throwaway PostgreSQL cluster for the job-store tests: initdb + pg_ctl from the installed server
binaries, on a free loopback port, stopped and removed afterwards. Root cannot run initdb, so under root
the cluster belongs to the ``postgres`` user (Debian's package creates it)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = ("expected PostgreSQL's server binaries (Debian: apt-get install postgresql) or "
                "FACTORSCOPE_TEST_POSTGRES_URL=postgresql+psycopg://user:pw@host:port/db")


def server_bin() -> Path | None:
    """The newest installed PostgreSQL bin folder holding initdb (Debian's layout, else the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass(frozen=True)
class Cluster:
    """A cluster in ``data``/db serving on 127.0.0.1:``port``; ``stop`` and ``start`` it (an outage, for tests)."""

    bin_dir: Path
    data: Path
    port: int
    user: str = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(_as_owner([str(self.bin_dir / tool), *args]), check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data / "db"), "-l", str(self.data / "server.log"), "-w",
                 "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data}", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when a database server restarts."""
        self.run("pg_ctl", "-D", str(self.data / "db"), "-m", "fast", "-w", "stop")


@contextmanager
def own_cluster(bin_dir: Path) -> Iterator[Cluster]:
    """Yields a fresh, started cluster; stops it (when it runs) and removes its files."""
    data = Path(tempfile.mkdtemp(prefix="factorscope-test-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    cluster = Cluster(bin_dir, data, _free_port())
    try:
        cluster.run("initdb", "-D", str(data / "db"), "-A", "trust", "-U", cluster.user)
        cluster.start()
        try:
            yield cluster
        finally:
            if (data / "db" / "postmaster.pid").exists():
                cluster.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[str]:
    """Yields the URL of database ``postgres`` on a fresh cluster; stops it and removes its files."""
    with own_cluster(bin_dir) as cluster:
        yield cluster.url
