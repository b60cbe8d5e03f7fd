"""The docker backend: each run in its own locked-down container (Docker SDK).

The security model (DESIGN.md): no network unless the agent spec opts in, a non-root user, every capability
dropped, no-new-privileges, a read-only root filesystem with a tmpfs ``/tmp``, the public data mounted
read-only, memory without swap, CPU and pids limits, a wall-clock limit enforced here (the container is
killed) and inside the container (:mod:`runner.guard`, which holds when the harness dies), a disk budget on
the writable folders (:mod:`runner.diskwatch`, plus a file-size rlimit), GPUs allotted per run, the engine's
own log copy capped, and the container always removed. Answers never enter the container: only the public
folder, the run's output folders, the instructions and the validation socket are mounted; the captured
stdout/stderr goes to ``output.log`` in the run folder, which no container can write.

Every container carries its run group, run id, owner, token and deadline as labels (:mod:`runner.owner`), so
:meth:`DockerBackend.reap` can remove what a dead harness left behind. Any error talking to the engine, at
any stage, is an infrastructure failure (``RunOutcome.infra_error`` names the stage), never a timeout and
never a traceback.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from runner import owner as owners
from runner.agent_spec import AgentSpec
from runner.backends.base import MAX_LOG_BYTES, Backend, InfrastructureError, LogWriter, RunOutcome, RunRequest, now
from runner.diskwatch import DiskWatch
from runner.gpus import choose_gpu_mode, gpu_container_settings
from runner.guard import GUARD_BUSYBOX, GUARD_GRACE, guarded_command, static_busybox
from runner.validation_service import SHELL_CLIENT

#: The unprivileged user agents run as inside containers (nobody:nogroup).
CONTAINER_USER = "65534:65534"
LABEL = "open-mle-bench"
#: Seconds a container may live past its wall clock before any reaper removes it, whoever owns it.
DEADLINE_SLACK = 60.0
#: Longest single wait on the engine; between two waits the harness checks that the engine still answers.
WAIT_SLICE = 5.0


class DockerUnavailable(InfrastructureError):
    """The Docker engine cannot be reached."""


def engine_errors() -> tuple[type[BaseException], ...]:
    """Every exception that means "the engine failed" (the SDK's, the HTTP layer's, the socket's)."""
    import docker.errors
    import requests.exceptions
    import urllib3.exceptions

    return (docker.errors.DockerException, requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
            OSError, ValueError)


def docker_client(base_url: str | None = None) -> Any:
    """A client for the engine at ``base_url`` (default: ``DOCKER_HOST`` or the default socket), checked with
    a ping."""
    import docker

    try:
        client = docker.DockerClient(base_url=base_url, timeout=30) if base_url else docker.from_env(timeout=30)
        client.ping()
    except engine_errors() as err:
        raise DockerUnavailable(
            f"the Docker engine is not reachable ({err}); start dockerd and set DOCKER_HOST "
            "(e.g. unix:///var/run/docker.sock), or use --backend local"
        ) from None
    return client


def container_settings(request: RunRequest, gpu_mode: str = "devices", *, guard: Path | None = None,
                       token: str = "", log_limit: int = MAX_LOG_BYTES,
                       created: float | None = None) -> dict[str, Any]:
    """The ``containers.create`` keyword arguments for a run (pure: unit-testable without an engine).

    ``guard`` is a static busybox on the host: with it the container's process 1 is the deadline guard
    (:mod:`runner.guard`); without it, Docker's init and only the harness's own kill.

    >>> from runner.agent_spec import parse_agent_spec
    >>> agent = parse_agent_spec({"name": "a", "image": "img", "command": ["run"], "resources": {"memory": "1g"}})
    >>> request = RunRequest("r", agent, "c", 0, Path("/p"), Path("/r"), Path("/i"))
    >>> s = container_settings(request, guard=Path("/bin/busybox"))
    >>> s["network_mode"], s["user"], s["cap_drop"], s["read_only"], s["memswap_limit"] == s["mem_limit"]
    ('none', '65534:65534', ['ALL'], True, True)
    >>> s["command"][:2], s["command"][-1], s["init"]
    (['/.mleb/busybox', 'sh'], 'run', False)
    """
    from docker.types import LogConfig, Ulimit

    agent = request.agent
    res = agent.resources
    created = time.time() if created is None else created
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
    command = list(agent.command)
    if guard is not None:
        volumes[str(guard)] = {"bind": GUARD_BUSYBOX, "mode": "ro"}
        command = guarded_command(command, res.wall_clock + GUARD_GRACE)
    labels = {
        LABEL: "1",
        **{f"{LABEL}.{k}": v for k, v in request.labels.items()},
        f"{LABEL}.owner": owners.me().label,
        f"{LABEL}.token": token,
        f"{LABEL}.deadline": str(int(created + res.wall_clock + DEADLINE_SLACK)),
    }
    settings: dict[str, Any] = {
        "image": agent.image,
        "command": command,
        "user": CONTAINER_USER,
        # not /tmp: Docker makes a working folder on a tmpfs mount root-only (0755), so /tmp became unwritable
        "working_dir": "/home/code",
        "environment": environment,
        "volumes": volumes,
        "network_mode": "none" if agent.network == "none" else agent.network,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "read_only": True,
        # tmpfs pages count as the container's memory: /tmp can never hold more than the memory limit
        "tmpfs": {"/tmp": f"rw,exec,mode=1777,size={res.memory}"},
        "nano_cpus": int(res.cpus * 1e9),
        "pids_limit": res.pids,
        "mem_limit": res.memory,
        "memswap_limit": res.memory,  # equal to the memory limit: no swap
        # no single file may outgrow the disk budget between two measurements of the disk watcher
        "ulimits": [Ulimit(name="fsize", soft=res.disk, hard=res.disk)],
        "log_config": LogConfig(type="json-file", config={"max-size": str(max(log_limit, 1024**2)),
                                                          "max-file": "2"}),
        "stop_signal": "SIGKILL",
        "init": guard is None,
        "detach": True,
        "labels": labels,
    }
    if res.shm is not None:
        settings["shm_size"] = res.shm
    gpu = gpu_container_settings(gpu_mode, list(request.gpu_ids))
    settings["environment"].update(gpu.pop("environment", {}))
    settings["volumes"].update(gpu.pop("volumes", {}))
    settings.update(gpu)
    return settings


class DockerBackend(Backend):
    """Run agents in containers on the engine at ``base_url`` (default: the one ``DOCKER_HOST`` names)."""

    name = "docker"
    enforces = frozenset({
        "outputs", "exit_code", "captured_logs", "log_cap", "wall_clock", "cancel", "cleanup", "orphan_guard",
        "disk", "memory", "pids", "network", "log_forgery",
    })

    def __init__(self, gpu_mode: str | None = None, base_url: str | None = None,
                 log_limit: int | None = None, harness_kill_delay: float = 0.0) -> None:
        self._client: Any = None
        self.base_url = base_url
        self.log_limit = MAX_LOG_BYTES if log_limit is None else log_limit
        #: seconds past the wall clock at which the harness itself kills (0; the conformance suite raises it
        #: to show that the in-container guard alone ends the run at its deadline)
        self.harness_kill_delay = harness_kill_delay
        self._gpu_mode_override = gpu_mode
        self._gpu_mode: str | None = None
        self._active: dict[str, Any] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self.guard = static_busybox()
        if self.guard is None:
            self.enforces = self.enforces - {"orphan_guard"}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = docker_client(self.base_url)
        return self._client

    @property
    def gpu_mode(self) -> str:
        if self._gpu_mode is None:
            self._gpu_mode = choose_gpu_mode(self.client.info(), self._gpu_mode_override)
        return self._gpu_mode

    def cancel_all(self) -> None:
        with self._lock:
            containers = list(self._active.values())
            self._cancelled.update(c.id for c in containers)
        for container in containers:
            _kill_quietly(container)

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
        except engine_errors() as err:
            raise DockerUnavailable(f"the Docker engine failed while looking up image {agent.image!r}: {err}") from None

    # -- one run --------------------------------------------------------------------------------------

    def run(self, request: RunRequest) -> RunOutcome:
        import docker.errors

        request.make_dirs()
        outcome = RunOutcome(started_at=now(), guarded=self.guard is not None)
        log = LogWriter(request.output_log, self.log_limit)
        token = owners.claim()
        container = None
        stage = "connecting to the engine"
        try:
            gpu_mode = self.gpu_mode if request.gpu_ids else "devices"
            settings = container_settings(request, gpu_mode, guard=self.guard, token=token,
                                          log_limit=self.log_limit)
            stage = "creating the container"
            container = self.client.containers.create(**settings)
            with self._lock:
                self._active[container.id] = container
            outcome.image_id = container.attrs.get("Image")
            # attached before it starts, so the captured output begins at its first byte however late the
            # pump runs (the engine's own capped copy rotates its beginning away under a flood)
            stage = "attaching to the container's output"
            output = container.attach(stdout=True, stderr=True, stream=True, logs=True)
            stage = "starting the container"
            started_at = time.time()
            container.start()
            pump = LogPump(output, log)
            pump.start()
            stage = "waiting for the container"
            wall_clock = request.agent.resources.wall_clock
            started = time.monotonic()
            with DiskWatch(request.disk_budgets(), lambda _reason: _kill_quietly(container)) as watch:
                outcome.exit_code, outcome.timed_out = self._wait(container, wall_clock + self.harness_kill_delay)
            # killed at the deadline by the in-container guard rather than by the harness: a timeout too
            outcome.timed_out |= (outcome.exit_code == 137 and time.monotonic() - started >= wall_clock
                                  and not watch.exceeded)
            watch.check_now()
            outcome.disk_exceeded, outcome.disk_detail = watch.exceeded, watch.reason
            stage = "reading the container's final state"
            container.reload()
            outcome.oom_killed = bool(container.attrs["State"].get("OOMKilled"))
            with self._lock:
                ours = outcome.timed_out or watch.exceeded or container.id in self._cancelled
            if outcome.exit_code == 137 and not ours and not outcome.oom_killed:
                stage = "checking who killed the container"
                killer = self._killed_from_outside(container, started_at)
                if killer:
                    raise InfrastructureError(killer)
            pump.join(timeout=10)
            if pump.error is not None:
                stage = "streaming the container's output"
                raise InfrastructureError(pump.error)
        except docker.errors.ImageNotFound as err:
            outcome.infra_error = f"image not found: {err.explanation or err}"
        except InfrastructureError as err:
            outcome.infra_error = f"docker engine error while {stage}: {err}"
        except engine_errors() as err:
            outcome.infra_error = f"docker engine error while {stage}: {_short(err)}"
        finally:
            if container is not None:
                with self._lock:
                    self._active.pop(container.id, None)
                    outcome.cancelled = container.id in self._cancelled
                    self._cancelled.discard(container.id)
                try:
                    container.remove(force=True)
                except docker.errors.NotFound:
                    pass
                except engine_errors() as err:
                    outcome.infra_error = outcome.infra_error or (
                        f"docker engine error while removing the container: {_short(err)}")
            owners.release(token)  # from here on, a container left behind is an orphan for the reaper
            log.close()
            outcome.log_truncated = log.truncated
            outcome.ended_at = now()
        if outcome.infra_error is not None:
            outcome.timed_out = False  # an engine failure is never the agent's timeout
        return outcome

    def _killed_from_outside(self, container: Any, since: float) -> str | None:
        """Why a container that died of SIGKILL was killed by someone other than the harness (the engine
        shutting down, another client's ``docker kill``), or None when no one killed it (the agent's own
        processes died of it). A stopping engine kills its containers while it still answers, so the exit
        status alone would pass for the agent's."""
        events = self.client.events(since=int(since) - 1, until=int(time.time()) + 1, decode=True,
                                    filters={"container": container.id, "event": "kill"})
        for event in events:
            signal = (event.get("Actor") or {}).get("Attributes", {}).get("signal", "?")
            return f"the container was killed from outside the harness (signal {signal}: the engine stopping, or " \
                   "another client)"
        return None

    def _wait(self, container: Any, seconds: float) -> tuple[int, bool]:
        """(exit code, timed out): wait in slices, checking between slices that the engine still answers, so
        that a lost engine is an engine error and only the wall clock is a timeout."""
        import docker.errors
        import requests.exceptions

        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                try:
                    container.kill()
                except docker.errors.APIError as err:
                    if err.status_code != 409:  # 409: not running any more (it ended just at the limit)
                        raise
                    return int(container.wait(timeout=60).get("StatusCode", -1)), False
                status = container.wait(timeout=60)
                return int(status.get("StatusCode", 137)), True
            try:
                status = container.wait(timeout=min(remaining, WAIT_SLICE) + 0.05)
                return int(status.get("StatusCode", -1)), False
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                self.client.ping()  # raises when the engine is gone

    # -- cleanup --------------------------------------------------------------------------------------

    def reap(self) -> dict[str, Any]:
        """Remove every labelled container whose owner is gone, whose token this process no longer holds, or
        whose deadline is long past (:func:`runner.owner.orphan_reason`); never raises."""
        removed: list[str] = []
        errors: list[str] = []
        try:
            listed = self.client.api.containers(all=True, filters={"label": LABEL})
        except (InfrastructureError, *engine_errors()) as err:
            return {"removed": removed, "errors": [f"cannot list containers: {_short(err)}"]}
        for summary in listed:
            labels = summary.get("Labels") or {}
            try:
                deadline = float(labels.get(f"{LABEL}.deadline", ""))
            except ValueError:
                deadline = None
            reason = owners.orphan_reason(labels.get(f"{LABEL}.owner"), labels.get(f"{LABEL}.token"), deadline)
            if reason is None:
                continue
            name = (summary.get("Names") or [summary["Id"][:12]])[0].lstrip("/")
            try:
                self.client.api.remove_container(summary["Id"], force=True)
                removed.append(f"container {name} ({labels.get(f'{LABEL}.run_id', '?')}): {reason}")
            except engine_errors() as err:
                errors.append(f"cannot remove container {name}: {_short(err)}")
        return {"removed": removed, "errors": errors}

    def remove_labelled(self, run_group: str | None = None) -> int:
        """Remove containers this runner left behind (all, or one run group's), whoever owns them; return how
        many."""
        label = f"{LABEL}.run_group={run_group}" if run_group else LABEL
        containers = self.client.containers.list(all=True, filters={"label": label})
        for container in containers:
            container.remove(force=True)
        return len(containers)


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) < 300 else text[:300] + "..."


class LogPump(threading.Thread):
    """Copies a container's attached output stream into the run's :class:`LogWriter`; ``error`` holds an
    engine error met while streaming (the run then counts as an infrastructure failure: its captured output is
    partial). Past the log's cap the stream is still drained, since an attached container that nobody reads
    blocks on its next write."""

    def __init__(self, output: Any, log: LogWriter) -> None:
        super().__init__(name="log-pump", daemon=True)
        self.output = output
        self.log = log
        self.error: str | None = None

    def run(self) -> None:
        try:
            for chunk in self.output:
                if not self.log.truncated:
                    self.log.write(chunk)
        except engine_errors() as err:
            self.error = _short(err)


def _kill_quietly(container: Any) -> None:
    try:
        container.kill()
    except Exception:  # noqa: BLE001 - it exited meanwhile, or the engine is gone (the wait will say)
        pass
