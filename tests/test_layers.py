"""Layers, one way only: metrics <- schemas <- competitions <- mle_datasets <- runner <- mlebench.

Every module of these packages is parsed with ``ast``; every import statement counts (module level, inside
functions, under ``TYPE_CHECKING``), relative ones resolved against the module's package. A package may import
itself and the packages below it, never one above it, and the packages must not import each other in a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: bottom to top: each package may import only those before it
LAYERS = ("metrics", "schemas", "competitions", "mle_datasets", "runner", "mlebench")
RANK = {name: i for i, name in enumerate(LAYERS)}

#: (importing module, imported module) pairs known to break the rule; removed when the CLI moves to mlebench/
KNOWN_OFFENDERS: frozenset[tuple[str, str]] = frozenset({
    # removed when the CLI moves to mlebench/
})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import statement of the file, relative ones made absolute."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [alias.name for alias in node.names if alias.name != "*"]
            # "from a.b import c": c may be a module or a name; "a.b.c" is exact either way for the allow-list
            found += [(node.lineno, f"{target}.{name}" if target else name) for name in names] or [(node.lineno, target)]
    return found


def _modules() -> list[Path]:
    files = []
    for name in LAYERS:
        folder = ROOT / name
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _edges() -> list[tuple[str, int, str, str, str]]:
    """``(file, line, importing module, imported module, imported package)`` for imports between our packages."""
    edges = []
    for path in _modules():
        module = _module_name(path)
        for line, target in _imports(path):
            top = target.split(".")[0]
            if top in RANK and top != module.split(".")[0]:
                edges.append((str(path.relative_to(ROOT)), line, module, target, top))
    return edges


def _offence(module: str, target: str) -> bool:
    return any(module == m and (target == t or target.startswith(t + ".")) for m, t in KNOWN_OFFENDERS)


def test_the_layered_packages_exist():
    present = [name for name in LAYERS if (ROOT / name / "__init__.py").is_file()]
    assert present[:5] == list(LAYERS[:5]), present
    assert len(_modules()) > 50


def test_no_package_imports_a_package_above_it():
    upward = [
        f"{file}:{line}: {module} imports {target} ({top} is above {module.split('.')[0]})"
        for file, line, module, target, top in _edges()
        if RANK[top] > RANK[module.split(".")[0]] and not _offence(module, target)
    ]
    assert upward == [], "\n".join(upward)


def test_no_cycle_between_packages():
    graph: dict[str, dict[str, str]] = {name: {} for name in LAYERS}
    for file, line, module, target, top in _edges():
        if not _offence(module, target):
            graph[module.split(".")[0]].setdefault(top, f"{file}:{line}: {module} imports {target}")
    cycles = []
    for start in LAYERS:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    links = [graph[a][b] for a, b in zip(path, path[1:] + [start])]
                    cycles.append(" -> ".join(path + [start]) + "\n  " + "\n  ".join(links))
                elif nxt not in path and RANK[nxt] > RANK[start]:  # report each cycle once, from its lowest node
                    stack.append((nxt, path + [nxt]))
    assert cycles == [], "\n".join(cycles)


def test_the_allow_list_names_only_imports_that_exist():
    edges = {(module, target) for _, _, module, target, _ in _edges()}
    stale = [pair for pair in KNOWN_OFFENDERS if not any(m == pair[0] and (t == pair[1] or t.startswith(pair[1] + "."))
                                                         for m, t in edges)]
    assert stale == [], f"remove these from KNOWN_OFFENDERS, they no longer occur: {stale}"


@pytest.mark.parametrize(
    "source, module, expected",
    [
        ("from competitions.spec import Competition\n", "schemas.x", "competitions.spec.Competition"),
        ("def f():\n    import runner.gpus\n", "competitions.x", "runner.gpus"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mle_datasets import errors\n", "schemas.x",
         "mle_datasets.errors"),
        ("from .. import cli\n", "mle_datasets.preparers.x", "mle_datasets.cli"),
        ("from .errors import DataError\n", "mle_datasets.x", "mle_datasets.errors.DataError"),
    ],
)
def test_the_walker_sees_every_kind_of_import(tmp_path, monkeypatch, source, module, expected):
    package, _, name = module.rpartition(".")
    folder = tmp_path.joinpath(*package.split("."))
    folder.mkdir(parents=True)
    path = folder / f"{name}.py"
    path.write_text(source)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert expected in [target for _, target in _imports(path)]
