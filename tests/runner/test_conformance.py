"""The backend conformance suite (runner/conformance.py) against every backend: local, docker (real engine)
and ray (a local cluster, running the local backend in its tasks). Each backend is checked for every
capability it claims, and every backend must claim the behaviours they all share."""

from __future__ import annotations

import pytest

from runner.backends.base import CAPABILITIES
from runner.backends.docker import DockerBackend
from runner.backends.local import LocalBackend
from runner.conformance import CHECKS, Harness

#: What every backend must do, whatever it runs on (memory, pids, network and log forgery need a sandbox).
COMMON = {"outputs", "exit_code", "captured_logs", "log_cap", "wall_clock", "cancel", "cleanup", "orphan_guard",
          "disk"}
CLAIMS = {"local": LocalBackend.enforces, "docker": DockerBackend.enforces, "ray": LocalBackend.enforces}


@pytest.fixture
def harness(request, tmp_path):
    name = request.param
    if name == "local":
        return Harness(lambda **options: LocalBackend(**options), tmp_path)
    if name == "docker":
        request.getfixturevalue("docker_client")
        image = request.getfixturevalue("busybox_image")
        return Harness(lambda **options: DockerBackend(**options), tmp_path, image)
    request.getfixturevalue("ray_cluster")
    from runner.backends.ray import RayBackend

    return Harness(lambda **options: RayBackend(inner="local", inner_options=options), tmp_path)


CASES = [(backend, check) for backend in ("local", "docker", "ray") for check in CHECKS
         if check.capability in CLAIMS[backend]]


@pytest.mark.parametrize("harness, check", CASES, indirect=["harness"],
                         ids=[f"{b}-{c.name}" for b, c in CASES])
def test_backend_conforms(harness, check):
    check.run(harness)


def test_every_backend_claims_the_common_behaviours():
    from runner.backends.ray import RayBackend

    ray_claims = RayBackend(inner="local").enforces
    for name, claims in {**CLAIMS, "ray": ray_claims}.items():
        assert COMMON <= claims, f"{name} lacks {sorted(COMMON - claims)}"
    assert DockerBackend.enforces == set(CAPABILITIES)
    assert {c.capability for c in CHECKS} == set(CAPABILITIES)  # every capability has a check
    assert RayBackend(inner="docker").enforces == DockerBackend().enforces
