"""The attack corpus: a hostile agent against the docker backend and the run group, on a real engine.

Each test is bounded in time and size (64 MiB containers, wall clocks of a few seconds, small disk and log
budgets) and asserts what the harness recorded (the run's outcome, ``metadata.json``, the grade report,
``harness.log``) and that nothing is left behind: no container, no process, no scratch folder.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from runner.agent_spec import parse_agent_spec
from runner.backends import RunRequest
from runner.backends.docker import LABEL, DockerBackend
from runner.conformance import FORK_BOMB, Harness, check_memory, check_pids, check_wall_clock
from runner.grading import GradingLimits
from runner.rungroup import RunGroup
from runner.scratch import PREFIX
from runner.validation_service import ValidationService
from tests.runner.conftest import SECRET_MARKER, TWO_COMPETITIONS

REPO = Path(__file__).resolve().parents[2]
PATH_MARKER = "PRIVATE-PATH-9d2e"
CONTROL_MARKER = "PUBLIC-CONTROL-77"
SPOOKY = TWO_COMPETITIONS[1]


def _request(tmp_path: Path, image: str, script: list[str] | str, socket_path: Path | None = None,
             **resources) -> RunRequest:
    """A run whose private answers (next to its public folder on the host) carry markers in content and path."""
    prepared = tmp_path / "prepared"
    public = prepared / f"public-{CONTROL_MARKER}"
    public.mkdir(parents=True)
    private = prepared / PATH_MARKER
    private.mkdir()
    (private / "answers.csv").write_text(f"id,y\na,{SECRET_MARKER}\n")
    (public / "sample_submission.csv").write_text("id,p\na,0.5\n")
    (public / "control.txt").write_text(f"public-{CONTROL_MARKER}")
    instructions = tmp_path / "instructions.txt"
    instructions.write_text("do it")
    command = ["sh", "-c", script] if isinstance(script, str) else script
    agent = parse_agent_spec({"name": "attacker", "image": image, "command": command,
                              "resources": {"wall_clock": 30, "memory": "64m", "pids": 64, **resources}})
    return RunRequest(run_id=f"attack-{uuid.uuid4().hex[:8]}", agent=agent, competition_id="c", seed=0,
                      public_dir=public, run_dir=tmp_path / "run", instructions=instructions,
                      validate_socket=socket_path, labels={"run_group": "attacks"})


def _labelled(client, key: str, value: str) -> list[dict]:
    return client.api.containers(all=True, filters={"label": f"{LABEL}.{key}={value}"})


def _scratch_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(PREFIX))


def _meta_by_seed(metas: list[dict]) -> dict[int, dict]:
    return {m["seed"]: m for m in metas}


def _group_dir(tmp_path: Path) -> Path:
    """A run group folder with a name of its own (parallel test workers share the engine)."""
    return tmp_path / "runs" / f"g-{uuid.uuid4().hex[:8]}"


# -- what the agent can see and reach --------------------------------------------------------------

def test_answers_are_nowhere_in_the_container_not_even_in_proc(tmp_path, busybox_image):
    """Every file on every mount and every process's environment, command line and mount table: the control
    marker (the public folder's name and a public file) is found, the answers' content and path never."""
    # the markers are assembled in a file at run time: no command line ever holds one whole, or /proc would
    # show it in the searching process's own command line
    patterns = " ".join(f"'{m[:5]}' '{m[5:]}'" for m in (SECRET_MARKER, PATH_MARKER, f"public-{CONTROL_MARKER}"))
    script = (
        rf"printf '%s%s\n' {patterns} > /dev/shm/p; head -n 2 /dev/shm/p > /dev/shm/answers; "
        rf"find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f "
        rf"-exec grep -l -F -f /dev/shm/p {{}} + 2>/dev/null; "
        rf"for p in /proc/[0-9]*; do cat $p/environ $p/cmdline $p/mountinfo 2>/dev/null; done | tr '\0' '\n' "
        rf"| grep -o -F -f /dev/shm/p | sort -u; "
        rf"cat /proc/self/cgroup /proc/self/mounts /proc/cmdline | grep -F -f /dev/shm/answers; echo done"
    )
    request = _request(tmp_path, busybox_image, script)
    outcome = DockerBackend().run(request)
    assert outcome.exit_code == 0 and outcome.infra_error is None
    found = request.output_log.read_text().split()
    assert found == ["/home/data/control.txt", f"public-{CONTROL_MARKER}", "done"], found


def test_no_network_and_no_host_socket_is_reachable(tmp_path, python_image, short_tmp):
    """Only the loopback interface; the host's loopback TCP port, an abstract unix socket of the host and the
    engine's socket are unreachable; the only socket file in the container is the validation socket."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    abstract = socket.socket(socket.AF_UNIX)
    abstract_name = f"mleb-attack-{uuid.uuid4().hex[:8]}"
    abstract.bind("\0" + abstract_name)
    abstract.listen(1)
    engine_socket = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    probe = f"""
import os, socket
print("interfaces", sorted(os.listdir("/sys/class/net")))
def attempt(family, address):
    s = socket.socket(family)
    s.settimeout(2)
    try:
        s.connect(address)
        return "CONNECTED"
    except OSError as err:
        return type(err).__name__
print("tcp", attempt(socket.AF_INET, ("127.0.0.1", {tcp.getsockname()[1]})))
print("outside", attempt(socket.AF_INET, ("1.1.1.1", 53)))
print("abstract", attempt(socket.AF_UNIX, "\\0{abstract_name}"))
print("engine", attempt(socket.AF_UNIX, "{engine_socket}"), attempt(socket.AF_UNIX, "/var/run/docker.sock"))
found = []
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    for name in files:
        path = os.path.join(root, name)
        try:
            if os.stat(path, follow_symlinks=False).st_mode & 0o170000 == 0o140000:
                found.append(path)
        except OSError:
            pass
print("sockets", found)
"""
    (tmp_path / "sample.csv").write_text("id,EAP,HPL,MWS\nid1,0.3,0.3,0.4\n")
    service = ValidationService(SPOOKY, tmp_path / "sample.csv", short_tmp / "v")
    service.start()
    try:
        request = _request(tmp_path, python_image, ["python3", "-c", probe], socket_path=service.socket_path)
        outcome = DockerBackend().run(request)
    finally:
        service.stop()
        tcp.close()
        abstract.close()
    log = dict(line.split(" ", 1) for line in request.output_log.read_text().splitlines())
    assert outcome.exit_code == 0, log
    assert log["interfaces"] == "['lo']"
    assert log["tcp"] == "ConnectionRefusedError"  # the container's own loopback, not the host's
    assert log["outside"] in ("OSError", "TimeoutError")  # "network is unreachable": no route at all
    assert log["abstract"] == "ConnectionRefusedError"  # abstract sockets live in the host's network namespace
    assert log["engine"] == "FileNotFoundError FileNotFoundError"
    assert log["sockets"] == "['/home/validate/socket']"


def test_no_privilege_and_no_capability(tmp_path, busybox_image):
    """No capabilities at all, no-new-privileges, seccomp, an unprivileged uid; mounting, writing /proc/sys,
    /sys, the root filesystem or the data, and setuid escalation all fail."""
    script = (
        "grep -e '^Cap' -e NoNewPrivs -e '^Seccomp:' /proc/self/status; id -u; "
        "mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED; "
        "{ echo x > /proc/sys/kernel/hostname; } 2>/dev/null && echo PROCSYS-WRITABLE; "
        "touch /sys/x 2>/dev/null && echo SYS-WRITABLE; touch /bin/x 2>/dev/null && echo ROOT-WRITABLE; "
        "touch /home/data/x 2>/dev/null && echo DATA-WRITABLE; su -c id 2>/dev/null && echo SU-WORKED; "
        "chroot / true 2>/dev/null && echo CHROOT-WORKED; echo end"
    )
    request = _request(tmp_path, busybox_image, script)
    outcome = DockerBackend().run(request)
    assert outcome.exit_code == 0 and outcome.infra_error is None
    lines = request.output_log.read_text().split("\n")
    fields = dict(line.split(":\t") for line in lines if ":\t" in line)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert fields[cap] == "0000000000000000", (cap, fields[cap])
    assert fields["NoNewPrivs"] == "1" and fields["Seccomp"] == "2"
    assert [line for line in lines if ":\t" not in line and line] == ["65534", "end"]


# -- resources: one run group of hostile seeds -------------------------------------------------------

RESOURCE_ATTACKS = {
    0: FORK_BOMB,  # forks up to the pids limit and holds them
    1: "tail /dev/zero",  # memory
    2: 'i=0; while [ $i -lt 30 ]; do dd if=/dev/zero of=/tmp/fill$i bs=1M count=16 2>/dev/null; i=$((i+1)); '
       'done; echo "tmp=$(cat /tmp/fill* | wc -c)"',  # tmpfs: 480 MiB into a 64 MiB container
    3: "trap '' TERM; (trap '' TERM; sleep 300) & sleep 300",  # wall clock, SIGTERM ignored, a grandchild
    4: ('echo REAL-OUTPUT; tr "\\0" x < /dev/zero | head -c 40000000; echo; rm -rf "$LOGS_DIR"/*; '
        'echo FORGED > "$LOGS_DIR/agent.log"; echo FORGED >> "$LOGS_DIR/../output.log" 2>/dev/null; exit 0'),
    5: 'i=0; while [ $i -lt 64 ]; do dd if=/dev/zero of="$CODE_DIR/fill$i" bs=1M count=16 2>/dev/null; '
       'i=$((i+1)); done; echo WROTE-1-GIB',  # disk fill of the writable folders
    6: 'i=0; while [ $i -lt 64 ]; do dd if=/dev/zero of="$LOGS_DIR/log$i" bs=1M count=4 2>/dev/null; '
       'i=$((i+1)); done; echo WROTE-256-MIB',  # the agent's own log folder
}


def _dispatch(attacks: dict[int, str]) -> str:
    cases = " ".join(f"{seed}) {script};;" for seed, script in attacks.items())
    return f'case "$SEED" in {cases} esac'


def test_resource_attacks_are_recorded_and_leave_nothing(tmp_path, data, busybox_image, docker_client, short_tmp):
    agent = parse_agent_spec({"name": "attacker", "image": busybox_image, "command": ["sh", "-c",
                              _dispatch(RESOURCE_ATTACKS)],
                              "resources": {"memory": "64m", "pids": 64, "wall_clock": 6, "disk": "32m",
                                            "cpus": 1}})
    group = RunGroup(agent, [SPOOKY], _group_dir(tmp_path), DockerBackend(log_limit=1024**2), data,
                     seeds=len(RESOURCE_ATTACKS), parallel=2, retries=0, scratch_dir=short_tmp)
    engine_logs: dict[str, int] = {}
    done = threading.Event()

    def watch_engine_logs() -> None:  # the engine's own copy of each container's output, as it grows
        while not done.is_set():
            for summary in _labelled(docker_client, "run_group", group.group_dir.name):
                try:
                    path = Path(docker_client.api.inspect_container(summary["Id"])["LogPath"])
                    size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
                except Exception:  # noqa: BLE001 - the container went away meanwhile
                    continue
                run_id = summary["Labels"][f"{LABEL}.run_id"]
                engine_logs[run_id] = max(engine_logs.get(run_id, 0), size)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_engine_logs, daemon=True)
    watcher.start()
    try:
        metas = _meta_by_seed(group.run())
    finally:
        done.set()
        watcher.join()
    for seed, meta in metas.items():
        assert meta["status"] == "finished" and meta["infra_errors"] == [], (seed, meta["infra_errors"])
        assert meta["report"]["valid_submission"] is False and meta["guarded"] is True
    bomb, memory, tmpfs, stubborn, chatty, filler, logger = (metas[s] for s in range(7))
    assert bomb["timed_out"] and "FILLED" in _run_log(group, bomb) and not bomb["oom_killed"]
    assert memory["oom_killed"] and memory["exit_code"] == 137 and not memory["timed_out"]
    tmp_bytes = [int(x.split("=")[1]) for x in _run_log(group, tmpfs).split() if x.startswith("tmp=")]
    assert tmpfs["oom_killed"] and all(n <= 64 * 1024**2 for n in tmp_bytes)  # /tmp counts as memory
    assert stubborn["timed_out"] and stubborn["exit_code"] == 137
    chatty_log = (group.group_dir / "runs" / SPOOKY / "seed-4" / "output.log").read_bytes()
    assert chatty["log_truncated"] and len(chatty_log) <= 1024**2 + 100
    assert chatty_log.startswith(b"REAL-OUTPUT") and b"FORGED" not in chatty_log
    assert (group.group_dir / "runs" / SPOOKY / "seed-4" / "logs" / "agent.log").read_text() == "FORGED\n"
    assert 0 < engine_logs[chatty["run_id"]] <= 3 * 1024**2, engine_logs  # not 40 MB: the driver is capped
    assert filler["disk_exceeded"] and "writable folders" in filler["disk_detail"] and not filler["timed_out"]
    code_dir = group.group_dir / "runs" / SPOOKY / "seed-5" / "code"
    written = sum(f.stat().st_blocks * 512 for f in code_dir.iterdir())
    assert written < 512 * 1024**2 and "WROTE-1-GIB" not in _run_log(group, filler)  # stopped long before 1 GiB
    assert logger["disk_exceeded"] and "logs/" in logger["disk_detail"]
    assert _labelled(docker_client, "run_group", group.group_dir.name) == [] and _scratch_folders(short_tmp) == []


def _run_log(group: RunGroup, meta: dict) -> str:
    return (group.group_dir / "runs" / meta["competition_id"] / f"seed-{meta['seed']}" / "output.log").read_text(
        errors="replace")


def test_fork_bomb_memory_and_stubborn_agent_on_the_bare_backend(tmp_path, busybox_image):
    """The same limits checked where the process count can be watched while the bomb runs."""
    harness = Harness(lambda **options: DockerBackend(**options), tmp_path, busybox_image)
    check_pids(harness)
    check_memory(harness)
    check_wall_clock(harness)


# -- submissions: every kind of file an agent can leave where the submission should be ----------------

SUBMISSION_ATTACKS = """
import os, socket, sys
seed = int(os.environ["SEED"])
sub = os.path.join(os.environ["SUBMISSION_DIR"], "submission.csv")
sample = os.path.join(os.environ["DATA_DIR"], "sample_submission.csv")
if seed == 0:
    os.symlink("/etc/passwd", sub)
elif seed == 1:
    os.mkfifo(sub)
elif seed == 2:
    socket.socket(socket.AF_UNIX).bind(sub)
elif seed == 3:
    os.mkdir(sub)
elif seed == 4:
    header = open(sample, "rb").readline()
    open(sub, "wb").write(header + b"\\xff\\xfe\\xfa,0.1,0.2,0.7\\n" * 10)
elif seed == 5:
    with open(sub, "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GiB that take no disk: sparse
elif seed == 6:
    open(sub, "wb").write(open(sample, "rb").read() * 200)  # over the group's 2 MiB limit
elif seed == 7:
    open(sub, "w").write(",".join(f"c{i}" for i in range(100_000)) + "\\n" + "1," * 99_999 + "1\\n")
else:
    open(sub, "wb").write(open(sample, "rb").read())
print("wrote", seed)
"""


def test_hostile_submissions_are_invalid_with_a_reason_never_read_or_hung(tmp_path, data, python_image, short_tmp):
    agent = parse_agent_spec({"name": "attacker", "image": python_image,
                              "command": ["python3", "-c", SUBMISSION_ATTACKS],
                              "resources": {"memory": "256m", "wall_clock": 30, "cpus": 1}})
    group = RunGroup(agent, [SPOOKY], _group_dir(tmp_path), DockerBackend(), data, seeds=9, parallel=2, retries=0,
                     grading=GradingLimits(max_submission_bytes=2 * 1024**2, seconds=120), scratch_dir=short_tmp)
    metas = _meta_by_seed(group.run())
    reasons = {seed: meta["report"]["error"] or "" for seed, meta in metas.items()}
    for seed in range(8):
        assert metas[seed]["status"] == "finished" and metas[seed]["report"]["valid_submission"] is False, seed
    assert "symbolic link" in reasons[0] and metas[0]["submission_path"] is None
    assert "is a FIFO, not a regular file" in reasons[1]
    assert "is a socket, not a regular file" in reasons[2]
    assert "is a directory, not a regular file" in reasons[3]
    assert "UTF-8" in reasons[4]
    assert "2.0 GiB, over the submission size limit of 2.0 MiB" in reasons[5]
    assert "over the submission size limit of 2.0 MiB" in reasons[6]
    assert "100000 columns, over the limit of 10000" in reasons[7]
    for seed in (0, 1, 2, 3, 5, 6):
        assert metas[seed]["grading"] == {"status": "refused"}, seed  # refused unread: no grading ran
    for seed in (4, 7, 8):
        assert metas[seed]["grading"]["status"] == "ok", seed
    assert metas[8]["report"]["valid_submission"] is True and metas[8]["report"]["score"] is not None


def test_grading_over_its_memory_cap_is_invalid_with_a_reason(tmp_path, data, busybox_image):
    """Grading runs in a child with a memory cap: past it the child is killed and the run is invalid, with a
    reason, while the harness goes on."""
    agent = parse_agent_spec({"name": "dummy-like", "image": busybox_image, "command": [
        "sh", "-c", 'cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"'],
        "resources": {"memory": "64m", "wall_clock": 30}})
    group = RunGroup(agent, [SPOOKY], _group_dir(tmp_path), DockerBackend(), data, validation=False,
                     grading=GradingLimits(memory=32 * 1024**2))
    (meta,) = group.run()
    assert meta["grading"]["status"] == "memory" and meta["report"]["valid_submission"] is False
    assert "grading needed more than 32.0 MiB of memory" in meta["report"]["error"]


# -- the validation socket --------------------------------------------------------------------------

FLOODER = """
import os, socket, threading, time
path = os.environ["VALIDATE_SOCKET"]
if os.environ["SEED"] == "1":
    open(os.environ["SUBMISSION_DIR"] + "/submission.csv", "wb").write(
        open(os.environ["DATA_DIR"] + "/sample_submission.csv", "rb").read())
    raise SystemExit(0)
chunk = b"id,EAP,HPL,MWS\\n" + b"id00001,0.3,0.3,0.4\\n" * 52000   # 1 MiB
def flood():
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(20)
            s.connect(path)
            for _ in range(200):  # 200 MiB a request
                s.sendall(chunk)
            s.shutdown(socket.SHUT_WR)
            s.recv(65536)
        except OSError:
            time.sleep(0.01)
held = []
for _ in range(3):  # first, connections that send a little and then nothing
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.send(b"id,")
        held.append(s)
    except OSError:
        pass
for _ in range(4):  # then floods without pause
    threading.Thread(target=flood, daemon=True).start()
time.sleep(300)
"""


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_validation_socket_flood_is_bounded_and_ends_with_the_run(tmp_path, data, python_image, short_tmp):
    agent = parse_agent_spec({"name": "flooder", "image": python_image, "command": ["python3", "-c", FLOODER],
                              "resources": {"memory": "256m", "wall_clock": 12, "cpus": 1}})
    group = RunGroup(agent, [SPOOKY], _group_dir(tmp_path), DockerBackend(), data, seeds=2, retries=0,
                     validation_limits={"max_request_bytes": 8 * 1024**2, "request_seconds": 2},
                     scratch_dir=short_tmp)
    before = _rss()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        metas = _meta_by_seed(group.run())
    finally:
        done.set()
        sampler.join()
    flood, quiet = metas[0], metas[1]
    stats = flood["validation"]
    # one at a time: the three stalled connections time out in turn (2 s each), then the floods are cut
    assert flood["timed_out"] and stats["requests"] >= 4 and stats["timed_out"] >= 3 and stats["too_large"] >= 1
    # read no further than the limit (plus one 1 MiB receive) per request: never the 200 MiB sent
    assert stats["bytes_received"] <= stats["requests"] * 9 * 1024**2
    assert peak[0] - before < 150 * 1024**2, f"the harness grew by {(peak[0] - before) >> 20} MiB"
    gap = datetime.fromisoformat(quiet["started_at"]) - datetime.fromisoformat(flood["ended_at"])
    assert gap.total_seconds() <= 10, f"the next run started {gap} after the flooded one ended"
    assert quiet["report"]["valid_submission"] is True and quiet["validation"]["requests"] == 0
    assert [p for p in multiprocessing.active_children() if p.is_alive()] == []  # no check left burning CPU
    assert _scratch_folders(short_tmp) == []  # the socket and its spool are gone


# -- the harness dies, the engine dies ---------------------------------------------------------------

def test_kill_9_of_the_harness_mid_group_then_resume(tmp_path, prepared_store, private_engine, short_tmp):
    """0 runs lost, 0 finished runs redone, 0 containers or folders left; the orphaned container stopped at
    its own deadline although nothing was left to kill it. (On an engine of the test's own: any harness reaps
    the containers of dead owners, so on a shared engine another test worker could reap the orphan first.)"""
    import docker
    import docker.errors

    from mle_datasets import resolve
    from runner.images import BUSYBOX_IMAGE, build_busybox_image

    client = docker.DockerClient(base_url=private_engine.url, timeout=30)
    build_busybox_image(client)
    first_done = '[ "$COMPETITION_ID" = leaf-classification ] && [ "$SEED" = 0 ]'
    copy = 'cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"'
    group_dir = _group_dir(tmp_path)
    config = {
        "store": str(prepared_store.root), "competitions": list(TWO_COMPETITIONS), "seeds": 2,
        "group_dir": str(group_dir), "scratch": str(short_tmp),
        "agent": {"name": "attacker", "image": BUSYBOX_IMAGE,
                  "command": ["sh", "-c", f"if {first_done}; then {copy}; else echo STARTED; trap '' TERM; "
                                          "sleep 300; fi"],
                  "resources": {"memory": "64m", "wall_clock": 5}},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    child_log = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen([sys.executable, "-m", "tests.runner.harness_child", str(tmp_path / "config.json")],
                             cwd=REPO, stdout=child_log, stderr=subprocess.STDOUT,
                             env={**os.environ, "DOCKER_HOST": private_engine.url})
    victim_id = f"{TWO_COMPETITIONS[1]}_seed0"
    end = time.monotonic() + 120
    running = []
    while time.monotonic() < end and child.poll() is None:
        running = [c for c in _labelled(client, "run_id", victim_id) if c["State"] == "running"]
        if running:
            break
        time.sleep(0.1)
    assert running, f"the second run never started: {(tmp_path / 'child.log').read_text()[-3000:]}"
    child.send_signal(signal.SIGKILL)
    child.wait()
    child_log.close()
    killed_at = time.monotonic()
    assert (group_dir / "runs" / TWO_COMPETITIONS[0] / "seed-0" / "metadata.json").is_file()
    orphan = running[0]["Id"]
    while client.api.inspect_container(orphan)["State"]["Running"] and time.monotonic() - killed_at < 30:
        time.sleep(0.2)
    state = client.api.inspect_container(orphan)["State"]
    assert not state["Running"] and state["ExitCode"] == 137  # its guard ended it at the deadline
    assert _scratch_folders(short_tmp), "the dead harness should have left its scratch folder"

    events = []
    resumed = RunGroup(parse_agent_spec({**config["agent"], "command": ["sh", "-c", copy]}), list(TWO_COMPETITIONS),
                       group_dir, DockerBackend(base_url=private_engine.url),
                       lambda cid: resolve(cid, store=prepared_store), seeds=2, scratch_dir=short_tmp,
                       on_event=lambda e, p, m: events.append((e, p.run_id)))
    metas = resumed.run()
    assert len(metas) == 4 and all(m["status"] == "finished" for m in metas)  # 0 runs lost
    assert sorted(r for e, r in events if e == "started") == sorted(
        f"{c}_seed{s}" for s in range(2) for c in TWO_COMPETITIONS if (c, s) != (TWO_COMPETITIONS[0], 0))
    assert [r for e, r in events if e == "skipped"] == [f"{TWO_COMPETITIONS[0]}_seed0"]  # 0 finished runs redone
    assert all(m["report"]["valid_submission"] for m in metas)
    assert _labelled_containers_gone(client), "0 containers left"
    assert _scratch_folders(short_tmp) == []  # 0 folders left
    reaped = [json.loads(line) for line in (group_dir / "harness.log").read_text().splitlines()]
    removed = [item for entry in reaped if entry["event"] == "reaped" and entry["when"] == "start"
               for item in entry["removed"]]
    assert any(victim_id in item and "is gone" in item for item in removed), removed
    assert any("scratch folder" in item for item in removed), removed


class PrivateEngine:
    """A Docker engine of this test's own (so that stopping it disturbs nobody), on a short socket path, in a
    network namespace of its own: with ``--bridge=none`` dockerd deletes the host's ``docker0``, which the
    machine's main engine needs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "d.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import docker

        self.process = subprocess.Popen(
            ["unshare", "--net", "dockerd", "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "x"),
             "-H", self.url, "--pidfile", str(self.root / "d.pid"), "--storage-driver=overlay2",
             "--bridge=none", "--iptables=false", "--ip-masq=false"],
            stdout=(self.root / "dockerd.log").open("ab"), stderr=subprocess.STDOUT,
        )
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                docker.DockerClient(base_url=self.url, timeout=5).ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"the private engine did not start: {(self.root / 'dockerd.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def private_engine(docker_client):
    import shutil
    import tempfile

    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("unshare") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must be able to start a Docker engine of its own (root, dockerd and unshare)")
        pytest.skip("starting a private Docker engine needs root, dockerd and unshare")
    engine = PrivateEngine(Path(tempfile.mkdtemp(prefix="mld", dir="/tmp")))
    engine.start()
    yield engine
    engine.stop()
    subprocess.run(["rm", "-rf", str(engine.root)], check=False)


def test_engine_stopped_mid_run_is_an_infrastructure_failure_and_resumes(tmp_path, data, private_engine,
                                                                         short_tmp):
    import docker

    from runner.images import BUSYBOX_IMAGE, build_busybox_image

    client = docker.DockerClient(base_url=private_engine.url, timeout=30)
    build_busybox_image(client)
    agent = parse_agent_spec({"name": "patient", "image": BUSYBOX_IMAGE,
                              "command": ["sh", "-c", "echo STARTED; sleep 300"],
                              "resources": {"memory": "64m", "wall_clock": 60}})
    group = RunGroup(agent, [SPOOKY], _group_dir(tmp_path), DockerBackend(base_url=private_engine.url), data,
                     seeds=2, retries=1, retry_delay=0.2, scratch_dir=short_tmp)
    label = {"label": f"{LABEL}.run_group={group.group_dir.name}"}
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("metas", group.run()), daemon=True)
    thread.start()
    end = time.monotonic() + 60
    while time.monotonic() < end and not client.api.containers(filters=label):
        time.sleep(0.1)
    assert client.api.containers(filters=label), "the run never started"
    private_engine.stop()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the group hung on the stopped engine"
    metas = _meta_by_seed(result["metas"])
    for meta in metas.values():  # recorded, not a traceback; an infrastructure failure, not a timeout
        assert meta["status"] == "infra_failed" and not meta["timed_out"] and meta["infra_attempts"] == 2
        assert all(e.startswith("docker engine error while") for e in meta["infra_errors"]), meta["infra_errors"]
        assert meta["report"] == {}
    assert "creating the container" not in metas[0]["infra_errors"][0]  # the first attempt failed mid-run

    private_engine.start()
    copy = 'cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"'
    resumed = RunGroup(agent.with_overrides(command=("sh", "-c", copy)), [SPOOKY], group.group_dir,
                       DockerBackend(base_url=private_engine.url), data, seeds=2, scratch_dir=short_tmp)
    metas = resumed.run()
    assert [m["status"] for m in metas] == ["finished", "finished"]
    assert all(m["report"]["valid_submission"] and m["infra_errors"] == [] for m in metas)
    client = docker.DockerClient(base_url=private_engine.url, timeout=30)
    assert _labelled_containers_gone(client), "the old one was reaped"
    assert _scratch_folders(short_tmp) == []


def _labelled_containers_gone(client, seconds: float = 30.0) -> bool:
    """No container of ours is left; one the engine is still removing ("Removal In Progress") is waited for."""
    end = time.monotonic() + seconds
    while True:
        left = client.api.containers(all=True, filters={"label": LABEL})
        if not left:
            return True
        if time.monotonic() > end or any(c.get("State") != "removing" for c in left):
            return False
        time.sleep(0.2)
