"""Rendering the chart with the real helm binary: finding and running helm, the ci/ scenarios, their values.

helm runs with its own config, cache and data homes (never the user's); every render is
parsed into ``objects.Doc`` dicts and cached per (values files, --set values, Kubernetes
version), each caller getting a fresh copy. Nothing compares against a stored render.
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from tests.chart.objects import Doc

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "localfn"
CI_VALUES = CHART / "ci"
MANIFESTS = REPO / "manifests"

RELEASE = "demo"
NAMESPACE = "localfn-test"
KUBE_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")


def find_helm() -> str | None:
    """helm on PATH, else the one scripts/install-k8s-tools.sh puts in .venv/bin."""
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    venv_helm = REPO / ".venv" / "bin" / "helm"
    if venv_helm.is_file() and os.access(venv_helm, os.X_OK):
        return str(venv_helm)
    return None


class HelmFailed(Exception):
    def __init__(self, args: list[str], proc: subprocess.CompletedProcess[str]):
        self.args_ = args
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        super().__init__(f"helm {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")


def run_helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    helm = find_helm()
    if helm is None:  # pragma: no cover - the fixtures skip before this
        raise RuntimeError("helm not found")
    env = {
        **os.environ,
        # Keep helm away from the user's config, cache and repositories.
        "HELM_CONFIG_HOME": "/tmp/localfn-chart-tests/config",
        "HELM_CACHE_HOME": "/tmp/localfn-chart-tests/cache",
        "HELM_DATA_HOME": "/tmp/localfn-chart-tests/data",
    }
    proc = subprocess.run([helm, *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise HelmFailed(list(args), proc)
    return proc


def values_args(values_files: Iterable[str | Path] = (), set_values: Iterable[str] = ()) -> list[str]:
    out: list[str] = []
    for f in values_files:
        out += ["-f", str(f)]
    for s in set_values:
        out += ["--set", s]
    return out


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _template(
    values_files: Iterable[str | Path], set_values: Iterable[str], *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`helm template` of the chart as the release under test, with these values."""
    return run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *extra, *values_args(values_files, set_values), check=check)


@functools.cache
def _render_cached(values_files: tuple[str, ...], set_values: tuple[str, ...], kube_version: str) -> list[Doc]:
    proc = _template(values_files, set_values, "--kube-version", kube_version)
    return [d for d in yaml.load_all(proc.stdout, Loader=_Loader) if d]


def render(values_files: Iterable[str | Path] = (), set_values: Iterable[str] = (), kube_version: str = "1.33.0") -> list[Doc]:
    """Render the chart (hooks and tests included) and parse every document (a fresh copy each call)."""
    return copy.deepcopy(_render_cached(tuple(map(str, values_files)), tuple(set_values), kube_version))


def render_error(values_files: Iterable[str | Path] = (), set_values: Iterable[str] = ()) -> str:
    """Render expecting failure; return helm's error output."""
    set_values = list(set_values)
    proc = _template(values_files, set_values, check=False)
    assert proc.returncode != 0, f"helm template succeeded but should have failed for {set_values}"
    return proc.stderr


def scenarios() -> list[str]:
    """Names of the chart's ci/<name>-values.yaml scenarios."""
    return sorted(p.name.removesuffix("-values.yaml") for p in CI_VALUES.glob("*-values.yaml"))


def scenario_file(name: str) -> Path:
    path = CI_VALUES / f"{name}-values.yaml"
    assert path.is_file(), path
    return path


def render_scenario(name: str, *set_values: str) -> list[Doc]:
    return render([scenario_file(name)], set_values)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def scenario_values(name: str) -> dict[str, Any]:
    """The chart's values.yaml with ci/<name>-values.yaml merged over it, as helm merges them."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    return _merge(defaults, yaml.safe_load(scenario_file(name).read_text()) or {})
