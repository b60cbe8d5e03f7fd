"""Agent specs: parsing, defaults and the refusals."""

import pytest

from runner.agent_spec import AgentSpecError, load_agent, parse_agent_spec, parse_bytes, parse_seconds


def test_packaged_agents_load():
    dummy = load_agent("dummy")
    assert dummy.network == "none" and dummy.image and dummy.command[0] == "sh"
    baseline = load_agent("baseline")
    assert baseline.command == ("python", "-m", "runner.agents.baseline")


def test_resources_are_parsed_to_bytes_and_seconds():
    spec = parse_agent_spec({
        "name": "a", "command": ["run"],
        "resources": {"gpus": 2, "cpus": 1.5, "memory": "8g", "shm": "512m", "wall_clock": "2h"},
        "competitions": ["x", "y"], "seeds": 3,
    })
    r = spec.resources
    assert (r.gpus, r.cpus, r.memory, r.shm, r.wall_clock) == (2, 1.5, 8 * 1024**3, 512 * 1024**2, 7200.0)
    assert spec.competitions == ("x", "y") and spec.seeds == 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"command": ["x"]}, "missing field 'name'"),
        ({"name": "a"}, "missing field 'command'"),
        ({"name": "a", "command": "x", "privileged": True}, "privileged containers are refused"),
        ({"name": "a", "command": "x", "network": "host"}, "network 'host'"),
        ({"name": "a", "command": "x", "resources": {"memory": "lots"}}, "cannot read the size"),
        ({"name": "a", "command": "x", "resources": {"wall_clock": "soon"}}, "cannot read the duration"),
        ({"name": "a", "command": "x", "resources": {"gpu": 1}}, "unknown resource"),
        ({"name": "a", "command": "x", "volumes": ["/:/host"]}, "unknown field"),
        ({"name": "a", "command": "x", "seeds": 0}, "seeds must be >= 1"),
        ({"name": "a", "command": "x", "resources": {"cpus": 0}}, "cpus"),
        ({"name": "a", "command": "x", "resources": {"memory": 0}}, r"resources.memory must be between 16 MiB"),
        ({"name": "a", "command": "x", "resources": {"memory": "0g"}}, r"resources.memory must be between"),
        ({"name": "a", "command": "x", "resources": {"memory": -5}}, r"resources.memory .*got -5 bytes"),
        ({"name": "a", "command": "x", "resources": {"memory": "1000t"}}, r"and 64 TiB \(got 1000 TiB\)"),
        ({"name": "a", "command": "x", "resources": {"memory": None}}, "memory cannot be switched off"),
        ({"name": "a", "command": "x", "resources": {"memory": True}}, "memory must be a number"),
        ({"name": "a", "command": "x", "resources": {"disk": None}}, "disk cannot be switched off"),
        ({"name": "a", "command": "x", "resources": {"disk": "10k"}}, "resources.disk must be between 1 MiB"),
        ({"name": "a", "command": "x", "resources": {"cpus": -1}}, "resources.cpus"),
        ({"name": "a", "command": "x", "resources": {"cpus": float("nan")}}, "resources.cpus"),
        ({"name": "a", "command": "x", "resources": {"cpus": "many"}}, "resources.cpus must be a number"),
        ({"name": "a", "command": "x", "resources": {"gpus": 1.5}}, "gpus must be a whole number"),
        ({"name": "a", "command": "x", "resources": {"pids": 0}}, "resources.pids"),
        ({"name": "a", "command": "x", "resources": {"wall_clock": 0}}, "resources.wall_clock"),
        ({"name": "a", "command": "x", "resources": {"wall_clock": "400d"}}, "resources.wall_clock"),
        ({"name": "a", "command": "x", "resources": {"memory": "1g", "shm": "2g"}}, "shm .* cannot exceed"),
        ({"name": "a", "command": "x", "resources": "lots"}, "resources must be a mapping"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(data, message):
    with pytest.raises(AgentSpecError, match=message):
        parse_agent_spec(data)


def test_unknown_agent_lists_the_packaged_ones(tmp_path):
    with pytest.raises(AgentSpecError, match="packaged agents: baseline, dummy"):
        load_agent("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(AgentSpecError, match="not valid YAML"):
        load_agent(bad)


def test_units():
    assert parse_bytes("1.5k") == 1536 and parse_bytes(None) is None
    assert parse_seconds("1d") == 86400.0 and parse_seconds("45") == 45.0


def test_default_shm_never_exceeds_a_small_memory_limit():
    spec = parse_agent_spec({"name": "a", "command": "x", "resources": {"memory": "64m"}})
    assert spec.resources.shm == 64 * 1024**2 and spec.resources.disk == 50 * 1024**3
