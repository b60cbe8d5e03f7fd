"""Texts written from a competition's spec: the agent's ``description.md`` and the dataset cards.

A dataset card is the ``README.md`` of a Hub dataset repository, built with ``huggingface_hub``'s
``DatasetCard`` / ``DatasetCardData``: YAML metadata (license, one config per table with a default one,
``dataset_info`` with the features and split sizes read from the written parquet shards, task and size
categories) and a body saying how the data was made.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mle_datasets.errors import rules_url

if TYPE_CHECKING:
    from competitions.spec import Competition
    from huggingface_hub import DatasetCard

__all__ = ["description_markdown", "dataset_card", "card_metadata", "task_metadata", "size_category",
           "render_card", "add_config", "remove_config", "check_card", "default_config"]

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
    [{'config_name': 'train', 'data_files': [{'split': 'train', 'path': 'data/train/*.parquet'}]}]
    """
    return {
        "pretty_name": f"{spec.name}" + (" (answers)" if private else ""),
        "license": "other",
        "license_name": "kaggle-competition-rules",
        "license_link": rules_url(spec.id),
        "tags": ["mle-bench", "kaggle"] + (["answers", "private"] if private else []),
        "configs": [
            {"config_name": c, "data_files": [{"split": c, "path": f"data/{c}/*.parquet"}]} for c in configs
        ],
    }


#: the Hub's task categories (and task ids) of each spec category; tabular ones depend on the metric
CATEGORY_TASKS: dict[str, tuple[list[str], list[str]]] = {
    "audio_classification": (["audio-classification"], []),
    "image_classification": (["image-classification"], ["multi-class-image-classification"]),
    "image_regression": (["image-feature-extraction"], []),
    "image_segmentation": (["image-segmentation"], ["semantic-segmentation"]),
    "image_to_text": (["image-to-text"], ["image-captioning"]),
    "molecular": (["graph-ml"], []),
    "multimodal": (["image-classification", "text-classification"], []),
    "object_detection": (["object-detection"], []),
    "recommendation": (["tabular-classification"], []),
    "sequence_to_sequence": (["text2text-generation"], []),
    "signal_processing": (["time-series-forecasting"], []),
    "text_classification": (["text-classification"], ["multi-class-classification"]),
    "text_extraction": (["token-classification"], ["named-entity-recognition"]),
    "text_regression": (["text-classification"], ["text-scoring"]),
    "time_series": (["time-series-forecasting"], ["univariate-time-series-forecasting"]),
}
#: metrics of regression tasks (a tabular competition graded by one of these is tabular-regression)
REGRESSION_METRICS = ("rmse", "mae", "rmsle", "mcrmse", "pearson", "spearman", "log_mae", "laplace", "kendall",
                      "haversine", "mean_angular")
#: the Hub's size categories: (upper bound, name), by number of examples
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
                   (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"),
                   (1_000_000_000_000, "100B<n<1T"))


def task_metadata(spec: Competition) -> tuple[list[str], list[str]]:
    """The Hub ``task_categories`` and ``task_ids`` of a competition, from its spec's category and metric.

    >>> import types
    >>> task_metadata(types.SimpleNamespace(category="image_classification", metric="auc"))
    (['image-classification'], ['multi-class-image-classification'])
    >>> task_metadata(types.SimpleNamespace(category="tabular", metric="rmse"))
    (['tabular-regression'], ['tabular-single-column-regression'])
    """
    category = spec.category.lower().replace("-", "_")
    if category in CATEGORY_TASKS:
        categories, ids = CATEGORY_TASKS[category]
        return list(categories), list(ids)
    if spec.metric.startswith(REGRESSION_METRICS):
        return ["tabular-regression"], ["tabular-single-column-regression"]
    return ["tabular-classification"], ["tabular-multi-class-classification"]


def size_category(rows: int) -> str:
    """The Hub's size category of a number of examples.

    >>> size_category(999), size_category(1000), size_category(25_000)
    ('n<1K', '1K<n<10K', '10K<n<100K')
    """
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>1T"


def _table_features(folder: Path, shards: list[str]) -> Any:
    """The ``datasets.Features`` of a table's parquet shards: the ``huggingface`` schema metadata when the writer
    recorded it (typed media columns), else inferred from the arrow schema."""
    import datasets
    import pyarrow.parquet as pq

    schema = pq.read_schema(folder / shards[0])
    meta = (schema.metadata or {}).get(b"huggingface")
    if meta:
        recorded = json.loads(meta).get("info", {}).get("features")
        if recorded:
            return datasets.Features.from_dict(recorded)
    return datasets.Features.from_arrow_schema(schema)


def _dataset_info(folder: Path, name: str, table: dict[str, Any]) -> dict[str, Any]:
    """One ``dataset_info`` entry: the config's features and its one split's size."""
    import pyarrow.parquet as pq

    shards = table["shards"]
    metas = [pq.read_metadata(folder / s) for s in shards]
    num_bytes = sum(m.row_group(i).total_byte_size for m in metas for i in range(m.num_row_groups))
    download = sum((folder / s).stat().st_size for s in shards)
    return {"config_name": name, "features": _table_features(folder, shards)._to_yaml_list(),
            "splits": [{"name": name, "num_bytes": num_bytes, "num_examples": table["rows"]}],
            "download_size": download, "dataset_size": num_bytes}


def _content_key(folder: Path, shards: list[str]) -> str:
    """A digest of a config's shard bytes: ``datasets`` keys the cache of a local folder by its YAML configs, not
    by the files, so a config that names this digest is never served from another version's cache."""
    from mle_datasets.raw import checksum_files

    digests = checksum_files(folder, shards)
    return hashlib.sha256("".join(digests[s] for s in shards).encode()).hexdigest()[:16]


def default_config(names: list[str]) -> str | None:
    """The config ``datasets.load_dataset(repo)`` loads when none is named: ``train``, else the first (sorted)
    whose name holds ``train`` (dog-breed's ``labels`` aside: histopathologic's ``train_labels``, the whale
    challenge's ``files_train2_zip``), else the first; None when there is none.

    >>> default_config(["sample_submission", "train_labels"]), default_config(["labels", "sample_submission"])
    ('train_labels', 'labels')
    """
    names = sorted(names)
    if "train" in names:
        return "train"
    return next((n for n in names if "train" in n.lower()), names[0] if names else None)


def _default_config(configs: list[dict[str, Any]]) -> None:
    """Mark :func:`default_config` of ``configs`` ``default`` unless one already is."""
    if configs and not any(c.get("default") for c in configs):
        default = default_config([c["config_name"] for c in configs])
        next(c for c in configs if c["config_name"] == default)["default"] = True


def render_card(data: dict[str, Any], body: str) -> DatasetCard:
    """A ``huggingface_hub.DatasetCard`` from its metadata (through ``DatasetCardData``) and its markdown body.

    >>> card = render_card({"license": "other", "pretty_name": "Toy"}, "# Toy\\n")
    >>> card.data.pretty_name, card.text
    ('Toy', '# Toy\\n')
    """
    from huggingface_hub import DatasetCard, DatasetCardData

    card_data = DatasetCardData(**data)
    return DatasetCard(f"---\n{card_data.to_yaml()}\n---\n{body}")


def add_config(card_text: str, name: str, path: str) -> str:
    """``card_text`` with one more config ``name`` (one split of that name reading ``path``), appended last.

    :func:`remove_config` gives the same text back, byte for byte.

    >>> card = render_card({"configs": [{"config_name": "train", "data_files": "data/train/*.parquet"}]}, "x\\n")
    >>> text = add_config(card.content, "leaderboard", "data/leaderboard/*.parquet")
    >>> "config_name: leaderboard" in text, remove_config(text, "leaderboard") == card.content
    (True, True)
    """
    from huggingface_hub import DatasetCard

    card = DatasetCard(card_text)
    data = card.data.to_dict()
    data["configs"] = [*data.get("configs", []), {"config_name": name,
                                                  "data_files": [{"split": name, "path": path}]}]
    return render_card(data, card.text).content


def remove_config(card_text: str, name: str) -> str:
    """``card_text`` without the config ``name`` (the inverse of :func:`add_config`)."""
    from huggingface_hub import DatasetCard

    card = DatasetCard(card_text)
    data = card.data.to_dict()
    data["configs"] = [c for c in data.get("configs", []) if c.get("config_name") != name]
    return render_card(data, card.text).content


def dataset_card(spec: Competition, manifest: dict[str, Any], private: bool, split_rule: str | None = None,
                 folder: Path | None = None) -> str:
    """Return the full ``README.md`` of a stored version: card metadata and the text saying how it was made.

    Parameters
    ----------
    spec : Competition
        The competition's spec.
    manifest : dict
        The version's manifest (``tables``, ``zips``, ``provenance``), as written by the store.
    private : bool
        True for the answers repository.
    split_rule : str, optional
        How MLE-bench v1 splits Kaggle's training data (from the preparer).
    folder : Path, optional
        The version's folder, holding the tables' parquet shards: features, split sizes and each config's
        content digest are read from them (without it the card has no ``dataset_info``).

    >>> import types
    >>> spec = types.SimpleNamespace(id="toy", name="Toy", description="Predict y.", metric="auc",
    ...     metric_params={}, lower_is_better=False, known_issues=(), version="1.0.0", category="tabular")
    >>> man = {"version": "1.0.0", "tables": {"train": {"source": "train.csv", "rows": 2, "columns": ["id", "y"]}},
    ...        "archives": {}, "provenance": {"raw_sha256": "ab" * 32, "preparer_version": "1",
    ...        "spec_version": "1.0.0", "raw_files": {"train.csv": "cd" * 32}}}
    >>> card = dataset_card(spec, man, private=False)
    >>> card.startswith("---\\n"), "https://www.kaggle.com/c/toy/rules" in card, "default: true" in card
    (True, True, True)
    """
    meta = card_metadata(spec, sorted(manifest["tables"]), private)
    tables = manifest["tables"]
    configs = [dict(c) for c in meta.pop("configs")]
    _default_config(configs)
    if folder is not None:
        for config in configs:
            table = tables.get(config["config_name"])
            if table and table.get("shards"):
                config["description"] = (f"{spec.id} v{manifest['version']} {config['config_name']}, "
                                         f"shards sha256 {_content_key(folder, table['shards'])}")
        infos = [_dataset_info(folder, c["config_name"], tables[c["config_name"]]) for c in configs
                 if tables.get(c["config_name"], {}).get("shards")]
        if infos:
            meta["dataset_info"] = infos
    categories, ids = task_metadata(spec)
    rows = max((t["rows"] for t in tables.values()), default=0)
    data = {**meta, "task_categories": categories, "task_ids": ids, "size_categories": [size_category(rows)],
            "configs": configs}
    return render_card(data, _card_body(spec, manifest, private, split_rule)).content


def _card_body(spec: Competition, manifest: dict[str, Any], private: bool, split_rule: str | None) -> str:
    prov = manifest["provenance"]
    version = manifest["version"]
    kind = "answers (private)" if private else "public data"
    lines = [f"# {spec.name}: {kind}, version {version}", ""]
    if private:
        lines += ["**This repository holds the answers of the test split, used only for grading. Keep it "
                  "private: it must never be published, as it lets anyone score perfectly.**", ""]
    lines += [spec.description.strip().split("\n\n")[0], "", "## How it was made", ""]
    lines.append(
        f"The raw files of the Kaggle competition `{spec.id}` were split as MLE-bench v1 splits them "
        f"(preparer version {prov['preparer_version']}, spec version {prov['spec_version']}): the same raw "
        "files give the same ids in each split, the same answers and the same sample submission."
    )
    split_rule = split_rule or prov.get("split_rule")
    if split_rule:
        lines += ["", f"Split rule: {split_rule}"]
    lines += ["", f"Raw files: {len(prov['raw_files'])}, combined sha256 `{prov['raw_sha256']}`:", ""]
    lines += [f"- `{name}`: `{sha}`" for name, sha in sorted(prov["raw_files"].items())[:50]]
    if len(prov["raw_files"]) > 50:
        lines.append(f"- ... and {len(prov['raw_files']) - 50} more (all in `manifest.json`)")
    lines += ["", "## License", "", LICENSE_NOTE.format(url=rules_url(spec.id)), ""]
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
    for name, recipe in sorted(manifest.get("zips", {}).items()):
        lines.append(f"- `{name}`: " + ("kept under `files/` as it is" if recipe.get("kept") else
                                        "rebuilt byte for byte from its members' rows"))
    lines += ["- `files/`: the prepared files that are not media rows, byte for byte (`materialize` rebuilds the "
              "folder an agent sees)",
              "- `manifest.json`: the sha256 of every file and the provenance", "",
              "## Loading", "", "```python", "import datasets, mle_datasets",
              f'datasets.load_dataset("<this repository>", "{_first(manifest)}", revision="v{version}")  '
              "# on the Hub; a local copy ignores revision",
              f'mle_datasets.load_dataset("{spec.id}", split="{_first(manifest)}", version="{version}"'
              + (", private=True)" if private else ")"),
              "```", ""]
    return "\n".join(lines)


def _first(manifest: dict[str, Any]) -> str:
    return default_config(list(manifest["tables"])) or "train"


def check_card(card_text: str) -> Any:
    """Validate a dataset card offline; return its ``DatasetCard`` or raise :class:`DataError` listing problems.

    The Hub's own check (``DatasetCard.validate``) needs the network; this one parses the card with
    ``huggingface_hub`` (``DatasetCard``, ``DatasetCardData`` round trip), reads its configs and
    ``dataset_info`` the way ``datasets`` does (``MetadataConfigs``, ``DatasetInfosDict``), and checks what a
    Hub dataset card of ours must have: one default config, a ``dataset_info`` entry per declared info matching a
    config, the Hub's spelling of size categories, task categories, and a license (``other`` with its
    ``license_name`` and ``license_link``).

    >>> card = render_card({"license": "other", "configs": [{"config_name": "a", "data_files": "a/*.parquet"}]},
    ...                    "# A\\n")
    >>> check_card(card.content)
    Traceback (most recent call last):
    ...
    mle_datasets.errors.DataError: invalid dataset card: no default config; no task_categories; ...
    """
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard, DatasetCardData

    from mle_datasets.errors import DataError

    try:
        card = DatasetCard(card_text)
        data = card.data.to_dict()
        if DatasetCardData(**data).to_dict() != data:
            raise ValueError("the metadata does not survive a DatasetCardData round trip")
        configs = MetadataConfigs.from_dataset_card_data(card.data)
        infos = DatasetInfosDict.from_dataset_card_data(card.data)
    except (ValueError, TypeError, KeyError) as err:
        raise DataError(f"invalid dataset card: {err}") from None
    problems = []
    if configs and sum(bool(c.get("default")) for c in configs.values()) != 1:
        problems.append("no default config" if not any(c.get("default") for c in configs.values())
                        else "more than one default config")
    problems += [f"dataset_info names the unknown config {name!r}" for name in infos if name not in configs]
    if not data.get("task_categories"):
        problems.append("no task_categories")
    sizes = {name for _, name in SIZE_CATEGORIES} | {"n>1T"}
    if not data.get("size_categories") or set(data["size_categories"]) - sizes:
        problems.append(f"size_categories {data.get('size_categories')} are not the Hub's ({', '.join(sorted(sizes))})")
    if not data.get("license"):
        problems.append("no license")
    elif data["license"] == "other" and not (data.get("license_name") and data.get("license_link")):
        problems.append("license 'other' without license_name and license_link")
    if problems:
        raise DataError("invalid dataset card: " + "; ".join(problems))
    return card
