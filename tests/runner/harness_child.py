"""A harness in a process of its own, for the test that kills it with ``kill -9`` mid-group.

``python -m tests.runner.harness_child CONFIG.json`` runs one run group on the docker backend as
``mle-bench run`` would; CONFIG names the store, the competitions, the seeds, the group folder, the scratch
root and the agent's script. (The ``__main__`` guard matters: the grading children re-import this module.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(config_path: str) -> int:
    from mle_datasets import Store, resolve
    from runner.agent_spec import parse_agent_spec
    from runner.backends.docker import DockerBackend
    from runner.rungroup import RunGroup

    config = json.loads(Path(config_path).read_text())
    store = Store(Path(config["store"]))
    agent = parse_agent_spec(config["agent"])
    group = RunGroup(agent, config["competitions"], Path(config["group_dir"]), DockerBackend(),
                     lambda cid: resolve(cid, store=store), seeds=config["seeds"], retries=0,
                     scratch_dir=Path(config["scratch"]))
    group.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
