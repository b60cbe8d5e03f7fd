"""The backend conformance suite: the same checks of outputs, logs, limits, cancellation and cleanup against
every backend, in the spirit of inspect_ai's sandbox ``self_check``.

Each :class:`Check` tests one capability (:data:`runner.backends.base.CAPABILITIES`) by running a small shell
agent through the backend under test and asserting what the harness recorded; a backend is checked for every
capability it claims in ``Backend.enforces``, so no backend can claim a behaviour it lacks, and
``tests/runner/test_conformance.py`` checks that every backend claims the behaviours they all must have.
The agents are POSIX shell scripts, so they run on the host (local, ray) and in the busybox image (docker).

    results = self_check(lambda **options: get_backend("local", **options), Path("/tmp/check"))
    assert all(r.passed for r in results), [r for r in results if not r.passed]
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runner.agent_spec import parse_agent_spec
from runner.backends.base import Backend, RunOutcome, RunRequest
from runner.guard import GUARD_GRACE

#: Every process an agent of the suite starts carries this variable, so leftovers can be found.
MARKER_VARIABLE = "MLEB_CONFORMANCE_RUN"


class Harness:
    """What a check needs: the backend factory (keyword options such as ``log_limit`` go to it), a work
    folder, the image for container backends, and helpers to build requests and find leftovers."""

    def __init__(self, make_backend: Callable[..., Backend], workdir: Path, image: str | None = None) -> None:
        self.make_backend = make_backend
        self.workdir = Path(workdir)
        self.image = image

    def request(self, script: str, **resources: object) -> RunRequest:
        """A run of ``sh -c script`` with a fresh run folder, a public folder holding a sample submission,
        and a unique marker in its environment."""
        run_id = f"conf-{uuid.uuid4().hex[:10]}"
        root = self.workdir / run_id
        public = root / "public"
        public.mkdir(parents=True)
        (public / "sample_submission.csv").write_text("id,p\na,0.5\n")
        instructions = root / "instructions.txt"
        instructions.write_text("conformance")
        agent = parse_agent_spec({
            "name": "conformance", "image": self.image, "command": ["sh", "-c", script],
            "env": {MARKER_VARIABLE: run_id},
            "resources": {"cpus": 1, "memory": "64m", "pids": 256, "wall_clock": 30, **resources},
        })
        return RunRequest(run_id=run_id, agent=agent, competition_id="conformance", seed=3, public_dir=public,
                          run_dir=root / "run", instructions=instructions, labels={"run_group": "conformance"})

    def leftovers(self, request: RunRequest) -> list[str]:
        """Processes on this machine still carrying the run's marker (container processes included), and
        containers still labelled with the run's id."""
        found = []
        needle = f"{MARKER_VARIABLE}={request.run_id}".encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if needle in environ.split(b"\0") and state != "Z":
                found.append(f"process {entry}")
        if self.image is not None:
            from runner.backends.docker import LABEL, docker_client

            listed = docker_client().api.containers(all=True, filters={"label": f"{LABEL}.run_id={request.run_id}"})
            found += [f"container {c['Id'][:12]} ({c.get('State')})" for c in listed]
        return found

    def wait_until_gone(self, request: RunRequest, seconds: float = 10.0) -> list[str]:
        """The leftovers still there after waiting up to ``seconds`` for them to go."""
        end = time.monotonic() + seconds
        left = self.leftovers(request)
        while left and time.monotonic() < end:
            time.sleep(0.2)
            left = self.leftovers(request)
        return left


def _log(request: RunRequest) -> str:
    try:
        return request.output_log.read_text(errors="replace")
    except OSError:
        return ""


def _ok(outcome: RunOutcome, request: RunRequest) -> None:
    assert outcome.infra_error is None, f"infrastructure error: {outcome.infra_error}"
    assert not outcome.cancelled, "the run says it was cancelled"


# -- the checks --------------------------------------------------------------------------------------

def check_outputs(h: Harness) -> None:
    """The agent sees its folders and variables and its submission and code come back."""
    request = h.request('cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"; '
                        'echo notes > "$CODE_DIR/notes.txt"; echo "comp=$COMPETITION_ID seed=$SEED"')
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert outcome.exit_code == 0, _log(request)
    assert (request.submission_dir / "submission.csv").read_text() == "id,p\na,0.5\n"
    assert (request.code_dir / "notes.txt").read_text() == "notes\n"
    assert "comp=conformance seed=3" in _log(request)


def check_exit_code(h: Harness) -> None:
    """A failing agent's exit code is recorded as the agent's, not as an infrastructure failure."""
    request = h.request("echo failing; exit 4")
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert outcome.exit_code == 4 and not outcome.timed_out and not outcome.oom_killed, outcome


def check_captured_logs(h: Harness) -> None:
    """stdout and stderr are both captured, in ``output.log`` outside the agent's folders."""
    request = h.request("echo OUT-LINE; echo ERR-LINE >&2")
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    log = _log(request)
    assert "OUT-LINE" in log and "ERR-LINE" in log, log
    assert request.output_log.parent == request.run_dir
    assert request.output_log.parent not in (request.submission_dir, request.logs_dir, request.code_dir)


def check_log_cap(h: Harness) -> None:
    """Output past the log limit is dropped with a note, and the run still ends normally."""
    limit = 64 * 1024
    request = h.request("yes 0123456789 | head -c 3000000; echo AFTER-THE-FLOOD")
    outcome = h.make_backend(log_limit=limit).run(request)
    _ok(outcome, request)
    data = request.output_log.read_bytes()
    assert outcome.log_truncated, outcome
    assert len(data) <= limit + 100 and data.endswith(b"limit reached]\n"), len(data)
    assert b"AFTER-THE-FLOOD" not in data


_STUBBORN = "trap '' TERM; (trap '' TERM; sleep 300) & sleep 300; echo NEVER-PRINTED"


def check_wall_clock(h: Harness) -> None:
    """An agent that ignores SIGTERM and leaves a grandchild is killed at its wall clock, all of it."""
    request = h.request(_STUBBORN, wall_clock=2)
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert outcome.timed_out and outcome.exit_code == 137, outcome
    assert "NEVER-PRINTED" not in _log(request)
    left = h.wait_until_gone(request)
    assert not left, f"left behind after the wall clock: {left}"


def check_orphan_guard(h: Harness) -> None:
    """With the harness's own kill held back, the guard beside the harness ends the run at its deadline: a
    harness that dies mid-run leaves nothing running past the wall clock."""
    request = h.request(_STUBBORN, wall_clock=2)
    started = time.monotonic()
    outcome = h.make_backend(harness_kill_delay=120).run(request)
    took = time.monotonic() - started
    _ok(outcome, request)
    assert outcome.guarded, "the backend says no guard enforced the deadline"
    assert took < 2 + GUARD_GRACE + 30, f"the run lasted {took:.0f} s: only the harness's kill (120 s) ended it"
    assert outcome.timed_out and outcome.exit_code == 137, outcome
    left = h.wait_until_gone(request)
    assert not left, f"left behind after the deadline: {left}"


def check_cancel(h: Harness) -> None:
    """``cancel_all`` stops a running agent at once; the run is recorded as cancelled and nothing is left."""
    request = h.request('echo STARTED; sleep 300', wall_clock=120)
    backend = h.make_backend()
    result: dict[str, RunOutcome] = {}
    thread = threading.Thread(target=lambda: result.setdefault("outcome", backend.run(request)), daemon=True)
    thread.start()
    end = time.monotonic() + 60
    while "STARTED" not in _log(request) and time.monotonic() < end and thread.is_alive():
        time.sleep(0.1)
    assert "STARTED" in _log(request), f"the agent never started: {_log(request)}"
    backend.cancel_all()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the run did not return after cancel_all"
    outcome = result["outcome"]
    assert outcome.cancelled and outcome.infra_error is None, outcome
    left = h.wait_until_gone(request)
    assert not left, f"left behind after cancel: {left}"


def check_cleanup(h: Harness) -> None:
    """An agent that exits leaving background processes (one daemonised, one ignoring SIGTERM) leaves nothing."""
    request = h.request("(sleep 300 &); (trap '' TERM; sleep 300) & echo DONE; exit 0")
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert outcome.exit_code == 0 and "DONE" in _log(request), outcome
    left = h.wait_until_gone(request)
    assert not left, f"left behind by a finished run: {left}"


def check_disk(h: Harness) -> None:
    """Writing past the disk budget stops the run and records ``disk_exceeded`` with the reason; the agent's
    own log folder has its own cap within it."""
    writer = ('i=0; while [ $i -lt 60 ]; do dd if=/dev/zero of="$1/f$i" bs=65536 count=16 2>/dev/null; '
              'i=$((i+1)); sleep 0.05; done; echo FINISHED-WRITING')
    for folder, label in (("$CODE_DIR", "writable folders"), ("$LOGS_DIR", "logs/")):
        request = h.request(f'set -- "{folder}"; {writer}', disk="4m", wall_clock=60)
        outcome = h.make_backend().run(request)
        _ok(outcome, request)
        assert outcome.disk_exceeded and label in (outcome.disk_detail or ""), outcome
        assert "FINISHED-WRITING" not in _log(request), "the run was not stopped"
        assert not outcome.timed_out


def check_memory(h: Harness) -> None:
    """An agent over its memory limit is OOM-killed, and the harness records it."""
    request = h.request("tail /dev/zero", memory="32m")
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert outcome.oom_killed and outcome.exit_code == 137 and not outcome.timed_out, outcome


#: Forks until the pids limit refuses (a fork failure ends a shell, so the forking is done in a subshell),
#: then holds every process it got until the wall clock (``read -t`` is a builtin: it needs no fork).
FORK_BOMB = ("mkfifo /tmp/hold; ( while :; do sleep 300 & done ) 2>/dev/null; echo FILLED; "
             "read -t 300 x <> /tmp/hold; exit 0")


def check_pids(h: Harness) -> None:
    """A fork bomb meets the pids limit: never more processes than the limit, the run is recorded, and
    nothing is left."""
    request = h.request(FORK_BOMB, pids=32, wall_clock=4)
    backend = h.make_backend()
    result: dict[str, RunOutcome] = {}
    thread = threading.Thread(target=lambda: result.setdefault("outcome", backend.run(request)), daemon=True)
    thread.start()
    most = 0
    while thread.is_alive():
        most = max(most, len([x for x in h.leftovers(request) if x.startswith("process")]))
        time.sleep(0.05)
    outcome = result["outcome"]
    _ok(outcome, request)
    assert 16 < most <= 32, f"{most} processes seen at once under a pids limit of 32"
    assert outcome.timed_out and "FILLED" in _log(request), outcome
    left = h.wait_until_gone(request)
    assert not left, f"left behind by a fork bomb: {left}"


def check_network(h: Harness) -> None:
    """No network: only the loopback interface, and no route out."""
    request = h.request("ls /sys/class/net; wget -q -T 2 -O- http://1.1.1.1 >/dev/null 2>&1 && echo NET-OK "
                        "|| echo NO-NET")
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    assert _log(request).split() == ["lo", "NO-NET"], _log(request)


def check_log_forgery(h: Harness) -> None:
    """The agent cannot replace what the harness captured: rewriting its own log folder changes only that."""
    request = h.request('echo REAL-OUTPUT; rm -rf "$LOGS_DIR"/*; echo FORGED > "$LOGS_DIR/agent.log"; '
                        'for p in /home/output.log /home/../output.log "$LOGS_DIR/../output.log"; do '
                        'echo FORGED >> "$p" 2>/dev/null; done; exit 0')
    outcome = h.make_backend().run(request)
    _ok(outcome, request)
    log = _log(request)
    assert "REAL-OUTPUT" in log and "FORGED" not in log, log
    assert (request.logs_dir / "agent.log").read_text() == "FORGED\n"  # its own folder is its own


@dataclass(frozen=True)
class Check:
    """One conformance check of one capability."""

    name: str
    capability: str
    run: Callable[[Harness], None]


CHECKS = [
    Check("outputs", "outputs", check_outputs),
    Check("exit_code", "exit_code", check_exit_code),
    Check("captured_logs", "captured_logs", check_captured_logs),
    Check("log_cap", "log_cap", check_log_cap),
    Check("wall_clock", "wall_clock", check_wall_clock),
    Check("orphan_guard", "orphan_guard", check_orphan_guard),
    Check("cancel", "cancel", check_cancel),
    Check("cleanup", "cleanup", check_cleanup),
    Check("disk", "disk", check_disk),
    Check("memory", "memory", check_memory),
    Check("pids", "pids", check_pids),
    Check("network", "network", check_network),
    Check("log_forgery", "log_forgery", check_log_forgery),
]


@dataclass
class CheckResult:
    """A check's result on a backend: ``passed``, or skipped because the backend does not claim it."""

    name: str
    capability: str
    passed: bool
    skipped: bool = False
    detail: str = ""


def self_check(make_backend: Callable[..., Backend], workdir: Path, image: str | None = None,
               names: list[str] | None = None) -> list[CheckResult]:
    """Run every check (or those in ``names``) whose capability the backend claims; never raises for a
    failed check."""
    claimed = make_backend().enforces
    harness = Harness(make_backend, workdir, image)
    results = []
    for check in CHECKS:
        if names is not None and check.name not in names:
            continue
        if check.capability not in claimed:
            results.append(CheckResult(check.name, check.capability, passed=False, skipped=True,
                                       detail="not claimed by this backend"))
            continue
        try:
            check.run(harness)
            results.append(CheckResult(check.name, check.capability, passed=True))
        except AssertionError as err:
            results.append(CheckResult(check.name, check.capability, passed=False, detail=str(err)))
    return results
