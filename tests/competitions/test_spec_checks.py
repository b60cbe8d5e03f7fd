"""Specs are checked when the catalogue loads: grader, metric, metric parameters, column vocabulary, paths; the
error names the spec file and the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import competitions
from competitions.spec import SPEC_DIR, SpecError, load_spec


def _write_variant(tmp_path: Path, cid: str, edit) -> Path:
    data = yaml.safe_load((SPEC_DIR / f"{cid}.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / f"{cid}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _set(key, value):
    def edit(data):
        data[key] = value
    return edit


def _column(i, key, value):
    def edit(data):
        data["submission_columns"][i][key] = value
    return edit


@pytest.mark.parametrize(
    "cid, edit, key, message",
    [
        ("spooky-author-identification", _set("grader", "onehot_loglos"), "grader", "unknown grader 'onehot_loglos'"),
        ("spooky-author-identification", _set("metric", "logloss_multi"), "metric", "unknown metric 'logloss_multi'"),
        ("spooky-author-identification", _set("metric_params", {"epsilon": 1e-15}), "metric_params.epsilon",
         "logloss_multiclass has no parameter 'epsilon'"),
        ("spooky-author-identification", _column(1, "domain", "probabilty"), "submission_columns[1].domain",
         "domain 'probabilty'"),
        ("spooky-author-identification", _column(1, "dtype", "double"), "submission_columns[1].dtype", "dtype 'double'"),
        ("spooky-author-identification", _set("split", "lit"), "split", "'lit' is not one of"),
        ("spooky-author-identification", _set("sample_submission", "public/sample_submission.csv  extra words"),
         "sample_submission", "not a file path"),
        ("osic-pulmonary-fibrosis-progression",
         lambda d: d["grader_params"].__setitem__("id_policy", "subsets"), "grader_params.id_policy",
         "'subsets' is not one of"),
    ],
)
def test_a_bad_spec_fails_at_load_naming_the_file_and_the_key(tmp_path, cid, edit, key, message):
    path = _write_variant(tmp_path, cid, edit)
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert info.value.source == str(path) and info.value.key == key
    assert str(info.value).startswith(f"{path}: {key}: ")


def test_every_spec_of_the_catalogue_loads_and_passes_its_checks():
    specs = [load_spec(path) for path in sorted(SPEC_DIR.glob("*.yaml"))]
    assert len(specs) == len(competitions.ids()) == 82


def test_the_answers_format_field_is_gone():
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        assert "answers_format" not in yaml.safe_load(path.read_text(encoding="utf-8")), path.name


def test_repeated_ids_name_known_files():
    from competitions.spec import parse_spec

    spec = load_spec(SPEC_DIR / "vinbigdata-chest-xray-abnormalities-detection.yaml")
    assert spec.repeated_ids == ("answers",)
    data = yaml.safe_load((SPEC_DIR / "spaceship-titanic.yaml").read_text(encoding="utf-8"))
    with pytest.raises(SpecError, match="repeated_ids"):
        parse_spec({**data, "repeated_ids": ["train"]}, source="x.yaml")
