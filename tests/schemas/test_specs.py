"""Spec sources: schemas looks competition ids up by inversion (registered callables and entry points), never
by importing the catalogue; a spec object needs no source at all."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pandas as pd
import pytest

import schemas
from schemas import specs
from schemas.columns import SubmissionFormat, columns_from

ROOT = Path(__file__).resolve().parents[2]
TOY = SubmissionFormat("toy-source", ("id",), columns_from([{"name": "id"},
                                                            {"name": "p", "dtype": "float", "domain": "probability"}]))


@pytest.fixture
def isolated(monkeypatch):
    """An empty registry whose entry points are ``found`` (a list the test fills)."""
    found: list[EntryPoint] = []
    monkeypatch.setattr(specs, "_SOURCES", [])
    monkeypatch.setattr(specs, "_ENTRY_POINTS_LOADED", False)
    monkeypatch.setattr(specs, "entry_points", lambda group: [ep for ep in found if ep.group == group])
    return found


def toy_source(competition_id: str) -> SubmissionFormat:
    if competition_id != TOY.id:
        raise KeyError(competition_id)
    return TOY


def test_a_spec_object_needs_no_source(isolated):
    report = schemas.validate(TOY, pd.DataFrame({"id": ["a"], "p": [1.5]}), pd.DataFrame({"id": ["a"], "p": 0.5}))
    assert [e.check for e in report.errors] == ["probability"]


def test_an_id_without_any_source_says_how_to_get_one(isolated):
    with pytest.raises(schemas.NoSpecSource, match="open_mle_bench.spec_sources"):
        schemas.spec_for("toy-source")


def test_registered_sources_answer_and_unknown_ids_raise_the_sources_error(isolated):
    schemas.register_spec_source(toy_source)
    schemas.register_spec_source(toy_source)  # once only
    assert specs.spec_sources() == [toy_source]
    assert schemas.spec_for("toy-source") is TOY
    with pytest.raises(KeyError, match="nope"):
        schemas.spec_for("nope")


def test_entry_points_are_loaded_when_no_registered_source_knows_the_id(isolated):
    schemas.register_spec_source(lambda cid: {}[cid])
    isolated.append(EntryPoint("toy", f"{__name__}:toy_source", specs.ENTRY_POINT_GROUP))
    isolated.append(EntryPoint("other", f"{__name__}:toy_source", "some.other.group"))
    assert schemas.spec_for("toy-source") is TOY
    assert toy_source in specs.spec_sources()


def test_the_catalogue_registers_itself_and_its_error_propagates():
    import competitions

    assert competitions.get in specs.spec_sources()
    assert schemas.spec_for("spooky-author-identification") is competitions.get("spooky-author-identification")
    with pytest.raises(competitions.UnknownCompetition, match="`mle-bench list`"):
        schemas.validate("no-such-competition", pd.DataFrame({"id": ["a"]}))


_FRESH = textwrap.dedent("""
    import json, sys
    import pandas as pd
    import schemas
    before = sorted(m for m in ("competitions", "mle_datasets", "runner", "mlebench") if m in sys.modules)
    sample = pd.DataFrame({"id": ["id1", "id2"], "EAP": 0.4, "HPL": 0.3, "MWS": 0.3})
    good = schemas.validate("spooky-author-identification", sample, sample)
    bad = schemas.validate("spooky-author-identification", sample.assign(EAP=1.5), sample)
    print(json.dumps({"before": before, "good": good.valid, "bad": [e.check for e in bad.errors]}))
""")


def _run_fresh(env_path: str | None, home: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    if env_path:
        env["PYTHONPATH"] = env_path
    proc = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_fresh_interpreter_that_imported_only_schemas_finds_the_catalogue_by_entry_point(tmp_path):
    # A distribution declaring the entry point, as pyproject.toml's [project.entry-points] does once installed.
    dist = tmp_path / "spec_source_probe-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: spec-source-probe\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(f"[{specs.ENTRY_POINT_GROUP}]\ncompetitions = competitions.catalogue:get\n")
    out = _run_fresh(str(tmp_path), tmp_path)
    assert out == {"before": [], "good": True, "bad": ["probability", "row_sum"]}


def test_the_installed_distribution_declares_the_entry_point(tmp_path):
    declared = [ep for ep in specs.entry_points(group=specs.ENTRY_POINT_GROUP) if ep.value == "competitions.catalogue:get"]
    if not declared:
        pytest.skip("open-mle-bench is installed without its [project.entry-points] (reinstall after adding them)")
    assert _run_fresh(None, tmp_path) == {"before": [], "good": True, "bad": ["probability", "row_sum"]}
