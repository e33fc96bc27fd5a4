#!/usr/bin/env bash
# mypy, as configured in pyproject.toml ([tool.mypy]), over the package as it installs: localfn is
# shared/localfn/ and localfn.functions is functions/ (setuptools' package-dir). mypy finds modules
# by path and cannot follow that mapping (the editable install does it with an import hook mypy
# does not run), so it reads build/typecheck/localfn/, links laid out as the installed package,
# and its messages name the real files again.
set -euo pipefail
cd "$(dirname "$0")/.."
layout=build/typecheck/localfn
rm -rf "$layout"
mkdir -p "$layout"
ln -s "$PWD"/shared/localfn/* "$layout"/
ln -s "$PWD"/functions "$layout"/functions
ln -s "$PWD"/assets "$layout"/assets
.venv/bin/python -m mypy "$@" | sed -e "s#^$layout/functions/#functions/#" -e "s#^$layout/#shared/localfn/#"
