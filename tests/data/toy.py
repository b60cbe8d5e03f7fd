"""A tiny competition-like spec and preparer for testing the data machinery without any real preparer.

The toy's raw download holds ``train.csv`` (``id``, ``feature``, ``label``), ``notes.txt`` and an ``images/``
folder; the preparer splits the rows with ``train_test_split(test_size=0.2, random_state=0)`` as MLE-bench
v1 preparers do and writes ``public/{train,test,sample_submission}.csv``, the test images and
``private/test.csv``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from competitions.spec import parse_spec
from mle_datasets.errors import RawDataError
from mle_datasets.raw import require_files

TOY_ID = "toy-competition"

TOY_SPEC = parse_spec({
    "id": TOY_ID,
    "name": "Toy Competition",
    "category": "Tabular",
    "split": "dev",
    "awards_medals": False,
    "metric": "auc",
    "lower_is_better": False,
    "id_columns": ["id"],
    "submission_columns": [{"name": "id", "dtype": "str"},
                           {"name": "label", "dtype": "float", "domain": "probability"}],
    "answers": "private/test.csv",
    "sample_submission": "public/sample_submission.csv",
    "grader": "binary_auc",
    "version": "1.0.0",
    "description": "Predict whether a toy row is labelled 1.\n\nSecond paragraph.",
    "known_issues": [{"summary": "Toy quirk kept.", "kaggle": "Kaggle does it right."}],
}, source="toy")


def make_toy_raw(dest: Path, n: int = 40, seed: int = 0, n_images: int = 5) -> Path:
    """Write the toy raw folder and return it."""
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    ids = [f"{i:05d}" for i in range(n)]
    frame = pd.DataFrame({"id": ids, "feature": rng.normal(size=n).round(6), "label": np.arange(n) % 2})
    frame.to_csv(dest / "train.csv", index=False)
    (dest / "notes.txt").write_text("toy notes\n")
    (dest / "images").mkdir(exist_ok=True)
    for i in ids[:n_images]:
        (dest / "images" / f"{i}.bin").write_bytes(rng.bytes(16))
    return dest


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Zip a folder's files (relative names), as Kaggle's single download zip."""
    with zipfile.ZipFile(zip_path, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return zip_path


@dataclass
class ToyPreparer:
    """Toy preparer; ``fail_after_public`` simulates a crash half way."""

    id: str = TOY_ID
    raw_files: tuple[str, ...] = ("train.csv", "notes.txt")
    version: str = "1"
    split_rule: str = "rows, train_test_split(test_size=0.2, random_state=0)"
    fail_after_public: BaseException | None = None
    leak: bool = False

    def check_raw(self, raw_dir: Path) -> None:
        require_files(raw_dir, self.raw_files)
        header = pd.read_csv(Path(raw_dir) / "train.csv", nrows=0).columns.tolist()
        if header != ["id", "feature", "label"]:
            raise RawDataError(f"train.csv has columns {header}, expected ['id', 'feature', 'label']")

    def run(self, raw_dir: Path, public_dir: Path, private_dir: Path) -> None:
        public_dir.mkdir(parents=True, exist_ok=True)
        private_dir.mkdir(parents=True, exist_ok=True)
        frame = pd.read_csv(raw_dir / "train.csv", dtype={"id": str})
        train, test = train_test_split(frame, test_size=0.2, random_state=0)
        train.to_csv(public_dir / "train.csv", index=False)
        test_public = test if self.leak else test.drop(columns=["label"])
        test_public.to_csv(public_dir / "test.csv", index=False)
        (public_dir / "notes.txt").write_bytes((raw_dir / "notes.txt").read_bytes())
        if self.fail_after_public is not None:
            raise self.fail_after_public
        (public_dir / "images").mkdir(exist_ok=True)
        for img in sorted((raw_dir / "images").glob("*.bin")):
            (public_dir / "images" / img.name).write_bytes(img.read_bytes())
        test[["id"]].assign(label=0.5).to_csv(public_dir / "sample_submission.csv", index=False)
        test[["id", "label"]].to_csv(private_dir / "test.csv", index=False)
