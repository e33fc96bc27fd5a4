"""Finding NVIDIA GPUs with pynvml; no GPU (or no driver) simply means the CPU."""

from __future__ import annotations

from dataclasses import dataclass

import pynvml

__all__ = ["GpuInfo", "NvidiaDriver", "detect_gpus", "nvidia_driver"]


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_total_mib: int
    memory_free_mib: int


def detect_gpus() -> list[GpuInfo]:
    """The GPUs NVML can see; empty when there is no NVIDIA driver or no device."""
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return []
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                GpuInfo(
                    index=index,
                    name=name.decode() if isinstance(name, bytes) else name,
                    memory_total_mib=memory.total // (1 << 20),
                    memory_free_mib=memory.free // (1 << 20),
                )
            )
        return gpus
    except pynvml.NVMLError:
        return []
    finally:
        pynvml.nvmlShutdown()


@dataclass(frozen=True)
class NvidiaDriver:
    """The NVIDIA driver's version ("550.54.15") and the newest CUDA it supports ("12.4")."""

    version: str
    cuda: str


def nvidia_driver() -> NvidiaDriver | None:
    """The driver NVML reports; None without one (no NVIDIA driver, or no device)."""
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    try:
        version = pynvml.nvmlSystemGetDriverVersion()
        cuda = pynvml.nvmlSystemGetCudaDriverVersion_v2()  # e.g. 12040 for CUDA 12.4
        text = version.decode() if isinstance(version, bytes) else version
        return NvidiaDriver(text, f"{cuda // 1000}.{cuda % 1000 // 10}")
    except pynvml.NVMLError:
        return None
    finally:
        pynvml.nvmlShutdown()
