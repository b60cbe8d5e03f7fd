"""Fixtures for the runner tests: competitions really prepared and stored from their synthetic raw fixtures
(run groups take them through the hand-off, as ``mle-bench run`` does), and a real Docker engine."""

from __future__ import annotations

import os
from pathlib import Path

from typing import Callable

import pytest

from mle_datasets import PreparedRef, Store, make_raw_fixture, prepare, resolve

SECRET_MARKER = "ANSWER-SECRET-4f1c"
TWO_COMPETITIONS = ("leaf-classification", "spooky-author-identification")


def store_with(store_dir: Path, competition_ids: tuple[str, ...], work: Path) -> Store:
    """A store holding the real preparation of each competition's synthetic raw fixture."""
    store = Store(store_dir)
    for cid in competition_ids:
        raw = make_raw_fixture(cid, work / cid / "raw")
        store.add(prepare(cid, raw, work / cid / "prepared"))
    return store


@pytest.fixture(scope="session")
def prepared_store(tmp_path_factory) -> Store:
    """The two competitions, prepared and stored once per test session (tests only read it)."""
    work = tmp_path_factory.mktemp("runner-data")
    return store_with(work / "store", TWO_COMPETITIONS, work)


@pytest.fixture
def data(prepared_store) -> Callable[[str], PreparedRef]:
    """The hand-off a run group takes its data from: :func:`mle_datasets.resolve` on the prepared store."""
    return lambda cid: resolve(cid, store=prepared_store)


@pytest.fixture(scope="session")
def docker_client():
    """A client for a real Docker engine (CI starts one and sets DOCKER_HOST); skipped elsewhere."""
    from runner.backends.docker import DockerUnavailable, docker_client as connect

    try:
        client = connect()
    except DockerUnavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Docker engine: {err}")
        pytest.skip(f"no Docker engine: {err}")
    return client


@pytest.fixture(scope="session")
def busybox_image(docker_client) -> str:
    from runner.images import BUSYBOX_IMAGE, build_busybox_image

    build_busybox_image(docker_client)
    return BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def python_image(docker_client) -> str:
    from runner.images import PYTHON_IMAGE, build_python_image

    cache = Path(os.environ.get("MLE_BENCH_IMAGE_CACHE", Path.home() / ".cache" / "open-mle-bench" / "images"))
    build_python_image(docker_client, cache)
    return PYTHON_IMAGE


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster per test process (4 CPUs, 2 logical GPUs), shared by the ray tests."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    if not ray.is_initialized():
        ray.init(num_cpus=4, num_gpus=2, log_to_driver=False, include_dashboard=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def short_tmp():
    """A folder with a short path under /tmp, for scratch roots (unix socket paths are limited to 107 bytes)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mlt", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
