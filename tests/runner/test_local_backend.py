"""The local backend: a subprocess in a fresh folder, killed as a group at the time limit."""

from pathlib import Path

from runner.agent_spec import parse_agent_spec
from runner.backends import RunRequest, get_backend


def _request(tmp_path: Path, script: str, wall_clock: float = 30, gpus: tuple[str, ...] = ()) -> RunRequest:
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    (public / "sample_submission.csv").write_text("id,p\na,0.5\n")
    instructions = tmp_path / "instructions.txt"
    instructions.write_text("do it")
    agent = parse_agent_spec({"name": "t", "command": ["sh", "-c", script], "resources": {"wall_clock": wall_clock}})
    return RunRequest(
        run_id="r", agent=agent, competition_id="c", seed=1, public_dir=public, run_dir=tmp_path / "run",
        instructions=instructions, gpu_ids=gpus,
    )


def test_agent_sees_its_folders_and_writes_a_submission(tmp_path):
    request = _request(tmp_path, 'cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"; '
                                 'echo "$COMPETITION_ID $SEED gpus=[$CUDA_VISIBLE_DEVICES]"', gpus=("1", "3"))
    outcome = get_backend("local").run(request)
    assert outcome.exit_code == 0 and not outcome.timed_out
    assert (request.submission_dir / "submission.csv").read_text() == "id,p\na,0.5\n"
    assert request.output_log.read_text().strip() == "c 1 gpus=[1,3]"


def test_time_limit_kills_the_whole_process_group(tmp_path):
    request = _request(tmp_path, "sleep 30 & sleep 30; echo never", wall_clock=0.5)
    outcome = get_backend("local").run(request)
    assert outcome.timed_out and outcome.exit_code != 0
    assert "never" not in request.output_log.read_text()


def test_failing_agent_is_recorded_not_raised(tmp_path):
    outcome = get_backend("local").run(_request(tmp_path, "echo oops; exit 3"))
    assert outcome.exit_code == 3 and outcome.infra_error is None


def test_missing_command_is_the_agents_failure(tmp_path):
    request = _request(tmp_path, "true")
    request = RunRequest(**{**request.__dict__, "agent": request.agent.with_overrides(command=("/no/such/agent",))})
    outcome = get_backend("local").run(request)
    assert outcome.exit_code == 127
    assert "cannot start" in request.output_log.read_text()


def test_huge_log_is_truncated(tmp_path):
    request = _request(tmp_path, "yes 0123456789 | head -c 1000000")
    outcome = get_backend("local", log_limit=10_000).run(request)
    log = request.output_log.read_bytes()
    assert outcome.log_truncated and len(log) < 11_000 and log.endswith(b"limit reached]\n")
