"""The ray backend on a local Ray cluster with logical GPUs: each run a task holding its own GPU."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runner.agent_spec import parse_agent_spec
from runner.backends import RunRequest, get_backend

ray = pytest.importorskip("ray")


@pytest.fixture
def ray_backend(ray_cluster):
    return get_backend("ray")


def _request(tmp_path: Path, i: int, gpus: int) -> RunRequest:
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    instructions = tmp_path / "instructions.txt"
    instructions.write_text("x")
    agent = parse_agent_spec({
        "name": "t", "command": ["sh", "-c", 'echo "gpus=$CUDA_VISIBLE_DEVICES"; sleep 0.5'],
        "resources": {"gpus": gpus, "cpus": 1, "wall_clock": 60},
    })
    return RunRequest(run_id=f"r{i}", agent=agent, competition_id="c", seed=i, public_dir=public,
                      run_dir=tmp_path / f"run{i}", instructions=instructions)


def test_each_run_gets_its_own_logical_gpu(tmp_path, ray_backend):
    requests = [_request(tmp_path, i, gpus=1) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(ray_backend.run, requests))
    assert all(o.exit_code == 0 and o.infra_error is None for o in outcomes)
    seen = [r.output_log.read_text().strip() for r in requests]
    assert sorted({o.gpu_ids[0] for o in outcomes}) == ["0", "1"]
    assert all(s == f"gpus={o.gpu_ids[0]}" for s, o in zip(seen, outcomes))


def test_asking_for_more_gpus_than_the_cluster_has_is_refused(tmp_path, ray_backend):
    with pytest.raises(RuntimeError, match="asks for 3 GPU"):
        ray_backend.check(_request(tmp_path, 0, gpus=3).agent)
