"""The harness's building blocks on their own: bounded children, owners and orphans, scratch folders, the
local process guard, the disk watcher and the bounded validation service."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runner.bounded import BoundedCall, call_bounded
from runner.diskwatch import Budget, DiskWatch, over_budget, usage
from runner.owner import Owner, claim, me, orphan_reason, release
from runner.scratch import OWNER_FILE, make_scratch, reap_scratch
from runner.validation_service import ValidationService, request_validation

SPOOKY = "spooky-author-identification"


def _hog(megabytes: int) -> int:
    block = bytearray(megabytes * 1024**2)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(30)
    return len(block)


def _spin() -> None:
    while True:
        pass


def test_a_bounded_child_is_killed_at_its_memory_cap_and_reports_its_peak():
    result = call_bounded(_hog, 600, memory=400 * 1024**2, seconds=60)
    assert result.status == "memory" and 400 * 1024**2 < result.peak_rss < 700 * 1024**2


def test_a_bounded_child_is_killed_at_its_time_limit():
    result = call_bounded(_spin, seconds=1.5)
    assert result.status == "time" and 1.5 <= result.wall_seconds < 30


def test_a_bounded_child_can_be_cancelled_from_another_thread():
    call = BoundedCall(_spin, seconds=60)
    threading.Timer(0.5, call.cancel).start()
    assert call.run().status == "cancelled"


def test_a_bounded_child_reports_errors_and_crashes():
    assert call_bounded(int, "x", seconds=30).status == "error"
    crashed = call_bounded(os._exit, 3, seconds=30)
    assert crashed.status == "crashed" and "status 3" in crashed.message


def _env(name: str) -> str | None:
    return os.environ.get(name)


def test_a_bounded_child_sees_the_callers_environment(monkeypatch):
    monkeypatch.setenv("MLEB_TEST_VALUE", "seen")
    assert call_bounded(_env, "MLEB_TEST_VALUE", seconds=30).value == "seen"


def test_orphans_are_told_apart_from_live_owners():
    token = claim()
    assert orphan_reason(me().label, token, None) is None
    release(token)
    assert "no longer runs it" in orphan_reason(me().label, token, None)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = Owner(me().host, me().boot, int(dead.stdout), 12345)
    assert "is gone" in orphan_reason(gone.label, "t", None)
    elsewhere = Owner("another-host", "b", 1, 1)
    assert orphan_reason(elsewhere.label, "t", time.time()) is None  # cannot be checked: only its deadline
    assert "past its deadline" in orphan_reason(elsewhere.label, "t", time.time() - 3600)
    assert orphan_reason(None, None, None) is None


def test_scratch_folders_of_dead_owners_are_reaped_and_live_ones_kept(tmp_path):
    live_token = claim()
    live = make_scratch(live_token, "g", tmp_path)
    stale_token = claim()
    stale = make_scratch(stale_token, "g", tmp_path)
    release(stale_token)
    dead = make_scratch("t", "g", tmp_path)
    record = json.loads((dead / OWNER_FILE).read_text())
    record["owner"] = Owner(me().host, me().boot, 2**22 + 7, 1).label
    (dead / OWNER_FILE).write_text(json.dumps(record))
    unowned = tmp_path / "mleb-unowned"
    unowned.mkdir()
    removed = reap_scratch(tmp_path)
    assert sorted(removed) == sorted([str(stale), str(dead)])
    assert live.is_dir() and unowned.is_dir()
    release(live_token)


def test_the_local_guard_ends_the_agent_group_when_its_owner_dies(tmp_path):
    """The harness (here a child that starts the guard, then is killed) dies; the agent and its grandchild
    do not outlive it."""
    marker = f"MLEB_GUARD_TEST={os.getpid()}-{time.time_ns()}"
    script = (
        "import os, subprocess, sys, time\n"
        "from runner.owner import me\n"
        "proc = subprocess.Popen([sys.executable, 'runner/procguard.py', '300', me().label, '--', 'sh', '-c',"
        " \"(trap '' TERM; sleep 300) & trap '' TERM; sleep 300\"], start_new_session=True)\n"
        "print(proc.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    env = {**os.environ, "MLEB_GUARD_TEST": marker.split("=", 1)[1]}
    harness = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True,
                               cwd=Path(__file__).resolve().parents[2])
    harness.stdout.readline()

    def agents() -> list[str]:
        found = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and int(entry) != harness.pid and marker.encode() in Path(
                        f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                        found.append(entry)
            except OSError:
                continue
        return found

    end = time.monotonic() + 30
    while len(agents()) < 3 and time.monotonic() < end:  # the guard, the agent and its grandchild
        time.sleep(0.1)
    assert len(agents()) >= 3
    harness.kill()
    harness.wait()
    end = time.monotonic() + 10
    while agents() and time.monotonic() < end:
        time.sleep(0.1)
    assert agents() == []


def test_the_disk_watcher_counts_allocated_blocks_and_entries(tmp_path):
    (tmp_path / "sparse").write_bytes(b"")
    os.truncate(tmp_path / "sparse", 10 * 1024**3)  # 10 GiB that take no disk
    used, entries = usage([tmp_path])
    assert used < 1024**2 and entries == 1
    for i in range(20):
        (tmp_path / f"e{i}").touch()
    assert "21 entries, over the limit of 10" in over_budget([Budget("x/", (tmp_path,), 1024**3)], max_entries=10)
    stops = []
    with DiskWatch([Budget("x/", (tmp_path,), 64 * 1024)], stops.append, interval=0.05):
        (tmp_path / "big").write_bytes(os.urandom(256 * 1024))
        time.sleep(0.5)
    assert len(stops) == 1 and stops[0].startswith("x/ holds")


@pytest.fixture
def service(tmp_path, short_tmp):
    sample = tmp_path / "sample.csv"
    sample.write_text("id,EAP,HPL,MWS\nid1,0.3,0.3,0.4\nid2,0.3,0.3,0.4\n")
    service = ValidationService(SPOOKY, sample, short_tmp / "v", max_request_bytes=1024**2, request_seconds=2)
    service.start()
    yield service
    service.stop()


def test_the_service_answers_and_refuses_oversized_requests_without_reading_them(service):
    good = b"id,EAP,HPL,MWS\nid1,0.2,0.3,0.5\nid2,0.1,0.1,0.8\n"
    assert request_validation(service.socket_path, good) == {"valid": True, "errors": []}
    reply = request_validation(service.socket_path, b"x" * (50 * 1024**2))
    assert reply["valid"] is False and reply["errors"][0]["check"] == "size"
    assert service.stats.too_large == 1 and service.stats.bytes_received < 3 * 1024**2


def test_a_stalled_client_times_out_and_the_next_one_is_served(service):
    stalled = socket.socket(socket.AF_UNIX)
    stalled.connect(str(service.socket_path))
    stalled.send(b"id,")
    started = time.monotonic()
    reply = request_validation(service.socket_path, b"id,EAP,HPL,MWS\nid1,0.2,0.3,0.5\nid2,0.1,0.1,0.8\n")
    assert reply["valid"] is True and time.monotonic() - started < 30
    assert service.stats.timed_out == 1
    stalled.close()


def test_stop_ends_the_request_in_flight_at_once(service):
    stalled = socket.socket(socket.AF_UNIX)
    stalled.connect(str(service.socket_path))
    stalled.send(b"id,")
    time.sleep(0.3)
    started = time.monotonic()
    service.stop()
    assert time.monotonic() - started < 5 and not service.folder.exists()
    stalled.settimeout(5)
    try:
        left = stalled.recv(100)
    except ConnectionResetError:
        left = b""
    assert left == b""  # the connection was dropped, unanswered
    stalled.close()
