"""The docker backend: each run in its own locked-down container (Docker SDK).

The security model (DESIGN.md): no network unless the agent spec opts in, a non-root user, every capability
dropped, no-new-privileges, a read-only root filesystem with a small tmpfs ``/tmp``, the public data mounted
read-only, memory without swap, CPU and pids limits, a wall-clock limit enforced here (the container is
killed), GPUs allotted per run, and the container always removed. Answers never enter the container: only
the public folder, the run's output folders, the instructions and the validation socket are mounted.
"""

from __future__ import annotations

import threading
from typing import Any

from runner.agent_spec import AgentSpec
from runner.backends.base import Backend, InfrastructureError, LogWriter, RunOutcome, RunRequest, now
from runner.gpus import choose_gpu_mode, gpu_container_settings
from runner.validation_service import SHELL_CLIENT

#: The unprivileged user agents run as inside containers (nobody:nogroup).
CONTAINER_USER = "65534:65534"
LABEL = "open-mle-bench"


class DockerUnavailable(InfrastructureError):
    """The Docker engine cannot be reached."""


def docker_client() -> Any:
    """A client for the engine named by ``DOCKER_HOST`` (or the default socket), checked with a ping."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except (docker.errors.DockerException, OSError) as err:
        raise DockerUnavailable(
            f"the Docker engine is not reachable ({err}); start dockerd and set DOCKER_HOST "
            "(e.g. unix:///var/run/docker.sock), or use --backend local"
        ) from None
    return client


def container_settings(request: RunRequest, gpu_mode: str = "devices") -> dict[str, Any]:
    """The ``containers.create`` keyword arguments for a run (pure: unit-testable without an engine)."""
    agent = request.agent
    res = agent.resources
    volumes: dict[str, dict[str, str]] = {
        str(request.public_dir): {"bind": "/home/data", "mode": "ro"},
        str(request.submission_dir): {"bind": "/home/submission", "mode": "rw"},
        str(request.logs_dir): {"bind": "/home/logs", "mode": "rw"},
        str(request.code_dir): {"bind": "/home/code", "mode": "rw"},
        str(request.instructions): {"bind": "/home/instructions.txt", "mode": "ro"},
    }
    environment = {
        **agent.env,
        "DATA_DIR": "/home/data",
        "SUBMISSION_DIR": "/home/submission",
        "LOGS_DIR": "/home/logs",
        "CODE_DIR": "/home/code",
        "INSTRUCTIONS": "/home/instructions.txt",
        "COMPETITION_ID": request.competition_id,
        "SEED": str(request.seed),
        "HOME": "/tmp",
    }
    if request.validate_socket is not None:
        volumes[str(request.validate_socket.parent)] = {"bind": "/home/validate", "mode": "ro"}
        volumes[str(request.validate_socket.parent / SHELL_CLIENT)] = {"bind": f"/home/{SHELL_CLIENT}", "mode": "ro"}
        environment["VALIDATE_SOCKET"] = f"/home/validate/{request.validate_socket.name}"
        environment["VALIDATE_SUBMISSION"] = f"/home/{SHELL_CLIENT}"
    settings: dict[str, Any] = {
        "image": agent.image,
        "command": list(agent.command),
        "user": CONTAINER_USER,
        "working_dir": "/tmp",
        "environment": environment,
        "volumes": volumes,
        "network_mode": "none" if agent.network == "none" else agent.network,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "read_only": True,
        "tmpfs": {"/tmp": "rw,exec,size=1g"},
        "nano_cpus": int(res.cpus * 1e9),
        "pids_limit": res.pids,
        "init": True,
        "detach": True,
        "labels": {LABEL: "1", **{f"{LABEL}.{k}": v for k, v in request.labels.items()}},
    }
    if res.memory is not None:
        settings["mem_limit"] = res.memory
        settings["memswap_limit"] = res.memory  # equal to the memory limit: no swap
    if res.shm is not None:
        settings["shm_size"] = res.shm
    if res.disk is not None:
        settings["storage_opt"] = {"size": str(res.disk)}
    gpu = gpu_container_settings(gpu_mode, list(request.gpu_ids))
    settings["environment"].update(gpu.pop("environment", {}))
    settings["volumes"].update(gpu.pop("volumes", {}))
    settings.update(gpu)
    return settings


class DockerBackend(Backend):
    """Run agents in containers on the engine ``DOCKER_HOST`` names."""

    name = "docker"

    def __init__(self, gpu_mode: str | None = None) -> None:
        self._client: Any = None
        self._gpu_mode_override = gpu_mode
        self._gpu_mode: str | None = None
        self._active: dict[str, Any] = {}
        self._lock = threading.Lock()

    def cancel_all(self) -> None:
        with self._lock:
            containers = list(self._active.values())
        for container in containers:
            _kill(container)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = docker_client()
        return self._client

    @property
    def gpu_mode(self) -> str:
        if self._gpu_mode is None:
            self._gpu_mode = choose_gpu_mode(self.client.info(), self._gpu_mode_override)
        return self._gpu_mode

    def check(self, agent: AgentSpec) -> None:
        import docker.errors

        if not agent.image:
            raise InfrastructureError(f"agent {agent.name!r} names no image; the docker backend needs one")
        try:
            self.client.images.get(agent.image)
        except docker.errors.ImageNotFound:
            raise InfrastructureError(
                f"image {agent.image!r} is not on this engine; build or load it first (`docker images` lists them)"
            ) from None

    def run(self, request: RunRequest) -> RunOutcome:
        import docker.errors
        import requests.exceptions

        request.make_dirs()
        outcome = RunOutcome(started_at=now())
        container = None
        log = LogWriter(request.logs_dir / "agent.log")
        try:
            settings = container_settings(request, self.gpu_mode if request.gpu_ids else "devices")
            container = self.client.containers.create(**settings)
            with self._lock:
                self._active[container.id] = container
            outcome.image_id = container.image.id
            container.start()
            pump = threading.Thread(target=_pump_logs, args=(container, log), daemon=True)
            pump.start()
            try:
                status = container.wait(timeout=request.agent.resources.wall_clock)
                outcome.exit_code = int(status.get("StatusCode", -1))
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                outcome.timed_out = True
                _kill(container)
                outcome.exit_code = int(container.wait(timeout=60).get("StatusCode", 137))
            container.reload()
            outcome.oom_killed = bool(container.attrs["State"].get("OOMKilled"))
            pump.join(timeout=10)
        except docker.errors.ImageNotFound as err:
            outcome.infra_error = f"image not found: {err.explanation or err}"
        except (docker.errors.APIError, docker.errors.DockerException, OSError) as err:
            outcome.infra_error = f"docker engine error: {err}"
        finally:
            if container is not None:
                with self._lock:
                    self._active.pop(container.id, None)
                try:
                    container.remove(force=True)
                except docker.errors.DockerException:
                    pass
            log.close()
            outcome.log_truncated = log.truncated
            outcome.ended_at = now()
        return outcome

    def remove_labelled(self, run_group: str | None = None) -> int:
        """Remove containers this runner left behind (all, or one run group's); return how many."""
        label = f"{LABEL}.run_group={run_group}" if run_group else LABEL
        containers = self.client.containers.list(all=True, filters={"label": label})
        for container in containers:
            container.remove(force=True)
        return len(containers)


def _pump_logs(container: Any, log: LogWriter) -> None:
    try:
        for chunk in container.logs(stream=True, follow=True):
            log.write(chunk)
    except Exception:  # noqa: BLE001 - the container went away; the outcome says how
        return


def _kill(container: Any) -> None:
    import docker.errors

    try:
        container.kill()
    except docker.errors.APIError:
        pass  # it exited on its own meanwhile
