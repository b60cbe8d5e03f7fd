"""The ray backend: each run a Ray task holding the run's CPUs and GPUs, running the local or docker backend.

Ray schedules the task on a node with the resources free and tells it which GPUs it holds
(``ray.get_gpu_ids()``); the inner backend then hands exactly those to the agent. ``address`` joins an existing
cluster (``ray.init(address=...)``); without it a local cluster starts (``num_cpus``/``num_gpus`` declare its
size; GPUs may be logical, which is how the tests schedule GPUs on a machine without one). Run folders and
prepared data must be on storage every node sees (the validation socket is served by the node that runs the
group, so on a multi-node cluster turn validation off or run the group on the node that holds the run).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from runner.agent_spec import AgentSpec
from runner.backends.base import Backend, RunOutcome, RunRequest, now


def _run_on_node(request: RunRequest, inner: str, inner_options: dict[str, Any]) -> dict[str, Any]:
    import ray

    from runner.backends import get_backend

    gpu_ids = tuple(str(int(g)) if isinstance(g, float) else str(g) for g in ray.get_gpu_ids())
    request = dataclasses.replace(request, gpu_ids=gpu_ids)
    outcome = get_backend(inner, **inner_options).run(request)
    result = outcome.to_dict()
    result["gpu_ids"] = list(gpu_ids)
    result["node_id"] = ray.get_runtime_context().get_node_id()
    return result


class RayBackend(Backend):
    """Send each run to a Ray cluster as a task with ``num_cpus``/``num_gpus`` from the agent's resources."""

    name = "ray"
    allots_gpus = True

    def __init__(
        self,
        address: str | None = None,
        inner: str = "local",
        num_cpus: int | None = None,
        num_gpus: int | None = None,
        inner_options: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.inner = inner
        self.inner_options = inner_options or {}
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self._init_lock = threading.Lock()
        self._lock = threading.Lock()
        self._active: dict[str, Any] = {}  # run id -> the task's ObjectRef
        self._cancelled: set[str] = set()
        from runner.backends import get_backend

        # a Ray task enforces what its inner backend enforces (the inner backend runs inside the task)
        self.enforces = get_backend(inner, **self.inner_options).enforces

    def _ensure_ray(self) -> Any:
        import ray

        with self._init_lock:
            if ray.is_initialized():
                return ray
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.num_cpus, num_gpus=self.num_gpus, log_to_driver=False,
                         include_dashboard=False)
        return ray

    def check(self, agent: AgentSpec) -> None:
        ray = self._ensure_ray()
        total = ray.cluster_resources()
        if agent.resources.gpus > total.get("GPU", 0):
            raise RuntimeError(
                f"agent {agent.name!r} asks for {agent.resources.gpus} GPU(s) per run; "
                f"the Ray cluster has {int(total.get('GPU', 0))}"
            )

    def run(self, request: RunRequest) -> RunOutcome:
        ray = self._ensure_ray()
        res = request.agent.resources
        task = ray.remote(num_cpus=min(res.cpus, ray.cluster_resources().get("CPU", 1)), num_gpus=res.gpus)(
            _run_on_node
        )
        ref = task.remote(request, self.inner, self.inner_options)
        with self._lock:
            self._active[request.run_id] = ref
        try:
            result = ray.get(ref)
        except (ray.exceptions.TaskCancelledError, ray.exceptions.RayTaskError) as err:
            with self._lock:
                cancelled = request.run_id in self._cancelled
            if cancelled:
                return RunOutcome(cancelled=True, ended_at=now())
            return RunOutcome(infra_error=f"ray task failed: {str(err)[:300]}", ended_at=now())
        except ray.exceptions.RayError as err:
            return RunOutcome(infra_error=f"ray task failed: {str(err)[:300]}", ended_at=now())
        finally:
            with self._lock:
                self._active.pop(request.run_id, None)
                self._cancelled.discard(request.run_id)
        result.pop("node_id")
        return RunOutcome(**result)

    def cancel_all(self) -> None:
        """Cancel every task in flight. The task is interrupted (KeyboardInterrupt in the worker), so its inner
        backend kills the agent as on Ctrl-C; a worker that does not stop within seconds is killed, and then
        the inner backend's guard (the agent's parent process, or the container's deadline and the reaper)
        ends the agent."""
        import ray

        with self._lock:
            refs = dict(self._active)
            self._cancelled.update(refs)
        for ref in refs.values():
            try:
                ray.cancel(ref, force=False)
            except Exception:  # noqa: BLE001 - it finished meanwhile
                pass
        if refs:
            threading.Thread(target=self._force_cancel, args=(list(refs.values()),), daemon=True).start()

    def _force_cancel(self, refs: list[Any], grace: float = 5.0) -> None:
        import ray

        _, pending = ray.wait(refs, num_returns=len(refs), timeout=grace)
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001
                pass
