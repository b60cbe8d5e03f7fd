"""Fast start: ``--help`` and ``list`` load none of the heavy libraries (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "pandera", "datasets", "docker", "scipy", "pyarrow", "huggingface_hub", "metrics")

PROBE = """
import contextlib, io, json, sys
from mlebench.cli import {entry}
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = {entry}({argv!r})
print(json.dumps({{"code": code, "out": out.getvalue(), "loaded": sorted(set(sys.modules) & set({heavy!r}))}}))
"""


def _probe(entry: str, argv: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE.format(entry=entry, argv=argv, heavy=HEAVY)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("entry, argv", [
    ("main", ["--help"]),
    ("mlebench_main", ["--help"]),
    ("main", ["list"]),
    ("main", ["list", "--split", "lite", "--json"]),
    ("main", ["grade", "--help"]),
    ("main", ["run", "--help"]),
])
def test_help_and_list_import_no_heavy_library(entry, argv):
    result = _probe(entry, argv)
    assert result["code"] == 0
    assert result["loaded"] == [], f"{argv} imported {result['loaded']}"
    if argv[0] == "list":
        assert "spaceship-titanic" in result["out"] or "spooky-author-identification" in result["out"]


def test_the_lazy_packages_still_export_every_name():
    code = (
        "import competitions, mle_datasets, schemas, sys\n"
        "names = [(m, n) for m in (competitions, mle_datasets, schemas) for n in m.__all__]\n"
        "missing = [f'{m.__name__}.{n}' for m, n in names if getattr(m, n, None) is None]\n"
        "import mle_datasets.prepare as p, competitions.aggregate as a\n"
        "print(missing, callable(p), callable(a), callable(mle_datasets.publish), 'pandas' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120, check=True).stdout.split()
    # every public name resolves; a function named like its module stays the function; pandas came on use
    assert out == ["[]", "True", "True", "True", "True"]
