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

ROOT = Path(__file__).resolve().parents[3]
HEAVY = (
    "sklearn",
    "scipy",
    "numpy",
    "kubernetes",
    "PIL",
    "psycopg",
    "psycopg_pool",
    "redis",
    "cryptography",
    "pyld",
    "joserfc",
    "dateparser",
    "pycountry",
    "snowballstemmer",
    "cairosvg",
    "cairocffi",
    "jsonschema",
)
# What each function needs at start-up; psycopg only loads when LOCALFN_GENERATE_BADGE__DATABASE_URL is set, redis when
# LOCALFN_STATE_URL is, generate-badge's signing libraries (cryptography, pyld, joserfc) when
# LOCALFN_ISSUER__KEYS_FILE is; extract-parameters' grounding libraries (dateparser, pycountry,
# snowballstemmer) on its first call; generate-badge's PNG renderer (cairosvg, cairocffi and the cairo
# library) on the first PNG asked for: baking an SVG is standard library only. generate-badge and route-query read models trained at build
# time (``make models``) in pure Python: scikit-learn, scipy and numpy are for training only. The
# functions validate JSON Schemas with jsonschema-rs; the Python jsonschema (~35 ms) is the tests' judge.
NEEDS = {
    "summarize": set(),
    "extract_parameters": set(),
    "analyze_photo": {"PIL"},
    "generate_badge": set(),
    "route_query": set(),
}
# What the two functions with a trained model do with it at start (capability.py, generator.py).
MODEL_LOADS = {
    "generate_badge": "from localfn.functions.generate_badge.icons import IconMatcher; IconMatcher.from_library()",
    "route_query": "from localfn.functions.route_query.classifier import TierClassifier; TierClassifier.load()",
}
# Serving a signed badge's SVG: read from a data URI and baked, with the standard library alone.
BAKE_SVG = (
    "from localfn.functions.generate_badge.image import data_uri, svg_from_data_uri\n"
    "from localfn.functions.generate_badge.signing.baking import bake_svg, extract\n"
    "svg = svg_from_data_uri(data_uri('<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>'))\n"
    "assert extract(bake_svg(svg, 'a.b.c').encode()) == 'a.b.c'"
)
PROBE = """
import json, runpy, sys
runpy.run_path(sys.argv[1])
exec(sys.argv[3])
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


def loaded_heavy_modules(main: Path, then: str = "") -> set[str]:
    """The heavy modules loaded by running ``main``, then the statements ``then``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(main), json.dumps(HEAVY), then], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout))


def test_every_function_is_listed() -> None:
    assert set(NEEDS) == {path.parent.name for path in (ROOT / "functions").glob("*/main.py")}


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_entry_module_loads_only_the_heavy_modules_it_needs(name: str) -> None:
    loaded = loaded_heavy_modules(ROOT / "functions" / name / "main.py")
    assert loaded == NEEDS[name]


@pytest.mark.parametrize("name", sorted(MODEL_LOADS))
def test_loading_the_shipped_model_loads_no_heavy_module(name: str) -> None:
    loaded = loaded_heavy_modules(ROOT / "functions" / name / "main.py", MODEL_LOADS[name])
    assert loaded == NEEDS[name]


def test_baking_an_svg_loads_no_heavy_module() -> None:
    assert loaded_heavy_modules(ROOT / "functions" / "generate_badge" / "main.py", BAKE_SVG) == set()


def test_the_png_renderer_is_one_of_the_modules_watched() -> None:
    """The probe sees CairoSVG when it is loaded, so the tests above would catch it on the start-up path."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>'
    then = f"from localfn.functions.generate_badge.image import render_png; render_png({svg!r})"
    assert {"cairosvg", "cairocffi"} <= loaded_heavy_modules(ROOT / "functions" / "generate_badge" / "main.py", then)


def test_the_command_loads_the_kubernetes_client_only_for_the_cluster() -> None:
    """`localfn` starts without the kubernetes client (~0.3 s); `doctor --cluster` and `models --pool` import it when run."""
    watched = ("kubernetes", "localfn.operate.kube")
    probe = f"import json, sys; import localfn.cli; print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(done.stdout) == []


BUILT_AT_START = """
import json, runpy, sys
runpy.run_path(sys.argv[1])
from pydantic import BaseModel
from localfn.functions.generate_badge import compat, models
built = sorted(name for module in (models, compat) for name, value in vars(module).items()
               if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
               and value.__pydantic_complete__)
print(json.dumps({"built": built, "baking": "localfn.functions.generate_badge.signing.baking" in sys.modules}))
"""


def test_generate_badge_starts_with_only_what_post_needs() -> None:
    """The other routes' models are built on their first use and baking comes with the first image: a cold start pays for neither."""
    main = ROOT / "functions" / "generate_badge" / "main.py"
    done = subprocess.run([sys.executable, "-c", BUILT_AT_START, str(main)], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(done.stdout) == {
        "built": ["BadgeInput", "GenerateBadgeRequest", "GenerateBadgeResponse", "Generation", "IconChoice", "Issuer", "SuggestedIcon"],
        "baking": False,
    }
