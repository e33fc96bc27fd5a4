"""A function's main.py loads with the cyclic garbage collector paused, and leaves it running (localfn.entry).

Each probe runs in a fresh interpreter, since pausing the collector is process-wide.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAINS = sorted((ROOT / "functions").glob("*/main.py"))


def probe(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


@pytest.mark.parametrize("main", MAINS, ids=lambda path: path.parent.name)
def test_a_loaded_function_runs_with_the_collector_on_and_what_it_loaded_frozen(main: Path) -> None:
    code = "import gc, runpy, sys; runpy.run_path(sys.argv[1]); print(gc.isenabled(), gc.get_freeze_count() > 0)"
    assert probe(code, str(main)) == "True True"


def test_the_collector_is_paused_while_a_function_loads() -> None:
    assert probe("import gc, localfn.entry; print(gc.isenabled())") == "False"


def test_the_library_alone_leaves_the_collector_alone() -> None:
    assert probe("import gc, localfn.app, localfn.serve; print(gc.isenabled(), gc.get_freeze_count())") == "True 0"
