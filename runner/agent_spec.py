"""Agent specs: what to run (image and command), with which resources, network and competitions.

An agent spec is a small YAML file::

    name: my-agent
    image: my-agent:latest          # docker backend; ignored by the local backend
    command: ["python", "/agent/main.py"]
    env: {MODEL: small}
    resources: {gpus: 1, cpus: 4, memory: 16g, shm: 2g, pids: 2048, wall_clock: 2h}
    network: none                   # or "bridge": an explicit opt-in
    competitions: lite              # a split name or a list of ids
    seeds: 3

The packaged agents ``dummy`` and ``baseline`` are specs under ``runner/agents/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

AGENTS_DIR = Path(__file__).parent / "agents"
NETWORK_MODES = ("none", "bridge")


class AgentSpecError(ValueError):
    """An agent spec is missing, malformed or asks for something the runner refuses."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


def parse_bytes(value: int | str | None) -> int | None:
    """``"16g"`` -> 17179869184; ints pass through; None stays None.

    >>> parse_bytes("512m"), parse_bytes("2g"), parse_bytes(1024)
    (536870912, 2147483648, 1024)
    """
    if value is None or isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise AgentSpecError(f"cannot read the size {value!r}; write e.g. 512m or 16g")
    number, unit = match.groups()
    return int(float(number) * 1024 ** " kmgt".index(unit.lower() or " "))


def parse_seconds(value: int | float | str | None) -> float | None:
    """``"2h"`` -> 7200.0; numbers are seconds; None stays None.

    >>> parse_seconds("90s"), parse_seconds("2h"), parse_seconds(30)
    (90.0, 7200.0, 30.0)
    """
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise AgentSpecError(f"cannot read the duration {value!r}; write e.g. 90s, 30m or 24h")
    number, unit = match.groups()
    return float(number) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit.lower()]


@dataclass(frozen=True)
class Resources:
    """Per-run resources. ``memory`` and ``shm`` in bytes, ``wall_clock`` in seconds."""

    gpus: int = 0
    cpus: float = 2.0
    memory: int | None = 4 * 1024**3
    shm: int | None = 256 * 1024**2
    pids: int = 1024
    disk: int | None = None
    wall_clock: float = 3600.0


@dataclass(frozen=True)
class AgentSpec:
    """A typed agent spec (see the module docstring for the YAML form)."""

    name: str
    command: tuple[str, ...]
    image: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    network: str = "none"
    competitions: tuple[str, ...] | str = "lite"
    seeds: int = 1
    source: Path | None = None

    def with_overrides(self, **changes: Any) -> AgentSpec:
        """A copy with some fields replaced (e.g. seeds from the command line)."""
        return replace(self, **changes)


def parse_agent_spec(data: dict[str, Any], source: Path | None = None) -> AgentSpec:
    """Build an :class:`AgentSpec` from a mapping, checking every field.

    >>> spec = parse_agent_spec({"name": "a", "command": "python run.py", "resources": {"memory": "1g"}})
    >>> spec.command, spec.resources.memory, spec.network
    (('python', 'run.py'), 1073741824, 'none')
    """
    where = str(source or "agent spec")
    if not isinstance(data, dict):
        raise AgentSpecError(f"{where}: an agent spec must be a mapping")
    for key in ("name", "command"):
        if not data.get(key):
            raise AgentSpecError(f"{where}: missing field {key!r}")
    if data.get("privileged"):
        raise AgentSpecError(f"{where}: privileged containers are refused")
    unknown = set(data) - {"name", "command", "image", "env", "resources", "network", "competitions", "seeds"}
    if unknown:
        raise AgentSpecError(f"{where}: unknown field(s) {sorted(unknown)}")
    command = data["command"]
    command = tuple(command.split()) if isinstance(command, str) else tuple(str(c) for c in command)
    raw = dict(data.get("resources") or {})
    unknown = set(raw) - {"gpus", "cpus", "memory", "shm", "pids", "disk", "wall_clock"}
    if unknown:
        raise AgentSpecError(f"{where}: unknown resource(s) {sorted(unknown)}")
    defaults = Resources()
    resources = Resources(
        gpus=int(raw.get("gpus", defaults.gpus)),
        cpus=float(raw.get("cpus", defaults.cpus)),
        memory=parse_bytes(raw.get("memory", defaults.memory)),
        shm=parse_bytes(raw.get("shm", defaults.shm)),
        pids=int(raw.get("pids", defaults.pids)),
        disk=parse_bytes(raw.get("disk", defaults.disk)),
        wall_clock=parse_seconds(raw.get("wall_clock", defaults.wall_clock)),
    )
    if resources.gpus < 0 or resources.cpus <= 0 or resources.pids <= 0 or resources.wall_clock <= 0:
        raise AgentSpecError(f"{where}: gpus must be >= 0 and cpus, pids and wall_clock > 0")
    network = str(data.get("network", "none"))
    if network not in NETWORK_MODES:
        raise AgentSpecError(f"{where}: network {network!r} is not one of {NETWORK_MODES}")
    competitions = data.get("competitions", "lite")
    competitions = competitions if isinstance(competitions, str) else tuple(str(c) for c in competitions)
    seeds = int(data.get("seeds", 1))
    if seeds < 1:
        raise AgentSpecError(f"{where}: seeds must be >= 1")
    env = {str(k): str(v) for k, v in (data.get("env") or {}).items()}
    return AgentSpec(
        name=str(data["name"]), command=command, image=data.get("image"), env=env, resources=resources,
        network=network, competitions=competitions, seeds=seeds, source=source,
    )


def load_agent(name_or_path: str | Path) -> AgentSpec:
    """Load a packaged agent by name (``dummy``, ``baseline``) or an agent spec file by path.

    >>> load_agent("dummy").name
    'dummy'
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = AGENTS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        packaged = sorted(p.stem for p in AGENTS_DIR.glob("*.yaml"))
        raise AgentSpecError(f"no agent spec at {path}; packaged agents: {', '.join(packaged)}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise AgentSpecError(f"{path}: not valid YAML ({err})") from None
    return parse_agent_spec(data, source=path)
