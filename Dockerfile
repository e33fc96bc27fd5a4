# syntax=docker/dockerfile:1
#
# One image for every localfn function. Each Knative Service (or Deployment)
# picks its function with FUNCTION_TARGET and FUNCTION_SOURCE; the chart sets
# both. Build: docker build -t localfn .
#
# Stage 1 installs the distribution into a virtualenv; stage 2 copies that
# virtualenv onto a clean slim base: no pip cache, no build tools, no compilers.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/localfn
WORKDIR /src
# Dependencies first (they change less often than the code), then the code.
# Every dependency ships wheels for this platform, so nothing is compiled.
# README.md* matches nothing harmlessly while pyproject.toml is there.
COPY pyproject.toml README.md* ./
COPY shared/ shared/
COPY functions/ functions/
COPY assets/ assets/
RUN /opt/localfn/bin/pip install --only-binary=:all: --no-binary=localfn . \
    && /opt/localfn/bin/pip uninstall --yes pip \
    && /opt/localfn/bin/python -m compileall -q /opt/localfn

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="localfn" \
      org.opencontainers.image.description="Local-LLM capabilities as serverless functions (functions-framework, ASGI)" \
      org.opencontainers.image.licenses="Apache-2.0"
# generate-badge draws its PNG badges with CairoSVG, which loads the system's cairo library; DejaVu gives
# the badge's text a font.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libcairo2 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# A numeric, non-root user: Kubernetes' runAsNonRoot can only verify numeric IDs.
RUN groupadd --gid 10001 localfn \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin localfn
COPY --from=build /opt/localfn /opt/localfn
# functions-framework loads each function's main.py by path (FUNCTION_SOURCE).
COPY --chown=root:root functions/ /app/functions/
# The example requests: `helm test` (templates/tests/test-requests.yaml) sends one to each function.
COPY --chown=root:root examples/ /app/examples/
WORKDIR /app
# The root filesystem is read-only in the cluster: no bytecode writes, and HOME
# (gunicorn's control socket) points at the /tmp emptyDir.
ENV PATH=/opt/localfn/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    WORKERS=1 \
    PORT=8080
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /health/live and /health/ready.
ENTRYPOINT ["/bin/sh", "-c", "exec functions-framework --asgi --target \"$FUNCTION_TARGET\" --source \"$FUNCTION_SOURCE\" --host 0.0.0.0 --port \"${PORT:-8080}\""]
