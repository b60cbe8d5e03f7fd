"""Runner overhead: a no-op agent through the docker backend beside a plain ``docker run --rm`` of the same image.

Prints, per run: create-to-agent-start (the agent prints the time it started), agent-end-to-teardown-done, and
the whole run; then the throughput of N no-op runs at parallelism 1, 2 and 4, beside the same number of plain
``docker run --rm`` calls at the same parallelism, all in the same run. Needs a Docker engine (DOCKER_HOST).

    python -m benchmarks.runner [--runs 8] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner.agent_spec import parse_agent_spec
from runner.backends import RunRequest
from runner.backends.docker import DockerBackend, docker_client
from runner.images import BUSYBOX_IMAGE, build_busybox_image


def _request(root: Path, i: int) -> RunRequest:
    public = root / "public"
    public.mkdir(exist_ok=True)
    instructions = root / "instructions.txt"
    instructions.write_text("noop")
    agent = parse_agent_spec({"name": "noop", "image": BUSYBOX_IMAGE, "command": ["sh", "-c", "cat /proc/uptime"],
                              "resources": {"cpus": 1, "memory": "64m", "wall_clock": 60}})
    return RunRequest(run_id=f"r{i}", agent=agent, competition_id="bench", seed=i, public_dir=public,
                      run_dir=root / f"run{i}", instructions=instructions)


def _uptime() -> float:
    # The kernel's uptime clock, which containers share with the host (busybox's date has no sub-seconds).
    return float(Path("/proc/uptime").read_text().split()[0])


def one_run(backend: DockerBackend, request: RunRequest) -> tuple[float, float, float]:
    """(create-to-start, end-to-teardown, total) seconds for one no-op run."""
    t0 = _uptime()
    outcome = backend.run(request)
    t1 = _uptime()
    started = float(request.output_log.read_text().split()[0])
    if outcome.exit_code != 0:
        raise RuntimeError(f"no-op run failed: {outcome}")
    return started - t0, t1 - started, t1 - t0


def plain_docker_run() -> float:
    t0 = time.time()
    subprocess.run(["docker", "run", "--rm", "--network", "none", BUSYBOX_IMAGE, "true"], check=True,
                   capture_output=True)
    return time.time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    build_busybox_image(docker_client())
    backend = DockerBackend()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = [one_run(backend, _request(root, i)) for i in range(args.repeats)]
        plain = [plain_docker_run() for _ in range(args.repeats)]
        print(f"{'per run (median of ' + str(args.repeats) + ')':<40}{'seconds':>10}")
        print(f"{'create -> agent start':<40}{statistics.median(s[0] for s in samples):>10.3f}")
        print(f"{'agent end -> teardown done':<40}{statistics.median(s[1] for s in samples):>10.3f}")
        print(f"{'whole run (docker backend)':<40}{statistics.median(s[2] for s in samples):>10.3f}")
        print(f"{'plain docker run --rm':<40}{statistics.median(plain):>10.3f}")
        print()
        print(f"{'parallelism':<14}{'backend runs/s':>16}{'plain runs/s':>16}{'ratio':>8}")
        for parallel in (1, 2, 4):
            with ThreadPoolExecutor(parallel) as pool:
                t0 = time.time()
                list(pool.map(lambda i: backend.run(_request(root, 1000 + i)), range(args.runs)))
                ours = args.runs / (time.time() - t0)
                t0 = time.time()
                list(pool.map(lambda _: plain_docker_run(), range(args.runs)))
                theirs = args.runs / (time.time() - t0)
            print(f"{parallel:<14}{ours:>16.2f}{theirs:>16.2f}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
