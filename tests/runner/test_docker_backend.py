"""The docker backend against a real engine: isolation, limits, cleanup, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.agent_spec import parse_agent_spec
from runner.backends import InfrastructureError, RunRequest
from runner.backends.docker import LABEL, DockerBackend, DockerUnavailable, container_settings, docker_client
from tests.runner.conftest import SECRET_MARKER


def _request(tmp_path: Path, image: str, script: str, **resources) -> RunRequest:
    prepared = tmp_path / "prepared"
    public = prepared / "public"
    public.mkdir(parents=True)
    (prepared / "private").mkdir()
    (prepared / "private" / "answers.csv").write_text(f"id,y\na,{SECRET_MARKER}\n")
    (public / "sample_submission.csv").write_text("id,p\na,0.5\n")
    instructions = tmp_path / "instructions.txt"
    instructions.write_text("do it")
    agent = parse_agent_spec({
        "name": "t", "image": image, "command": ["sh", "-c", script],
        "resources": {"wall_clock": 60, "memory": "128m", **resources},
    })
    return RunRequest(
        run_id="r", agent=agent, competition_id="c", seed=0, public_dir=public, run_dir=tmp_path / "run",
        instructions=instructions, labels={"run_group": "pytest"},
    )


def _log(request: RunRequest) -> str:
    return request.output_log.read_text()


def test_container_settings_apply_the_security_model(tmp_path):
    request = _request(tmp_path, "img", "true", cpus=1.5, pids=64, shm="64m")
    s = container_settings(request)
    assert s["network_mode"] == "none" and s["user"] == "65534:65534"
    assert s["cap_drop"] == ["ALL"] and s["security_opt"] == ["no-new-privileges"] and s["privileged"] is False
    assert s["read_only"] is True and "/tmp" in s["tmpfs"]
    assert s["mem_limit"] == s["memswap_limit"] == 128 * 1024**2
    assert s["nano_cpus"] == 1_500_000_000 and s["pids_limit"] == 64 and s["shm_size"] == 64 * 1024**2
    assert s["volumes"][str(request.public_dir)] == {"bind": "/home/data", "mode": "ro"}
    mounted = " ".join(s["volumes"])
    assert "private" not in mounted
    assert s["labels"][f"{LABEL}.run_group"] == "pytest"
    assert "storage_opt" not in s  # applies only to the (read-only) root filesystem, and fails on some drivers
    assert s["tmpfs"]["/tmp"].endswith(f"size={128 * 1024**2}")  # /tmp can never outgrow the memory limit
    assert s["init"] is True and s["command"] == ["sh", "-c", "true"]  # no guard given: Docker's init
    assert s["stop_signal"] == "SIGKILL"


def test_container_settings_with_the_guard_label_and_bound_everything(tmp_path):
    from runner.guard import GUARD_BUSYBOX
    from runner.owner import me

    request = _request(tmp_path, "img", "true", wall_clock=100, disk="2g")
    s = container_settings(request, guard=tmp_path / "busybox", token="tok", log_limit=5 * 1024**2,
                           created=1000.0)
    assert s["init"] is False and s["command"][:3] == [GUARD_BUSYBOX, "sh", "-c"]
    assert s["command"][4:] == ["mleb-guard", "102", "sh", "-c", "true"]  # deadline: the wall clock + grace
    assert s["volumes"][str(tmp_path / "busybox")] == {"bind": GUARD_BUSYBOX, "mode": "ro"}
    labels = s["labels"]
    assert labels[f"{LABEL}.owner"] == me().label and labels[f"{LABEL}.token"] == "tok"
    assert labels[f"{LABEL}.deadline"] == str(1000 + 100 + 60)
    assert [(u["Name"], u["Soft"], u["Hard"]) for u in s["ulimits"]] == [("fsize", 2 * 1024**3, 2 * 1024**3)]
    assert s["log_config"]["Type"] == "json-file" and s["log_config"]["Config"] == {
        "max-size": str(5 * 1024**2), "max-file": "2"}


def test_agent_runs_unprivileged_without_network_and_writes_its_submission(tmp_path, docker_client, busybox_image):
    script = (
        'cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"; id -u; ls /sys/class/net; '
        'grep CapEff /proc/self/status; wget -q -T 2 -O- http://1.1.1.1 >/dev/null 2>&1 && echo NET-OK || echo NO-NET; '
        'touch /home/data/x 2>/dev/null && echo DATA-WRITABLE || echo DATA-RO'
    )
    request = _request(tmp_path, busybox_image, script)
    outcome = DockerBackend().run(request)
    log = _log(request)
    assert outcome.exit_code == 0, log
    assert (request.submission_dir / "submission.csv").read_text() == "id,p\na,0.5\n"
    lines = log.split()
    assert lines[0] == "65534" and lines[1] == "lo"
    assert "CapEff:\t0000000000000000" in log
    assert "NO-NET" in log and "DATA-RO" in log
    assert docker_client.containers.list(all=True, filters={"label": f"{LABEL}.run_id=r"}) == []


def test_answers_are_nowhere_in_the_container(tmp_path, busybox_image):
    # The search reaches the mounts (it finds the control marker in public/) but never the answers' marker.
    control = "PUBLIC-CONTROL-77"
    script = (
        rf"find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f "
        rf"-exec grep -l -e {SECRET_MARKER} -e {control} {{}} +; env | grep -i -e private -e {SECRET_MARKER}; echo done"
    )
    request = _request(tmp_path, busybox_image, script)
    (request.public_dir / "control.txt").write_text(control)
    outcome = DockerBackend().run(request)
    assert outcome.exit_code == 0
    assert _log(request).split() == ["/home/data/control.txt", "done"]


def test_wall_clock_limit_kills_the_container(tmp_path, busybox_image):
    request = _request(tmp_path, busybox_image, "sleep 60; echo never", wall_clock=1)
    outcome = DockerBackend().run(request)
    assert outcome.timed_out and outcome.exit_code == 137
    assert "never" not in _log(request)


def test_memory_limit_kill_is_recorded_as_oom(tmp_path, busybox_image):
    request = _request(tmp_path, busybox_image, "tail /dev/zero", memory="32m")
    outcome = DockerBackend().run(request)
    assert outcome.oom_killed and outcome.exit_code == 137 and not outcome.timed_out


def test_agent_exit_code_and_missing_submission_are_recorded(tmp_path, busybox_image):
    request = _request(tmp_path, busybox_image, "echo fail; exit 4")
    outcome = DockerBackend().run(request)
    assert outcome.exit_code == 4 and outcome.infra_error is None
    assert not (request.submission_dir / "submission.csv").exists()


def test_unknown_image_is_a_clear_error_before_any_run(tmp_path, docker_client):
    request = _request(tmp_path, "no-such-image:never", "true")
    with pytest.raises(InfrastructureError, match="not on this engine"):
        DockerBackend().check(request.agent)
    outcome = DockerBackend().run(request)
    assert outcome.infra_error and "not found" in outcome.infra_error


def test_engine_down_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    with pytest.raises(DockerUnavailable, match="not reachable.*start dockerd"):
        docker_client()


def test_run_group_in_containers_with_the_validation_socket(tmp_path, data, python_image):
    """Dummy-like agent in the Python image: it validates a good file with MLE-bench's script and a bad one
    with the Python client, both through the socket."""
    from runner.rungroup import RunGroup
    from tests.runner.conftest import TWO_COMPETITIONS

    script = (
        'cp /home/data/sample_submission.csv /home/submission/submission.csv; '
        '/home/validate_submission.sh /home/submission/submission.csv; echo "rc=$?"; '
        'printf "id,x\\n1,2\\n" > /tmp/bad.csv; python3 /home/validate/validate.py /tmp/bad.csv; echo "rc=$?"'
    )
    agent = parse_agent_spec({"name": "validating", "image": python_image, "command": ["sh", "-c", script],
                              "resources": {"wall_clock": 60, "memory": "256m"}})
    group = RunGroup(agent, list(TWO_COMPETITIONS), tmp_path / "runs" / "g", DockerBackend(),
                     data, parallel=2)
    metas = group.run()
    for meta in metas:
        log = (Path(meta["submission_path"]).parents[1] / "output.log").read_text()
        assert "Submission is valid.\nrc=0" in log
        assert "Submission is invalid:" in log and log.rstrip().endswith("rc=1")
        assert meta["report"]["valid_submission"] is True and meta["image_id"].startswith("sha256:")


def test_dummy_agent_in_containers_on_two_competitions(tmp_path, data, busybox_image):
    from runner.agent_spec import load_agent
    from runner.rungroup import RunGroup
    from tests.runner.conftest import TWO_COMPETITIONS

    dummy = load_agent("dummy")
    assert dummy.image == busybox_image
    group = RunGroup(dummy, list(TWO_COMPETITIONS), tmp_path / "runs" / "g", DockerBackend(),
                     data)
    metas = group.run()
    assert [m["competition_id"] for m in metas] == list(TWO_COMPETITIONS)
    for meta in metas:
        assert meta["exit_code"] == 0 and meta["network"] == "none" and meta["backend"] == "docker"
        assert meta["report"]["valid_submission"] is True and meta["report"]["score"] is not None


def test_reap_removes_orphans_and_keeps_what_a_live_owner_runs(docker_client, busybox_image):
    """A container of this process whose token is released is an orphan; one whose token is held, or whose
    owner is on another machine and within its deadline, is kept."""
    import time

    from runner.owner import claim, me, release

    held, released = claim(), claim()
    release(released)
    group = f"reap-{time.time_ns()}"
    future = str(int(time.time()) + 3600)
    marks = {"held": (me().label, held), "released": (me().label, released), "remote": ("elsewhere/b/1/1", "t")}
    ids = {}
    for name, (owner, token) in marks.items():
        container = docker_client.containers.create(busybox_image, ["sleep", "60"], labels={
            LABEL: "1", f"{LABEL}.run_group": group, f"{LABEL}.run_id": name, f"{LABEL}.owner": owner,
            f"{LABEL}.token": token, f"{LABEL}.deadline": future})
        ids[name] = container.id
    try:
        result = DockerBackend().reap()
        left = {c["Labels"][f"{LABEL}.run_id"] for c in docker_client.api.containers(
            all=True, filters={"label": f"{LABEL}.run_group={group}"})}
        assert left == {"held", "remote"}
        assert any("(released): its owner (this process) no longer runs it" in r for r in result["removed"])
    finally:
        release(held)
        for container_id in ids.values():
            try:
                docker_client.api.remove_container(container_id, force=True)
            except Exception:  # noqa: BLE001 - already reaped
                pass
