"""Packaging: every package folder is listed in pyproject.toml; the kept specifications are verbatim."""

from __future__ import annotations

import hashlib
import importlib
import sys
import tomllib
from pathlib import Path

import pytest

from localfn.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "assets" / "specs"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_folders() -> dict[str, Path]:
    """Importable name -> folder, for every folder with files under a mapped root (as setuptools sees them)."""
    found = {}
    for package, folder in SETUPTOOLS["package-dir"].items():
        root = ROOT / folder
        for directory in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            parts = directory.relative_to(root).parts
            if "__pycache__" in parts or not all(part.isidentifier() for part in parts):
                continue
            if any(child.is_file() for child in directory.iterdir()):
                found[".".join((package, *parts))] = directory
    return found


FOLDERS = package_folders()


def test_the_package_dir_mapping_is_the_documented_one() -> None:
    assert SETUPTOOLS["package-dir"] == {
        "localfn": "shared/localfn",
        "localfn.functions": "functions",
        "localfn.assets": "assets",
    }


@pytest.mark.parametrize("package", sorted(FOLDERS))
def test_every_folder_with_files_is_a_listed_package(package: str) -> None:
    assert package in SETUPTOOLS["packages"], f"{FOLDERS[package].relative_to(ROOT)} is not packaged"


@pytest.mark.parametrize("package", SETUPTOOLS["packages"])
def test_every_listed_package_has_a_folder(package: str) -> None:
    prefix = max((p for p in SETUPTOOLS["package-dir"] if package == p or package.startswith(p + ".")), key=len)
    folder = ROOT / SETUPTOOLS["package-dir"][prefix] / Path(*package.removeprefix(prefix).split(".")[1:])
    assert folder.is_dir(), f"{package} maps to missing {folder}"


def spec_rows() -> list[tuple[str, str]]:
    """(file, sha256) of every table row of assets/specs/SOURCES.md."""
    rows = []
    for line in (SPECS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] == "file" or set(cells[0]) <= set("-: "):
            continue
        rows.append((cells[0], cells[-1]))
    return rows


ROWS = spec_rows()


def test_sources_lists_every_spec_file() -> None:
    listed = {file for file, _ in ROWS}
    on_disk = {p.relative_to(SPECS).as_posix() for p in SPECS.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert len(ROWS) == len(listed) >= 1
    assert on_disk - listed == set(), "spec files whose origin SOURCES.md does not record"


@pytest.mark.parametrize(("file", "sha256"), ROWS, ids=[file for file, _ in ROWS])
def test_spec_files_are_verbatim_copies(file: str, sha256: str) -> None:
    assert len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256), f"not a full digest: {sha256}"
    path = SPECS / file
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256


@pytest.mark.parametrize("function", sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "main.py").is_file()))
def test_no_module_of_a_function_shadows_the_standard_library(function: str) -> None:
    # functions-framework puts the function's folder on sys.path to load main.py: a `numbers.py`
    # there would stand in for the standard library's for anything imported after it.
    modules = {path.stem for path in (ROOT / "functions" / function).rglob("*.py")}
    assert not modules & set(sys.stdlib_module_names), sorted(modules & set(sys.stdlib_module_names))


# The one list of functions (localfn.functions.FUNCTIONS) matches the folders and their entry points.


def test_every_function_folder_is_in_the_registry_and_no_other() -> None:
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/capability.py")}
    assert {function.package for function in FUNCTIONS.values()} == folders


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_registered_function_loads_its_capability_and_exposes_its_target(name: str) -> None:
    function = FUNCTIONS[name]
    assert function.load().name == name
    main = importlib.import_module(f"localfn.functions.{function.package}.main")
    assert callable(getattr(main, function.package)), f"functions/{function.package}/main.py has no {function.package}"
