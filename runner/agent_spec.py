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

import math
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
    """Per-run resources. ``memory``, ``shm`` and ``disk`` in bytes, ``wall_clock`` in seconds.

    ``disk`` bounds what the agent writes to its writable folders (submission, code, logs) together.
    """

    gpus: int = 0
    cpus: float = 2.0
    memory: int = 4 * 1024**3
    shm: int | None = 256 * 1024**2
    pids: int = 1024
    disk: int = 50 * 1024**3
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


#: (smallest, largest) accepted value of each resource; outside them a spec is refused, naming the field
LIMITS: dict[str, tuple[float, float]] = {
    "gpus": (0, 64),
    "cpus": (0.01, 1024),
    "memory": (16 * 1024**2, 64 * 1024**4),
    "shm": (1024**2, 64 * 1024**4),
    "pids": (8, 4 * 1024**2),
    "disk": (1024**2, 1024**5),
    "wall_clock": (0.1, 30 * 86400),
}
_UNITS = {"memory": "bytes", "shm": "bytes", "disk": "bytes", "wall_clock": "seconds"}
_EXAMPLES = {"gpus": "1", "cpus": "4", "memory": "16g", "shm": "2g", "pids": "2048", "disk": "50g",
             "wall_clock": "24h"}


def _human(name: str, value: float) -> str:
    if _UNITS.get(name) == "bytes":
        for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2)):
            if value >= size:
                return f"{value / size:g} {unit}"
        return f"{value:g} bytes"
    if name == "wall_clock":
        return f"{value:g} s"
    return f"{value:g}"


def parse_resources(raw: Any, where: str = "agent spec") -> Resources:
    """Per-run :class:`Resources` from a spec's ``resources`` mapping, every value checked where it enters.

    Zero, negative, non-numeric, boolean and absurd values are refused with an error naming the field;
    ``memory`` and ``disk`` cannot be switched off (``null``), since a run without them has no limit.

    >>> parse_resources({"memory": "512m", "wall_clock": "2h"}).memory
    536870912
    >>> try:
    ...     parse_resources({"memory": 0})
    ... except AgentSpecError as err:
    ...     print(err)
    agent spec: resources.memory must be between 16 MiB and 64 TiB (got 0 bytes); write e.g. 16g
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise AgentSpecError(f"{where}: resources must be a mapping, e.g. {{memory: 16g, wall_clock: 24h}}")
    unknown = set(raw) - set(LIMITS)
    if unknown:
        raise AgentSpecError(f"{where}: unknown resource(s) {sorted(unknown)}; known: {sorted(LIMITS)}")
    defaults = Resources()
    values: dict[str, Any] = {}
    for name in LIMITS:
        value = raw.get(name, getattr(defaults, name))
        if isinstance(value, bool):
            raise AgentSpecError(f"{where}: resources.{name} must be a number, not {value!r}; "
                                 f"write e.g. {_EXAMPLES[name]}")
        if value is None:
            if name in ("memory", "disk"):
                raise AgentSpecError(f"{where}: resources.{name} cannot be switched off; "
                                     f"give a limit, e.g. {_EXAMPLES[name]}")
            values[name] = None
            continue
        if name in ("memory", "shm", "disk"):
            number: float = parse_bytes(value)
        elif name == "wall_clock":
            number = parse_seconds(value)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise AgentSpecError(f"{where}: resources.{name} must be a number (got {value!r}); "
                                     f"write e.g. {_EXAMPLES[name]}") from None
            if name in ("gpus", "pids") and math.isfinite(number) and number != int(number):
                raise AgentSpecError(f"{where}: resources.{name} must be a whole number (got {value!r})")
        low, high = LIMITS[name]
        if not (math.isfinite(number) and low <= number <= high):
            shown = _human(name, number) if math.isfinite(number) else repr(value)
            raise AgentSpecError(
                f"{where}: resources.{name} must be between {_human(name, low)} and {_human(name, high)} "
                f"(got {shown}); write e.g. {_EXAMPLES[name]}"
            )
        values[name] = number
    if "shm" not in raw and values["shm"] is not None:
        values["shm"] = min(values["shm"], values["memory"])  # the default never exceeds a small memory limit
    if values["shm"] is not None and values["shm"] > values["memory"]:
        raise AgentSpecError(f"{where}: resources.shm ({_human('shm', values['shm'])}) cannot exceed "
                             f"resources.memory ({_human('memory', values['memory'])}): /dev/shm counts as memory")
    return Resources(
        gpus=int(values["gpus"]), cpus=float(values["cpus"]), memory=int(values["memory"]),
        shm=None if values["shm"] is None else int(values["shm"]), pids=int(values["pids"]),
        disk=int(values["disk"]), wall_clock=float(values["wall_clock"]),
    )


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
    resources = parse_resources(data.get("resources"), where)
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
