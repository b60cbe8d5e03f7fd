"""GPU discovery, allotment without oversubscription, and the container settings in each mode."""

import threading
import time

import pytest

from runner.gpus import (
    GpuPool,
    GpuUnavailable,
    choose_gpu_mode,
    discover_gpus,
    gpu_container_settings,
)


def test_declared_gpus_win_over_discovery(monkeypatch):
    monkeypatch.setenv("MLE_BENCH_GPUS", "3,4")
    assert discover_gpus() == ["3", "4"]
    assert discover_gpus("7") == ["7"]


def test_concurrent_runs_never_share_a_gpu():
    pool = GpuPool(["0", "1", "2"])
    in_use: set[str] = set()
    lock = threading.Lock()
    clashes = []

    def run(count):
        got = pool.acquire(count)
        with lock:
            if in_use & set(got):
                clashes.append(got)
            in_use.update(got)
        time.sleep(0.01)
        with lock:
            in_use.difference_update(got)
        pool.release(got)

    threads = [threading.Thread(target=run, args=(1 + i % 2,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clashes == [] and sorted(pool.free) == ["0", "1", "2"]


def test_a_run_waits_for_free_gpus():
    pool = GpuPool(["0"])
    first = pool.acquire(1)
    with pytest.raises(TimeoutError):
        pool.acquire(1, timeout=0.05)
    threading.Timer(0.05, pool.release, args=(first,)).start()
    assert pool.acquire(1, timeout=5) == ["0"]


def test_asking_for_more_gpus_than_the_host_has_fails_at_once():
    with pytest.raises(GpuUnavailable, match="asks for 3 GPU"):
        GpuPool(["0", "1"]).acquire(3)
    assert GpuPool([]).acquire(0) == []


def test_nvidia_mode_builds_a_device_request_for_the_allotted_ids():
    settings = gpu_container_settings("nvidia", ["1", "3"])
    (request,) = settings["device_requests"]
    assert request["DeviceIDs"] == ["1", "3"] and request["Capabilities"] == [["gpu"]]
    assert "Count" not in request or request["Count"] in (None, 0)


def test_cdi_mode_names_cdi_devices():
    assert gpu_container_settings("cdi", ["0", "2"]) == {"devices": ["nvidia.com/gpu=0", "nvidia.com/gpu=2"]}


def test_devices_mode_maps_only_the_allotted_gpu_nodes_and_mounts_driver_libraries_read_only():
    settings = gpu_container_settings("devices", ["2"], libraries=["/usr/lib/libcuda.so.1"])
    gpu_nodes = [d for d in settings["devices"] if d.split(":")[0].rstrip("0123456789") == "/dev/nvidia"]
    assert gpu_nodes == ["/dev/nvidia2:/dev/nvidia2:rwm"]
    assert settings["volumes"] == {"/usr/lib/libcuda.so.1": {"bind": "/usr/lib/libcuda.so.1", "mode": "ro"}}
    assert settings["environment"] == {"NVIDIA_VISIBLE_DEVICES": "2"}


def test_mode_choice_and_override():
    assert choose_gpu_mode({"Runtimes": {"nvidia": {}}}, override="devices") == "devices"
    with pytest.raises(ValueError, match="not one of"):
        choose_gpu_mode({}, override="magic")
    with pytest.raises(ValueError):
        gpu_container_settings("magic", ["0"])
