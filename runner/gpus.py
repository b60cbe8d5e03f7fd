"""GPU discovery, allotment to concurrent runs, and the container settings that hand a run its GPUs.

Each run gets its own device ids; a run that asks for more GPUs than are free waits, so concurrent runs never
share a GPU. The docker backend gives a container its GPUs in one of three modes:

- ``nvidia``: the NVIDIA container runtime, as ``device_requests`` naming the device ids;
- ``cdi``: CDI device names (``nvidia.com/gpu=<id>``), for engines that support CDI (Docker >= 25);
- ``devices``: the device nodes themselves (``/dev/nvidiactl``, ``/dev/nvidia-uvm*`` and only the allotted
  ``/dev/nvidia<N>``) plus the driver's user-space libraries bind-mounted read-only; works on any engine.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GPU_MODES = ("nvidia", "cdi", "devices")

#: Where the NVIDIA driver's user-space libraries usually live on a host.
DRIVER_LIBRARY_DIRS = ("/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64")
_DRIVER_LIBRARY_GLOBS = ("libcuda.so*", "libnvidia-*.so*", "libnvidia-ml.so*")


def discover_gpus(declared: str | None = None) -> list[str]:
    """The host's GPU ids: ``declared`` (e.g. ``"0,1"``) or ``MLE_BENCH_GPUS`` if set, else ``nvidia-smi``.

    >>> discover_gpus("0, 2")
    ['0', '2']
    >>> discover_gpus("")
    []
    """
    if declared is None:
        declared = os.environ.get("MLE_BENCH_GPUS")
    if declared is not None:
        return [g.strip() for g in declared.split(",") if g.strip()]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run(
            [smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


class GpuUnavailable(RuntimeError):
    """A run asked for more GPUs than the host has."""


@dataclass
class GpuPool:
    """Hands out disjoint sets of GPU ids to concurrent runs; :meth:`acquire` waits until enough are free.

    >>> pool = GpuPool(["0", "1"])
    >>> first = pool.acquire(1); second = pool.acquire(1)
    >>> sorted(first + second), pool.free
    (['0', '1'], [])
    >>> pool.release(first); pool.free
    ['0']
    """

    devices: list[str]
    _free: list[str] = field(init=False)
    _cond: threading.Condition = field(init=False, default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self._free = list(self.devices)

    @property
    def free(self) -> list[str]:
        """The ids not allotted now."""
        with self._cond:
            return list(self._free)

    def acquire(self, count: int, timeout: float | None = None) -> list[str]:
        """Allot ``count`` GPUs, waiting for them; ``[]`` for ``count == 0``."""
        if count == 0:
            return []
        if count > len(self.devices):
            raise GpuUnavailable(f"a run asks for {count} GPU(s) but the host has {len(self.devices)}")
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._free) >= count, timeout=timeout):
                raise TimeoutError(f"no {count} free GPU(s) within {timeout} s")
            taken, self._free = self._free[:count], self._free[count:]
            return taken

    def release(self, devices: list[str]) -> None:
        """Give GPUs back (in the host's order) and wake waiting runs."""
        if not devices:
            return
        with self._cond:
            self._free = [d for d in self.devices if d in set(self._free) | set(devices)]
            self._cond.notify_all()


def choose_gpu_mode(engine_info: dict[str, Any], override: str | None = None) -> str:
    """Pick the GPU mode for an engine from ``docker info``: the override, else nvidia runtime, CDI, devices.

    >>> choose_gpu_mode({"Runtimes": {"runc": {}, "nvidia": {}}})
    'nvidia'
    >>> choose_gpu_mode({"Runtimes": {"runc": {}}, "CDISpecDirs": ["/etc/cdi"]})
    'cdi'
    >>> choose_gpu_mode({"Runtimes": {"runc": {}}})
    'devices'
    """
    if override:
        if override not in GPU_MODES:
            raise ValueError(f"GPU mode {override!r} is not one of {GPU_MODES}")
        return override
    if "nvidia" in (engine_info.get("Runtimes") or {}):
        return "nvidia"
    if engine_info.get("CDISpecDirs"):
        return "cdi"
    return "devices"


def driver_libraries(library_dirs: tuple[str, ...] = DRIVER_LIBRARY_DIRS) -> list[str]:
    """Files of the NVIDIA driver's user-space libraries found on this host."""
    found: list[str] = []
    for folder in library_dirs:
        for pattern in _DRIVER_LIBRARY_GLOBS:
            found.extend(sorted(glob.glob(os.path.join(folder, pattern))))
    return found


def gpu_container_settings(
    mode: str, device_ids: list[str], *, libraries: list[str] | None = None
) -> dict[str, Any]:
    """Docker SDK ``containers.create`` keyword arguments giving a container exactly ``device_ids``.

    >>> gpu_container_settings("cdi", ["1"])
    {'devices': ['nvidia.com/gpu=1']}
    >>> gpu_container_settings("devices", ["1"], libraries=[])["devices"][-1]
    '/dev/nvidia1:/dev/nvidia1:rwm'
    >>> gpu_container_settings("nvidia", [])
    {}
    """
    if not device_ids:
        return {}
    if mode == "nvidia":
        import docker.types

        request = docker.types.DeviceRequest(device_ids=list(device_ids), capabilities=[["gpu"]])
        return {"device_requests": [request]}
    if mode == "cdi":
        return {"devices": [f"nvidia.com/gpu={d}" for d in device_ids]}
    if mode == "devices":
        # The control and unified-memory nodes every CUDA process needs (those this host has), then only
        # the allotted GPUs' own nodes.
        shared = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools")
        nodes = [p for p in shared if Path(p).exists()] + [f"/dev/nvidia{d}" for d in device_ids]
        libs = driver_libraries() if libraries is None else libraries
        return {
            "devices": [f"{node}:{node}:rwm" for node in nodes],
            "volumes": {lib: {"bind": lib, "mode": "ro"} for lib in libs},
            "environment": {"NVIDIA_VISIBLE_DEVICES": ",".join(device_ids)},
        }
    raise ValueError(f"GPU mode {mode!r} is not one of {GPU_MODES}")
