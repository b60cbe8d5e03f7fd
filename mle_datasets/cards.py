"""Texts written from a competition's spec: the agent's ``description.md`` and the dataset cards.

A dataset card is the ``README.md`` of a Hub dataset repository: YAML front matter (license, one config per
table so ``datasets.load_dataset`` finds the parquet shards) and a body saying how the data was made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from mle_datasets.errors import rules_url

if TYPE_CHECKING:
    from competitions.spec import Competition

__all__ = ["description_markdown", "dataset_card", "card_metadata", "card_configs", "default_config"]

LICENSE_NOTE = (
    "The data comes from a Kaggle competition and is subject to its rules ({url}). Kaggle competition "
    "data is usually licensed for that competition's purposes only: check the rules before redistributing, "
    "and accept them on Kaggle before using the data."
)


def _metric_line(spec: Competition) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(spec.metric_params.items()))
    direction = "lower is better" if spec.lower_is_better else "higher is better"
    return f"`{spec.metric}`" + (f" ({params})" if params else "") + f"; {direction}."


def _column_line(col: Any, id_columns: tuple[str, ...]) -> str:
    bits = [col.dtype]
    if col.name in id_columns:
        bits.append("id")
    if col.domain:
        bits.append(col.domain)
    if getattr(col, "allowed", None):
        allowed = list(col.allowed)
        bits.append("one of " + ", ".join(map(str, allowed[:10])) + (", ..." if len(allowed) > 10 else ""))
    return f"- `{col.name}`: " + ", ".join(bits)


def description_markdown(spec: Competition, public_files: list[str]) -> str:
    """Return the ``description.md`` an agent reads: task, files, metric, submission format.

    Parameters
    ----------
    spec : Competition
        The competition's spec.
    public_files : list of str
        The files of ``public/`` (relative paths), listed in the text; folders are summarised.

    >>> import types
    >>> col = types.SimpleNamespace
    >>> spec = col(id="toy", name="Toy", description="Predict y.", metric="auc", metric_params={},
    ...            lower_is_better=False, id_columns=("id",), sample_submission="public/sample_submission.csv",
    ...            submission_columns=(col(name="id", dtype="str", domain=None),
    ...                                col(name="y", dtype="float", domain="probability")),
    ...            known_issues=())
    >>> print(description_markdown(spec, ["train.csv", "sample_submission.csv"]).splitlines()[0])
    # Toy
    """
    lines = [f"# {spec.name}", "", "## Task", "", spec.description.strip(), "", "## Files", ""]
    lines += _file_lines(public_files)
    lines += ["", "## Evaluation", "", "Metric: " + _metric_line(spec), "", "## Submission format", ""]
    sample = spec.sample_submission.split("/", 1)[-1]
    lines.append(f"A CSV file with one row per id of the test set and these columns (see `{sample}`):")
    lines.append("")
    lines += [_column_line(c, tuple(spec.id_columns)) for c in spec.submission_columns]
    lines += ["", f"Kaggle competition page: https://www.kaggle.com/c/{spec.id}", ""]
    return "\n".join(lines)


def _file_lines(files: list[str]) -> list[str]:
    top: dict[str, int] = {}
    for f in sorted(files):
        head = f.split("/", 1)[0] + ("/" if "/" in f else "")
        top[head] = top.get(head, 0) + 1
    return [f"- `{name}`" + (f" ({n} files)" if name.endswith("/") else "") for name, n in top.items()]


def card_metadata(spec: Competition, configs: list[str], private: bool) -> dict[str, Any]:
    """Return the YAML front matter of a dataset card: license fields and one config per table.

    Parameters
    ----------
    spec : Competition
        The competition's spec.
    configs : list of str
        Table (config) names; each reads ``data/<config>/*.parquet`` as the split of the same name.
    private : bool
        True for the answers repository.

    >>> import types
    >>> meta = card_metadata(types.SimpleNamespace(id="toy", name="Toy"), ["train"], private=False)
    >>> meta["configs"]
    [{'config_name': 'train', 'data_files': [{'split': 'train', 'path': 'data/train/*.parquet'}], 'default': True}]
    """
    return {
        "pretty_name": f"{spec.name}" + (" (answers)" if private else ""),
        "license": "other",
        "license_name": "kaggle-competition-rules",
        "license_link": rules_url(spec.id),
        "tags": ["mle-bench", "kaggle"] + (["answers"] if private else []),
        "configs": card_configs(configs),
    }


def default_config(configs: list[str]) -> str | None:
    """The config ``datasets.load_dataset(repo)`` loads when none is named: ``train``, else the first whose
    name holds ``train``, else the first (None when there is none).

    >>> default_config(["labels", "sample_submission"]), default_config(["files_train2_zip", "sampleSubmission"])
    ('labels', 'files_train2_zip')
    """
    names = sorted(configs)
    if "train" in names:
        return "train"
    return next((c for c in names if "train" in c.lower()), names[0] if names else None)


def card_configs(configs: list[str]) -> list[dict[str, Any]]:
    """The card's ``configs`` list: one config per table (split of the same name, ``data/<config>/*.parquet``),
    :func:`default_config` marked ``default: true``.

    >>> card_configs(["test", "train"])[1]
    {'config_name': 'train', 'data_files': [{'split': 'train', 'path': 'data/train/*.parquet'}], 'default': True}
    """
    default = default_config(configs)
    return [{"config_name": c, "data_files": [{"split": c, "path": f"data/{c}/*.parquet"}],
             **({"default": True} if c == default else {})} for c in sorted(configs)]


def dataset_card(spec: Competition, manifest: dict[str, Any], private: bool, split_rule: str | None = None) -> str:
    """Return the full ``README.md`` of a stored version: front matter and the text saying how it was made.

    Parameters
    ----------
    spec : Competition
        The competition's spec.
    manifest : dict
        The version's manifest (``tables``, ``archives``, ``provenance``), as written by the store.
    private : bool
        True for the answers repository.
    split_rule : str, optional
        How MLE-bench v1 splits Kaggle's training data (from the preparer).

    >>> import types
    >>> spec = types.SimpleNamespace(id="toy", name="Toy", description="Predict y.", metric="auc",
    ...     metric_params={}, lower_is_better=False, known_issues=(), version="1.0.0")
    >>> man = {"version": "1.0.0", "tables": {"train": {"source": "train.csv", "rows": 2, "columns": ["id", "y"]}},
    ...        "archives": {}, "provenance": {"raw_sha256": "ab" * 32, "preparer_version": "1",
    ...        "spec_version": "1.0.0", "raw_files": {"train.csv": "cd" * 32}}}
    >>> card = dataset_card(spec, man, private=False)
    >>> card.startswith("---\\n"), "https://www.kaggle.com/c/toy/rules" in card
    (True, True)
    """
    meta = card_metadata(spec, sorted(manifest["tables"]), private)
    prov = manifest["provenance"]
    version = manifest["version"]
    kind = "answers (private)" if private else "public data"
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).rstrip(), "---", "",
             f"# {spec.name}: {kind}, version {version}", ""]
    if private:
        lines += ["**This repository holds the answers of the test split. Keep it private: publishing it "
                  "lets anyone score perfectly.**", ""]
    lines += [spec.description.strip().split("\n\n")[0], "", "## How it was made", ""]
    lines.append(
        f"The raw files of the Kaggle competition `{spec.id}` were split as MLE-bench v1 splits them "
        f"(preparer version {prov['preparer_version']}, spec version {prov['spec_version']}): the same raw "
        "files give the same ids in each split, the same answers and the same sample submission."
    )
    split_rule = split_rule or prov.get("split_rule")
    if split_rule:
        lines += ["", f"Split rule: {split_rule}"]
    lines += ["", f"Raw files: {len(prov['raw_files'])}, combined sha256 `{prov['raw_sha256']}` "
              "(each file's sha256 is in `manifest.json`).", ""]
    lines += ["## License", "", LICENSE_NOTE.format(url=rules_url(spec.id)), ""]
    if spec.known_issues:
        lines += ["## Known issues (MLE-bench v1 behaviour kept in this version)", ""]
        for issue in spec.known_issues:
            lines.append(f"- {issue.summary} Kaggle: {issue.kaggle}")
        lines.append("")
    lines += ["## Contents", ""]
    for name, table in sorted(manifest["tables"].items()):
        lines.append(f"- config `{name}`: `{table['source']}`, {table['rows']} rows, columns "
                     + ", ".join(f"`{c}`" for c in table["columns"]))
    for path, arch in sorted(manifest.get("archives", {}).items()):
        lines.append(f"- `{path}`: {arch['files']} files of the folder `{arch['folder']}/` (tar)")
    lines += ["- `files/`: every prepared file byte for byte (the folder an agent sees)",
              "- `manifest.json`: the sha256 of every file and the provenance", "",
              "## Loading", "", "```python", "import mle_datasets",
              f'mle_datasets.load_dataset("{spec.id}", split="{_first(manifest)}"'
              + (", private=True)" if private else ")"),
              "```", ""]
    return "\n".join(lines)


def _first(manifest: dict[str, Any]) -> str:
    names = sorted(manifest["tables"])
    return "train" if "train" in names else (names[0] if names else "train")
