"""The "runtime" virtualenv the benchmarks run functions from: localfn installed as the image installs it.

The dev venv holds test and CLI packages the image does not, and some change what a
function loads: with rich installed, every ``import httpx`` also imports httpx's command
line (rich, pygments), ~60 ms of each start. So, like the Dockerfile: a fresh venv,
``pip install --only-binary=:all: --no-binary=localfn .`` (no extras, not editable; pinned
by constraints.txt), then ``compileall``. Built once into ``.cache/bench-runtime/`` and
reused while a stamp (sha256 of the inputs) matches; delete the folder to force a rebuild.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RUNTIME", "runtime_venv"]

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / ".cache" / "bench-runtime"
STAMP = RUNTIME / "stamp.sha256"
# The install's inputs, as the Dockerfile copies them (its README.md only fills in metadata: not hashed).
FILES = ("pyproject.toml", "constraints.txt")
FOLDERS = ("shared", "functions", "assets")


def _inputs() -> Iterator[Path]:
    """Every file the install depends on, in a stable order; bytecode caches excluded."""
    for name in FILES:
        yield REPO / name
    for folder in FOLDERS:
        paths = (path for path in (REPO / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts)
        yield from sorted(paths)


def fingerprint() -> str:
    """sha256 over the inputs' paths and contents, and the interpreter the venv is made from."""
    digest = hashlib.sha256(sys.version.encode())  # a venv is tied to its interpreter
    for path in _inputs():
        digest.update(str(path.relative_to(REPO)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def runtime_venv() -> Path:
    """The runtime venv's path, (re)built first when its stamp does not match the sources."""
    wanted = fingerprint()
    RUNTIME.parent.mkdir(parents=True, exist_ok=True)
    # Two benchmark runs at once must not build into the same folder.
    with open(RUNTIME.parent / "bench-runtime.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (STAMP.is_file() and STAMP.read_text().strip() == wanted):
            _build()
            STAMP.write_text(wanted + "\n")  # last: an interrupted build is never reused
    return RUNTIME


def _build() -> None:
    print(f"building the runtime venv in {RUNTIME} (like the image: no extras, about a minute)", flush=True)
    shutil.rmtree(RUNTIME, ignore_errors=True)
    python = RUNTIME / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", str(RUNTIME)], check=True)
    # Installed from a copy, as the Dockerfile does: building in the repo would leave build/
    # and rewrite localfn.egg-info beside the dev venv's editable install.
    with tempfile.TemporaryDirectory() as source:
        for name in (*FILES, "README.md"):
            shutil.copy2(REPO / name, source)
        for folder in FOLDERS:
            shutil.copytree(REPO / folder, Path(source) / folder, ignore=shutil.ignore_patterns("__pycache__"))
        pip = [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-c",
            "constraints.txt",
            "--only-binary=:all:",
            "--no-binary=localfn",
            ".",
        ]
        # Its output only when it fails: its warnings (unused constraints, index locations) would bury the results.
        done = subprocess.run(pip, cwd=source, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            raise RuntimeError(f"pip install into {RUNTIME} failed with exit code {done.returncode}")
    subprocess.run([str(python), "-m", "compileall", "-q", str(RUNTIME)], check=True)
