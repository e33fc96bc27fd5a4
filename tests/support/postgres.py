"""A real, throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on a free loopback port.

The binaries come from Debian's ``postgresql`` package (scripts/setup.sh installs it for the
tests). initdb refuses to run as root, so as root the cluster belongs to the ``postgres``
user and every command runs as that user. The server is stopped and its folder removed
when the session ends; nothing touches a system cluster.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["postgres_server", "postgres_url"]

START_TIMEOUT_S = 60


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not found:
        pytest.fail("PostgreSQL's server binaries are missing: run `bash scripts/setup.sh test` (installs 'postgresql')")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server, yield its URL (user postgres, trust authentication, loopback only), then remove it."""
    binaries = _binaries()
    root = Path(tempfile.mkdtemp(prefix="localfn-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*command: str | Path) -> None:
        done = subprocess.run([*run_as, *map(str, command)], capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}")

    try:
        run(binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
        # fsync off: a test cluster need not survive a power cut, and tests run faster without it.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(
            binaries / "pg_ctl",
            "-D",
            data,
            "-l",
            root / "server.log",
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url
