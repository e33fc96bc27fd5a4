#!/bin/sh
# Pull an Ollama pool's models into its model cache, then exit.
#
# Runs as the StatefulSet's init container, so the server container starts only
# once every model is on disk (a postStart hook would race the server and hide
# its output). `kubectl logs <pod> -c pull-models` shows the progress.
#
# env: OLLAMA_PULL_MODELS  space-separated model names
#      OLLAMA_PULL_POLICY  IfNotPresent | Always | Never
set -eu

if [ "${OLLAMA_PULL_POLICY}" = "Never" ] || [ -z "${OLLAMA_PULL_MODELS}" ]; then
  echo "pull-models: nothing to pull (policy ${OLLAMA_PULL_POLICY})"
  exit 0
fi

# A private server on loopback for the pulls only.
export OLLAMA_HOST=127.0.0.1:11434
ollama serve >/tmp/pull-models-serve.log 2>&1 &
server=$!
trap 'kill "${server}" 2>/dev/null || true' EXIT

tries=0
until ollama list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "${tries}" -ge 120 ]; then
    echo "pull-models: the server did not start in 120 s; its log:" >&2
    cat /tmp/pull-models-serve.log >&2
    exit 1
  fi
  sleep 1
done

for model in ${OLLAMA_PULL_MODELS}; do
  if [ "${OLLAMA_PULL_POLICY}" = "IfNotPresent" ] && ollama show "${model}" >/dev/null 2>&1; then
    echo "pull-models: ${model} is already in the cache"
    continue
  fi
  echo "pull-models: pulling ${model}"
  ollama pull "${model}"
done

echo "pull-models: the cache now holds:"
ollama list
