#!/bin/bash
# Load an Ollama pool's models into memory: the server container's startup probe.
#
# Kubernetes runs it until it succeeds, and readiness (so traffic) waits for that: a pod
# added by a scale-up is ready with its models loaded, not only on disk, and its first
# request pays no model load. Each model gets Ollama's load request (POST /api/generate
# without a prompt) with the pool's keep_alive. A failed or timed-out attempt is retried by
# the next probe; a load the timeout cut short goes on in the server, so the retry finds it.
#
# The Ollama image has no HTTP client besides the ollama CLI, and `ollama run` prepends
# what it reads from a non-terminal stdin to the prompt (it would generate, not only load):
# hence bash's /dev/tcp, speaking HTTP/1.0 so the server closes after its answer.
#
# env (the container's own): OLLAMA_WARM_UP_MODELS  space-separated model names
#                            OLLAMA_KEEP_ALIVE      how long they stay loaded
#                            OLLAMA_HOST            the server's bind address (its port is used)
set -euo pipefail

port="${OLLAMA_HOST##*:}"

load() {
  local model="$1" body status
  body="{\"model\":\"${model}\",\"keep_alive\":\"${OLLAMA_KEEP_ALIVE}\",\"stream\":false}"
  exec 3<>"/dev/tcp/127.0.0.1/${port}"
  printf 'POST /api/generate HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "${#body}" "${body}" >&3
  IFS= read -r status <&3
  if [[ "${status}" != HTTP/1.[01]\ 200* ]]; then
    echo "warm-up: loading ${model} failed: ${status%$'\r'}: $(tail -n 1 <&3)" >&2
    exec 3<&-
    return 1
  fi
  exec 3<&-
}

for model in ${OLLAMA_WARM_UP_MODELS}; do
  load "${model}"
done
