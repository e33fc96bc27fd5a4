"""Cold start: a function's entry module pulls in no heavy library the function does not use.

Each main.py is loaded the way functions-framework loads it (by path, in a fresh
interpreter), then the heavy top-level modules present in ``sys.modules`` are compared with
what that function needs. How long starting takes is measured in bench/perf/cold_start.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "numpy", "kubernetes", "PIL", "psycopg", "psycopg_pool", "dateparser", "pycountry", "snowballstemmer")
# What each function needs at start-up; psycopg only loads when LOCALFN_DATABASE_URL is set.
NEEDS = {
    "summarize": set(),
    "extract_parameters": set(),
    "analyze_photo": {"PIL"},
    "generate_badge": {"sklearn", "scipy", "numpy"},
    "route_query": {"sklearn", "scipy", "numpy"},
}
PROBE = """
import json, runpy, sys
runpy.run_path(sys.argv[1])
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


def loaded_heavy_modules(main: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(main), json.dumps(HEAVY)],
                          capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


def test_every_function_is_listed() -> None:
    assert set(NEEDS) == {path.parent.name for path in (ROOT / "functions").glob("*/main.py")}


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_entry_module_loads_only_the_heavy_modules_it_needs(name: str) -> None:
    loaded = loaded_heavy_modules(ROOT / "functions" / name / "main.py")
    assert loaded == NEEDS[name]
