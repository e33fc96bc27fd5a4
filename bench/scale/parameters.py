"""The figures the simulation runs on, each with where it comes from.

Measured here: the CPU engine's tokens/s (``bench/results/embedded.json``). Published: the
GPU's (an Ollama benchmark, cited). The product's own: a badge request's tokens (README,
generate-badge's reply). The chart's defaults: slots, queue bounds, KEDA and HPA settings.
Assumed (no source; change them and run again): the day's traffic, the burst's pace, the
CPU node's cores, model load times.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BADGE", "CPU", "GPU", "KEDA", "TRAFFIC", "Autoscaling", "Speed", "Tokens", "Traffic"]


@dataclass(frozen=True)
class Tokens:
    prompt: int
    completion: int


# README, generate-badge's reply: "prompt_tokens": 905, "completion_tokens": 241 on llama3.1:8b.
BADGE = Tokens(prompt=905, completion=241)


@dataclass(frozen=True)
class Speed:
    """One Ollama pod: its slots (numParallel), queue bound (maxQueue) and how fast it works.

    A call's decode rate is fixed when it takes its slot: ``single_tps`` alone, shared as
    ``batch_tps / busy slots`` when that is lower (Ollama batches parallel slots).
    """

    model: str
    parallel: int
    max_queue: int
    prefill_tps: float
    single_tps: float
    batch_tps: float
    start_s: float  # scale-up to ready: node start + model load (the warm-up probe)

    def seconds(self, tokens: Tokens, busy: int) -> float:
        """Service time of one call started with ``busy`` slots taken (itself included)."""
        return tokens.prompt / self.prefill_tps + tokens.completion / min(self.single_tps, self.batch_tps / busy)


# GPU: llama3.1:8b on an RTX 4090 under Ollama (blog.gpuflow.app, "Ollama vs vLLM vs TGI: RTX 4090
# inference benchmark"): 62-74 tokens/s single stream, 95-108 with 8 streams, 720-980 ms to the
# first token of a 512-token prompt (~600 tokens/s prefill). numParallel 4, maxQueue 512 (chart).
# Ready after a GPU node start (~3 min, the figure) plus a model load (assumed 30 s:
# 4.9 GB from the node's disk into VRAM).
GPU_NODE_START_S = 180.0
GPU_MODEL_LOAD_S = 30.0
GPU = Speed(
    "llama3.1:8b",
    parallel=4,
    max_queue=512,
    prefill_tps=600.0,
    single_tps=68.0,
    batch_tps=100.0,
    start_s=GPU_NODE_START_S + GPU_MODEL_LOAD_S,
)

# CPU: SmolLM2-135M decodes 53.9 tokens/s here (bench/results/embedded.json, median, 1 slot, 2 shared
# cores). The CPU pool is assumed to serve llama3.2:3b (3.21 B parameters) on an 8-core node: decoding
# is memory-bound, so tokens/s scale with 135 M / 3.21 B, and (assumed) linearly with cores, x 4:
# 53.9 x 0.042 x 4 = 9.1 tokens/s for the pod, shared by its slots. Prefill assumed 5 x decode.
# numParallel 2, maxQueue 128 (chart). Ready 20 s after a scale-up (a node is there; model load).
CPU_MEASURED_TPS = 53.9
CPU_TPS = CPU_MEASURED_TPS * 0.135 / 3.21 * 4
CPU = Speed("llama3.2:3b", parallel=2, max_queue=128, prefill_tps=5 * CPU_TPS, single_tps=CPU_TPS, batch_tps=CPU_TPS, start_s=20.0)


@dataclass(frozen=True)
class Autoscaling:
    """KEDA and the HPA as the chart renders them (charts/localfn/values.yaml, ollama.*.autoscaling)."""

    polling_s: float = 15.0  # KEDA pollingInterval; the HPA's sync period is 15 s too
    scrape_s: float = 15.0  # Prometheus scrape interval (assumed: a common default)
    activation: float = 0.0  # activationThreshold
    cooldown_s: float = 900.0  # cooldownPeriod: 1 -> 0
    stabilization_s: float = 900.0  # behavior.scaleDown.stabilizationWindowSeconds: N -> 1
    down_pods_per_min: int = 1  # behavior.scaleDown policy: one pod a minute
    tolerance: float = 0.1  # the HPA's: no change while within 10 % of the target


KEDA = Autoscaling()


@dataclass(frozen=True)
class Traffic:
    """A working day of badge requests (assumed shape) and a catalogue import at 09:00."""

    per_hour: tuple[int, ...]  # background requests in each hour from midnight
    burst_at_s: float
    burst_requests: int
    burst_over_s: float  # the importer sends its events evenly over this long


TRAFFIC = Traffic(
    per_hour=(0, 0, 0, 0, 0, 0, 2, 10, 40, 60, 60, 50, 40, 55, 60, 55, 40, 20, 8, 4, 2, 1, 0, 0),
    burst_at_s=9 * 3600.0,
    burst_requests=1000,
    burst_over_s=600.0,
)
