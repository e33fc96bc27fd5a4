"""Finding NVIDIA GPUs with pynvml; no GPU (or no driver) simply means the CPU."""

from __future__ import annotations

from dataclasses import dataclass

import pynvml

__all__ = ["GpuInfo", "detect_gpus"]


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
