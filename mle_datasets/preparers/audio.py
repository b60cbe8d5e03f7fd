"""Preparers of the lite audio competitions: MLSP 2013 birds and the ICML 2013 right whale redux."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import check_table, open_zip, read_csv, read_member, write_csv, write_zip

# ------------------------------------------------------------------------ mlsp-2013-birds
MLSP_ZIP = "mlsp_contest_dataset.zip"
MLSP_ROOT = "mlsp_contest_dataset/"
MLSP_SPECIES = 19
MLSP_TEST_RECORDINGS = 64
MLSP_BMP_FOLDERS = ("filtered_spectrograms", "spectrograms", "supervised_segmentation")
MLSP_TABLES = ("histogram_of_segments.txt", "segment_features.txt", "segment_rectangles.txt")
MLSP_FOLDS = pa.DataFrameSchema(
    {"rec_id": pa.Column(int), "fold": pa.Column(int, pa.Check.isin([0, 1]))}, strict=True, ordered=True
)
MLSP_FILENAMES = pa.DataFrameSchema({"rec_id": pa.Column(int), "filename": pa.Column(str)}, strict=True, ordered=True)


class _MlspZip:
    """Reads entries of ``mlsp_contest_dataset.zip`` by their path under ``mlsp_contest_dataset/``."""

    def __init__(self, raw: Path) -> None:
        self.zf = open_zip(raw / MLSP_ZIP)
        self.names = set(self.zf.namelist())

    def read(self, path: str) -> bytes:
        return read_member(self.zf, MLSP_ROOT + path)

    def has(self, path: str) -> bool:
        return MLSP_ROOT + path in self.names

    def csv(self, path: str, schema: pa.DataFrameSchema) -> pd.DataFrame:
        return check_table(read_csv(io.BytesIO(self.read(path)), f"{MLSP_ZIP}:{path}"), schema, f"{MLSP_ZIP}:{path}")

    def lines(self, path: str) -> pd.Series:
        """Lines after the header, split at the first comma into ``rec_id`` (int) and ``rest``."""
        text = self.read(path).decode("utf-8").splitlines()[1:]
        parts = pd.Series(text, dtype=str).str.split(",", n=1, expand=True).reindex(columns=[0, 1])
        rec = pd.to_numeric(parts[0], errors="coerce")
        if rec.isna().any():
            raise RawDataError(
                f"{MLSP_ZIP}:{path}: {int(rec.isna().sum())} line(s) do not start with an integer rec_id; download it again"
            )
        return pd.DataFrame({"rec_id": rec.astype(int), "rest": parts[1].fillna("")})


def _mlsp_contract(raw: Path) -> None:
    data = _MlspZip(raw)
    folds = data.csv("essential_data/CVfolds_2.txt", MLSP_FOLDS)
    data.csv("essential_data/rec_id2filename.txt", MLSP_FILENAMES)
    needed = ["essential_data/rec_labels_test_hidden.txt", "essential_data/species_list.txt",
              "supplemental_data/segment_clusters.bmp", "supplemental_data/segment_mosaic.bmp"]
    needed += [f"supplemental_data/{t}" for t in MLSP_TABLES]
    missing = [p for p in needed if not data.has(p)]
    if missing:
        raise RawDataError(f"{MLSP_ZIP} lacks {', '.join(missing)}; download the full competition data again")
    n_fold0 = int((folds["fold"] == 0).sum())
    if round(0.2 * n_fold0) != MLSP_TEST_RECORDINGS:
        raise RawDataError(
            f"{MLSP_ZIP}: CVfolds_2.txt has {n_fold0} fold-0 recordings; MLE-bench v1's split needs 318-322 "
            f"(it draws exactly {MLSP_TEST_RECORDINGS} test recordings): the data has changed or is incomplete"
        )


def _mlsp_split(n: int) -> np.ndarray:
    """Fold of each kept recording after MLE-bench's ``sample(frac=0.2, random_state=0)`` (1 = new test)."""
    fold = np.zeros(n, dtype=np.int64)
    fold[pd.Series(np.arange(n)).sample(frac=0.2, random_state=0).index.to_numpy()] = 1
    return fold


def _write_text(path: Path, header: str, rec_ids: pd.Series, rest: pd.Series, bare: pd.Series | None = None) -> None:
    """Write ``header`` then ``<rec_id>,<rest>`` lines (``<rec_id><rest>`` where ``bare`` is True)."""
    sep = pd.Series(",", index=rec_ids.index) if bare is None else pd.Series(np.where(bare, "", ","), index=rec_ids.index)
    body = rec_ids.astype(str) + sep + rest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(body + "\n"), encoding="utf-8")


@register_preparer("mlsp-2013-birds", (MLSP_ZIP,), _mlsp_contract)
def prepare_mlsp(raw: Path, public: Path, private: Path) -> None:
    """Fold-0 recordings renumbered 0..n-1; sample(frac=0.2, random_state=0) (64) become the test; answers per
    (recording, species)."""
    data = _MlspZip(raw)
    with data.zf:
        folds = data.csv("essential_data/CVfolds_2.txt", MLSP_FOLDS)
        kept = folds.loc[folds["fold"] == 0, "rec_id"].to_numpy()
        old_to_new = pd.Series(np.arange(len(kept)), index=kept)
        fold = _mlsp_split(len(kept))
        if int(fold.sum()) != MLSP_TEST_RECORDINGS:
            raise RawDataError(
                f"CVfolds_2.txt has {len(kept)} fold-0 recordings; MLE-bench v1 needs exactly "
                f"{MLSP_TEST_RECORDINGS} test recordings (318-322 fold-0 rows): the data has changed"
            )
        test_ids = np.flatnonzero(fold)
        essential, supplemental = public / "essential_data", public / "supplemental_data"
        write_csv(pd.DataFrame({"rec_id": np.arange(len(kept)), "fold": fold}), essential / "CVfolds_2.txt")

        names = data.csv("essential_data/rec_id2filename.txt", MLSP_FILENAMES)
        names = names[names["rec_id"].isin(kept)]
        names = names.assign(rec_id=names["rec_id"].map(old_to_new))
        if len(names) != len(kept):
            raise RawDataError(
                f"rec_id2filename.txt has {len(names)} rows for the {len(kept)} fold-0 recordings; download it again"
            )
        write_csv(names, essential / "rec_id2filename.txt")

        labels = data.lines("essential_data/rec_labels_test_hidden.txt")
        labels = labels[labels["rec_id"].isin(kept)]
        labels = labels.assign(rec_id=labels["rec_id"].map(old_to_new))
        hidden = labels["rec_id"].isin(test_ids)
        public_rest = labels["rest"].where(~hidden, "?")
        _write_text(
            essential / "rec_labels_test_hidden.txt", "rec_id,[labels]", labels["rec_id"], public_rest, public_rest == ""
        )
        _mlsp_answers(labels[hidden], private / "answers.csv")
        sample_ids = (test_ids[:, None] * 100 + np.arange(MLSP_SPECIES)).reshape(-1)
        write_csv(pd.DataFrame({"Id": sample_ids, "Probability": 0}), public / "sample_submission.csv")
        (essential / "species_list.txt").write_bytes(data.read("essential_data/species_list.txt"))

        files = names["filename"]
        _copy_members(data, "essential_data/src_wavs", files + ".wav", essential / "src_wavs", required=True)
        for folder in MLSP_BMP_FOLDERS:
            _copy_members(data, f"supplemental_data/{folder}", files + ".bmp", supplemental / folder, required=True)
        _copy_members(data, "supplemental_data/segmentation_examples", files + ".bmp",
                      supplemental / "segmentation_examples", required=False)
        for name in ("segment_clusters.bmp", "segment_mosaic.bmp"):
            (supplemental / name).write_bytes(data.read(f"supplemental_data/{name}"))
        for table in MLSP_TABLES:
            rows = data.lines(f"supplemental_data/{table}")
            rows = rows[rows["rec_id"].isin(kept)]
            header = "rec_id,[histogram of segment features]"  # MLE-bench writes this header on all three
            _write_text(supplemental / table, header, rows["rec_id"].map(old_to_new), rows["rest"])


def _mlsp_answers(test_labels: pd.DataFrame, path: Path) -> None:
    """``Id = rec_id*100 + species``, ``Probability`` 1 if the species is among the recording's labels."""
    if len(test_labels) != MLSP_TEST_RECORDINGS:
        raise RawDataError(
            f"rec_labels_test_hidden.txt has labels for {len(test_labels)} of the {MLSP_TEST_RECORDINGS} test "
            "recordings; download it again"
        )
    lists = test_labels["rest"].str.split(",").explode()
    lists = lists[lists.notna() & (lists != "")]
    species = pd.to_numeric(lists, errors="coerce")
    if species.isna().any() or not species.between(0, MLSP_SPECIES - 1).all():
        raise RawDataError(
            "rec_labels_test_hidden.txt: a fold-0 recording has labels that are not species ids 0-18 "
            f"(e.g. {lists[species.isna() | ~species.between(0, MLSP_SPECIES - 1)].iloc[0]!r}); download it again"
        )
    position = pd.Series(np.arange(len(test_labels)), index=test_labels.index)
    matrix = np.zeros((len(test_labels), MLSP_SPECIES), dtype=np.int64)
    matrix[position.loc[species.index].to_numpy(), species.astype(int).to_numpy()] = 1
    ids = (test_labels["rec_id"].to_numpy()[:, None] * 100 + np.arange(MLSP_SPECIES)).reshape(-1)
    write_csv(pd.DataFrame({"Id": ids, "Probability": matrix.reshape(-1)}), path)


def _copy_members(data: _MlspZip, folder: str, names: pd.Series, dest: Path, required: bool) -> None:
    """Copy ``folder/<name>`` entries of the zip to ``dest``; missing ones fail when ``required``."""
    dest.mkdir(parents=True, exist_ok=True)
    present = names[[data.has(f"{folder}/{n}") for n in names]]
    if required and len(present) < len(names):
        missing = names[~names.isin(present)]
        raise RawDataError(
            f"{MLSP_ZIP} lacks {len(missing)} file(s) in {folder}/ (e.g. {missing.iloc[0]}); download it again"
        )
    for name in present:
        (dest / name).write_bytes(data.read(f"{folder}/{name}"))


# ------------------------------------------------------------------------ the-icml-2013-whale-challenge-right-whale-redux
def _whale_entries(raw: Path) -> pd.Series:
    """Names of the entries directly inside ``train2/`` of train2.zip (files or folders), sorted."""
    with open_zip(raw / "train2.zip") as zf:
        names = pd.Series(zf.namelist(), dtype=str)
    inside = names[names.str.startswith("train2/")].str.slice(len("train2/")).str.split("/").str[0]
    return pd.Series(sorted(set(inside[inside != ""])), dtype=str)


def _whale_contract(raw: Path) -> None:
    entries = _whale_entries(raw)
    dates = sorted(set(entries.str.split("_").str[0]))
    if len(dates) != 4:
        raise RawDataError(
            f"train2.zip: train2/ must hold clips of exactly 4 recording days (names start YYYYMMDD_), found "
            f"{len(dates)} prefix(es) {dates[:6]}; stray files or a changed download: download it again"
        )
    bad = entries[~entries.str.fullmatch(r"\d{8}_\d{6}_\d+s\d+ms_TRAIN\d+_[01]\.aif")]
    if len(bad):
        raise RawDataError(
            f"train2.zip: {len(bad)} entry name(s) do not follow <date>_<time>_<sec>s<t>ms_TRAIN<i>_<label>.aif "
            f"(e.g. {bad.iloc[0]!r}); download it again"
        )


@register_preparer("the-icml-2013-whale-challenge-right-whale-redux", ("train2.zip",), _whale_contract)
def prepare_whale(raw: Path, public: Path, private: Path) -> None:
    """The two earliest recording days are the new train, the two latest the test; clips re-indexed."""
    entries = _whale_entries(raw)
    date = entries.str.split("_").str[0]
    dates = sorted(set(date))
    if len(dates) != 4:
        raise RawDataError(f"train2.zip: expected clips of 4 recording days, found {len(dates)}; download it again")
    train = entries[date.isin(dates[:2])].reset_index(drop=True)
    test = entries[date.isin(dates[2:])].reset_index(drop=True)
    train_new = _reindex_train(train)
    test_new = test.str.split("TRAIN").str[0] + "Test" + pd.Series(np.arange(len(test))).astype(str) + ".aif"
    with open_zip(raw / "train2.zip") as zf:
        for folder, olds, news in (("train2", train, train_new), ("test2", test, test_new)):
            entries = {f"{folder}/{n}": read_member(zf, f"train2/{o}") for o, n in zip(olds, news)}
            write_zip(public / f"{folder}.zip", entries, folders=[folder])
    label = test.str.rsplit(".", n=1).str[0].str.endswith("_1").astype(int)
    answers = pd.DataFrame({"clip": test_new, "probability": label})
    write_csv(answers, private / "test.csv")
    write_csv(answers.assign(probability=0), public / "sampleSubmission.csv")


def _reindex_train(names: pd.Series) -> pd.Series:
    """Replace every ``TRAIN<digits>`` of the i-th name by ``TRAIN<i>`` (as ``re.sub`` in MLE-bench does)."""
    index = pd.Series(np.arange(len(names))).astype(str)
    pieces = names.str.split(r"TRAIN\d+", regex=True)
    return pd.Series([("TRAIN" + i).join(p) for p, i in zip(pieces, index)], dtype=str)
