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


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[str]:
    """Yields the URL of database ``postgres`` on a fresh cluster; stops it and removes its files."""
    data = Path(tempfile.mkdtemp(prefix="factorscope-test-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port, user = _free_port(), "postgres"

    def run(tool: str, *args: str) -> None:
        subprocess.run(_as_owner([str(bin_dir / tool), *args]), check=True, capture_output=True, timeout=120)

    try:
        run("initdb", "-D", str(data / "db"), "-A", "trust", "-U", user)
        run("pg_ctl", "-D", str(data / "db"), "-l", str(data / "server.log"), "-w",
            "-o", f"-h 127.0.0.1 -p {port} -k {data}", "start")
        try:
            yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", str(data / "db"), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(data, ignore_errors=True)
