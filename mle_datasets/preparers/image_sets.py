"""Preparers of the medium image-set competitions: COCO-style metadata JSON with nested image folders
(herbarium 2020-2022, iNaturalist 2019 with its tarball, iWildCam 2020), a BSON product file (Cdiscount) and
page scans in a zip (Kuzushiji).

Images are linked (or copied) as they are, never decoded. Metadata JSON is read whole, as MLE-bench v1 reads
it; the raw contract parses and checks it once and hands the result to the preparer (:func:`_checked_json`).
"""

from __future__ import annotations

import json
import random
import shutil
import tarfile
import zlib
from array import array
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    check_csv,
    link_files,
    open_zip,
    read_csv,
    read_member,
    require_unique,
    split_positions,
    write_csv,
    write_zip,
)


# ------------------------------------------------------------------------------------------------ JSON
#: What the last raw contract found in a metadata file (parsed document, checked columns), waiting for the
#: preparer: key (path, size, mtime, encoding). One slot, so a large document is held at most once.
_CHECKED: dict[tuple[str, int, int, str], Any] = {}


def _read_json(path: Path, encoding: str = "utf-8") -> Any:
    """Parse a raw JSON file (``RawDataError`` when it is missing or not JSON)."""
    if not path.is_file():
        raise RawDataError(f"{path.name} is missing from {path.parent}; download the full competition data")
    try:
        with open(path, encoding=encoding) as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RawDataError(f"{path.name} is not valid JSON ({err}); it may be truncated: download it again") from None


def _checked_json(path: Path, encoding: str, check: Callable[[Any], Any], keep: bool) -> Any:
    """``check(document)`` of a raw JSON metadata file.

    With ``keep`` (the raw contract) the result waits in a one-slot cache; the preparer (``keep=False``) takes
    it when the file is unchanged instead of parsing and checking the document a second time.
    """
    if not path.is_file():
        raise RawDataError(f"{path.name} is missing from {path.parent}; download the full competition data")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, encoding)
    if key in _CHECKED:
        return _CHECKED[key] if keep else _CHECKED.pop(key)
    result = check(_read_json(path, encoding))
    if keep:
        _CHECKED.clear()
        _CHECKED[key] = result
    return result


def _dump_json(obj: Any, path: Path, **kwargs: Any) -> None:
    """Write ``obj`` with ``json.dump`` (ASCII, as MLE-bench v1 writes its metadata files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="ascii") as fh:
        json.dump(obj, fh, **kwargs)


def _require_keys(doc: Any, keys: tuple[str, ...], name: str, exact: bool = False) -> None:
    """The top-level object of a metadata file has ``keys`` (exactly those with ``exact``)."""
    if not isinstance(doc, dict):
        raise RawDataError(f"{name} must hold a JSON object at the top level, not a {type(doc).__name__}")
    missing = [k for k in keys if k not in doc]
    extra = sorted(set(doc) - set(keys)) if exact else []
    if missing or extra:
        detail = "; ".join(
            part for part in (
                f"missing key(s) {', '.join(map(repr, missing))}" if missing else "",
                f"unexpected key(s) {', '.join(map(repr, extra))}" if extra else "",
            ) if part
        )
        raise RawDataError(
            f"{name} does not match the Kaggle layout: {detail}. Expected top-level keys {', '.join(keys)}; "
            "the file may have changed or be incomplete: download it again"
        )


def _records(doc: dict, key: str, name: str) -> list:
    """The list ``doc[key]`` of a metadata file."""
    value = doc[key]
    if not isinstance(value, list):
        raise RawDataError(f"{name}: {key!r} must be a list, not a {type(value).__name__}")
    return value


def _column(records: list, key: str, name: str, kind: str) -> np.ndarray:
    """Field ``key`` of every record as a numpy array; ``kind`` is ``int``, ``str`` or ``any``.

    >>> _column([{"id": 3}, {"id": 5}], "id", "x.json: images", "int").tolist()
    [3, 5]
    >>> _column([{"id": 3}, {"di": 5}], "id", "x.json: images", "int")
    Traceback (most recent call last):
    ...
    mle_datasets.errors.RawDataError: x.json: images: record 1 has no field 'id'; download the file again
    """
    try:
        values = list(map(itemgetter(key), records))
    except (KeyError, TypeError):
        bad = next(i for i, r in enumerate(records) if not isinstance(r, dict) or key not in r)
        raise RawDataError(f"{name}: record {bad} has no field {key!r}; download the file again") from None
    if kind == "any":
        return np.array(values, dtype=object)
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    ok = arr is not None and arr.null_count == 0 and (
        pa.types.is_integer(arr.type) if kind == "int" else pa.types.is_string(arr.type)
    )
    if not ok:
        expected = "an integer" if kind == "int" else "a string"
        raise RawDataError(
            f"{name}: field {key!r} must be {expected} in every record; the file may have changed: download it again"
        )
    return arr.to_numpy(zero_copy_only=False)


def _require_aligned(left: np.ndarray, right: np.ndarray, name: str, what: str) -> None:
    """``annotations[i]`` and ``images[i]`` describe the same image (MLE-bench asserts it record by record)."""
    if len(left) != len(right):
        raise RawDataError(
            f"{name}: {len(left)} annotations but {len(right)} images; each image needs exactly one annotation, "
            "in the same order: download the file again"
        )
    bad = np.flatnonzero(left != right)
    if len(bad):
        i = int(bad[0])
        raise RawDataError(
            f"{name}: annotation {i} is for image {left[i]!r} but image {i} is {right[i]!r} ({what}); the two lists "
            "must be aligned: download the file again"
        )


def _require_unique_values(values: np.ndarray, name: str, what: str) -> None:
    uniq, counts = np.unique(values, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        raise RawDataError(
            f"{name}: {len(dup)} {what} occur more than once (e.g. {', '.join(map(repr, dup[:3].tolist()))}); "
            "download the file again"
        )


# --------------------------------------------------------------------------------------- per-category split
def _local_split(size: int, test_size: float, few_from_end: bool) -> tuple[np.ndarray, np.ndarray]:
    """Positions, within one category of ``size`` images, of v1's train and test parts (in v1's order).

    One image: train. With ``few_from_end``, 2 to 4 images: the last ``max(1, int(size * test_size))`` go to
    test. Otherwise ``train_test_split(test_size=test_size, random_state=0)``.
    """
    if size == 1 and few_from_end:
        return np.zeros(1, np.int64), np.zeros(0, np.int64)
    if few_from_end and size < 5:
        k = max(1, int(size * test_size))
        return np.arange(size - k), np.arange(size - k, size)
    return split_positions(size, test_size)


def category_split(categories: np.ndarray, test_size: float, few_from_end: bool) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of MLE-bench v1's per-category split: ``(train, test)``, each in v1's output order.

    Categories are visited in order of first appearance; each is split by :func:`_local_split` (the split of
    a category depends only on its size) and the parts are concatenated. The test part is *before* v1's
    ``random.Random(0).shuffle`` (:func:`v1_shuffle`).

    >>> train, test = category_split(np.array([7, 3, 7, 7, 3, 9]), 0.2, True)
    >>> train.tolist(), test.tolist()
    ([0, 2, 1, 5], [3, 4])
    """
    n = len(categories)
    uniq, first, inverse = np.unique(categories, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    group_of_row = rank[inverse.reshape(-1)]
    order = np.argsort(group_of_row, kind="stable")  # rows grouped by category, raw order within one
    sizes = np.bincount(group_of_row, minlength=len(uniq))
    group = np.repeat(np.arange(len(uniq)), sizes)
    local = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    distinct = np.unique(sizes)
    offsets = np.cumsum(distinct) - distinct
    train_slot = np.full(int(distinct.sum()), -1, np.int64)
    test_slot = np.full(int(distinct.sum()), -1, np.int64)
    for size, offset in zip(distinct.tolist(), offsets.tolist()):  # one split per distinct category size
        train, test = _local_split(size, test_size, few_from_end)
        train_slot[offset + train] = np.arange(len(train))
        test_slot[offset + test] = np.arange(len(test))
    at = offsets[np.searchsorted(distinct, sizes)][group] + local
    parts = []
    for slot in (train_slot[at], test_slot[at]):
        keep = slot >= 0
        parts.append(order[keep][np.lexsort((slot[keep], group[keep]))])
    return parts[0], parts[1]


def v1_shuffle(n: int) -> np.ndarray:
    """The permutation ``random.Random(0).shuffle`` applies to a list of ``n`` items (it depends only on n).

    >>> items = list("abcdef"); random.Random(0).shuffle(items)
    >>> "".join(np.array(list("abcdef"))[v1_shuffle(6)]) == "".join(items)
    True
    """
    order = list(range(n))
    random.Random(0).shuffle(order)
    return np.array(order, dtype=np.int64)


def _category_folders(categories: np.ndarray) -> pd.Series:
    """``{c // 100:03d}/{c % 100:02d}`` of each category id (MLE-bench's nested train folders)."""
    cats = pd.Series(categories, dtype="int64")
    return (cats // 100).astype(str).str.zfill(3) + "/" + (cats % 100).astype(str).str.zfill(2)


# --------------------------------------------------------------------------------------- herbarium 2020, 2021
class _Herbarium:
    """What differs between the 2020 and 2021 herbarium layouts."""

    def __init__(self, root: str, encoding: str, extra_key: str) -> None:
        self.root = root  # folder of train/ and test/ inside raw and public
        self.encoding = encoding
        self.keys = ("annotations", "categories", "images", "info", "licenses", extra_key)
        self.extra_key = extra_key
        self.metadata = f"{root}train/metadata.json"

    def check(self, raw: Path, keep: bool = True) -> tuple[dict, np.ndarray, np.ndarray]:
        """Parse and check the train metadata; return it with each image's category and file name."""
        return _checked_json(raw / self.metadata, self.encoding, self._check, keep)

    def _check(self, doc: Any) -> tuple[dict, np.ndarray, np.ndarray]:
        name = self.metadata
        _require_keys(doc, self.keys, name, exact=True)
        annotations, images = _records(doc, "annotations", name), _records(doc, "images", name)
        if not annotations:
            raise RawDataError(f"{name} lists no annotated images; download the full competition data")
        categories = _column(annotations, "category_id", f"{name}: annotations", "int")
        _require_aligned(_column(annotations, "image_id", f"{name}: annotations", "any"),
                         _column(images, "id", f"{name}: images", "any"), name, "image_id against id")
        files = _column(images, "file_name", f"{name}: images", "str")
        expected = "images/" + _category_folders(categories)
        parts = pd.Series(files, dtype=object).str.rpartition("/")
        ok = (parts[0] == expected).to_numpy(dtype=bool) & parts[2].str.fullmatch(r"[^/]+\.jpg").to_numpy(dtype=bool)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise RawDataError(
                f"{name}: image {i} has file_name {files[i]!r}, but an image of category {categories[i]} must be "
                f"{expected.iloc[i]}/<name>.jpg (MLE-bench copies it into that category's folder); download the "
                "file again"
            )
        _require_unique_values(files, name, "file_name values")
        return doc, categories, files

    def prepare(self, raw: Path, public: Path, private: Path) -> None:
        doc, categories, files = self.check(raw, keep=False)
        train, test = category_split(categories, 0.2, few_from_end=True)
        test = test[v1_shuffle(len(test))]
        annotations, images = doc["annotations"], doc["images"]
        train_doc = dict(doc, annotations=[annotations[i] for i in train], images=[images[i] for i in train])
        _dump_json(train_doc, public / self.metadata, indent=4, sort_keys=True)
        new_ids = [str(k) for k in range(len(test))]
        new_files = [f"images/{k // 1000:03d}/{k}.jpg" for k in range(len(test))]
        test_images = [dict(images[i], id=new_id, file_name=f) for i, new_id, f in zip(test, new_ids, new_files)]
        test_doc = {k: v for k, v in doc.items() if k not in ("annotations", "categories", self.extra_key)}
        test_doc["images"] = test_images
        _dump_json(test_doc, public / f"{self.root}test/metadata.json", indent=4, sort_keys=True)
        train_dir, test_dir = raw / f"{self.root}train", public / f"{self.root}test"
        link_files((train_dir / files[i], public / f"{self.root}train" / files[i]) for i in train)
        link_files((train_dir / files[i], test_dir / f) for i, f in zip(test, new_files))
        answers = pd.DataFrame({"Id": new_ids, "Predicted": categories[test]})
        write_csv(answers, private / "answers.csv")
        write_csv(answers.assign(Predicted=0), public / "sample_submission.csv")


HERBARIUM_2020 = _Herbarium("nybg2020/", "latin-1", "regions")
HERBARIUM_2021 = _Herbarium("", "utf-8", "institutions")


@register_preparer(
    "herbarium-2020-fgvc7", ("nybg2020/train/metadata.json", "nybg2020/train/images"), HERBARIUM_2020.check
)
def prepare_herbarium_2020(raw: Path, public: Path, private: Path) -> None:
    """Per category (list order): 1 image -> train; 2-4 -> the last max(1, int(0.2n)) to test; 5+ ->
    train_test_split(test_size=0.2, random_state=0); test shuffled with random.Random(0) and renumbered 0..N-1.

    ``nybg2020/train/metadata.json`` is read as latin-1 (as v1 does) and written back ASCII-escaped.
    """
    HERBARIUM_2020.prepare(raw, public, private)


@register_preparer("herbarium-2021-fgvc8", ("train/metadata.json", "train/images"), HERBARIUM_2021.check)
def prepare_herbarium_2021(raw: Path, public: Path, private: Path) -> None:
    """Per category (list order): 1 image -> train; 2-4 -> the last max(1, int(0.2n)) to test; 5+ ->
    train_test_split(test_size=0.2, random_state=0); test shuffled with random.Random(0) and renumbered 0..N-1."""
    HERBARIUM_2021.prepare(raw, public, private)


# ------------------------------------------------------------------------------------------- herbarium 2022
HERBARIUM_2022_METADATA = "train_metadata.json"


def _herbarium_2022_contract(raw: Path, keep: bool = True) -> tuple[dict, np.ndarray, np.ndarray]:
    return _checked_json(raw / HERBARIUM_2022_METADATA, "utf-8", _herbarium_2022_check, keep)


def _herbarium_2022_check(doc: Any) -> tuple[dict, np.ndarray, np.ndarray]:
    name = HERBARIUM_2022_METADATA
    _require_keys(doc, ("annotations", "images"), name)
    annotations, images = _records(doc, "annotations", name), _records(doc, "images", name)
    if not annotations:
        raise RawDataError(f"{name} lists no annotated images; download the full competition data")
    categories = _column(annotations, "category_id", f"{name}: annotations", "int")
    _require_aligned(_column(annotations, "image_id", f"{name}: annotations", "any"),
                     _column(images, "image_id", f"{name}: images", "any"), name, "image_id against image_id")
    files = _column(images, "file_name", f"{name}: images", "str")
    uniq, counts = np.unique(categories, return_counts=True)
    if (counts < 2).any():
        lone = uniq[counts < 2]
        raise RawDataError(
            f"{name}: {len(lone)} categor{'y has' if len(lone) == 1 else 'ies have'} a single image (e.g. "
            f"{', '.join(map(str, lone[:3].tolist()))}); MLE-bench splits every category 80/20 and needs at least "
            "two images in each: download the full competition data"
        )
    return doc, categories, files


@register_preparer("herbarium-2022-fgvc9", (HERBARIUM_2022_METADATA, "train_images"), _herbarium_2022_contract)
def prepare_herbarium_2022(raw: Path, public: Path, private: Path) -> None:
    """Every category split by train_test_split(test_size=0.2, random_state=0); train renamed
    <category:05d>__<k:03d> per category, test shuffled with random.Random(0) and renumbered 0..N-1."""
    doc, categories, files = _herbarium_2022_contract(raw, keep=False)
    train, test = category_split(categories, 0.2, few_from_end=False)
    test = test[v1_shuffle(len(test))]
    train_cats = pd.Series(categories[train], dtype="int64")
    k = train_cats.groupby(train_cats.to_numpy(), sort=False).cumcount() + 1
    new_ids = (train_cats.astype(str).str.zfill(5) + "__" + k.astype(str).str.zfill(3)).tolist()
    new_files = (_category_folders(train_cats.to_numpy()) + "/" + pd.Series(new_ids) + ".jpg").tolist()
    annotations, images = doc["annotations"], doc["images"]
    train_doc = dict(
        doc,
        annotations=[dict(annotations[i], image_id=n) for i, n in zip(train, new_ids)],
        images=[dict(images[i], image_id=n, file_name=f) for i, n, f in zip(train, new_ids, new_files)],
    )
    _dump_json(train_doc, public / HERBARIUM_2022_METADATA, indent=4, sort_keys=True)
    test_ids = [str(k) for k in range(len(test))]
    test_files = [f"{k // 1000:03d}/test-{k:06d}.jpg" for k in range(len(test))]
    test_images = [dict(images[i], image_id=n, file_name=f) for i, n, f in zip(test, test_ids, test_files)]
    _dump_json(test_images, public / "test_metadata.json", indent=4, sort_keys=True)
    source = raw / "train_images"
    link_files((source / files[i], public / "train_images" / f) for i, f in zip(train, new_files))
    link_files((source / files[i], public / "test_images" / f) for i, f in zip(test, test_files))
    answers = pd.DataFrame({"Id": test_ids, "Predicted": categories[test]})
    write_csv(answers, private / "answers.csv")
    write_csv(answers.assign(Predicted=42), public / "sample_submission.csv")


# ------------------------------------------------------------------------------------------ inaturalist-2019
INAT_KEYS = ("info", "images", "categories", "annotations", "licenses")
INAT_TRAIN_TAR = "train_val2019.tar.gz"
INAT_FOLDER = "train_val2019/"
#: The sample submission's class: v1 draws random.Random(42).randint(0, 1009) afresh for every row.
INAT_SAMPLE_CLASS = random.Random(42).randint(0, 1009)


def _open_tar_stream(path: Path):
    """Open a raw gzip tarball for one sequential pass (``RawDataError`` when it is not one)."""
    try:
        return tarfile.open(path, "r|gz")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise RawDataError(f"{path.name} is not a readable gzip tar ({err}); download it again") from None


def _tar_members(tar):
    """``(normalised name, member)`` of every regular file of a streamed tar, in archive order."""
    try:
        for member in tar:
            if member.isfile():
                yield member.name.removeprefix("./"), member
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise RawDataError(f"{INAT_TRAIN_TAR} is truncated or corrupt ({err}); download it again") from None


def _inaturalist_contract(raw: Path, keep: bool = True) -> tuple[dict, np.ndarray, np.ndarray]:
    result = _checked_json(raw / "train2019.json", "utf-8", _inaturalist_check, keep)
    with _open_tar_stream(raw / INAT_TRAIN_TAR) as tar:
        first = next(iter(_tar_members(tar)), None)
    if first is None or not first[0].startswith(INAT_FOLDER):
        raise RawDataError(
            f"{INAT_TRAIN_TAR} must hold the images under a top folder {INAT_FOLDER} (first file: "
            f"{first[0] if first else 'none'}); download it again"
        )
    return result


def _inaturalist_check(doc: Any) -> tuple[dict, np.ndarray, np.ndarray]:
    name = "train2019.json"
    _require_keys(doc, INAT_KEYS, name, exact=True)
    annotations, images = _records(doc, "annotations", name), _records(doc, "images", name)
    if not annotations:
        raise RawDataError(f"{name} lists no annotated images; download the full competition data")
    categories = _column(annotations, "category_id", f"{name}: annotations", "int")
    _require_aligned(_column(annotations, "image_id", f"{name}: annotations", "any"),
                     _column(images, "id", f"{name}: images", "any"), name, "image_id against id")
    files = _column(images, "file_name", f"{name}: images", "str")
    ok = pd.Series(files, dtype=object).str.fullmatch(rf"{INAT_FOLDER}[^/].*\.jpg").to_numpy(dtype=bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise RawDataError(
            f"{name}: image {i} has file_name {files[i]!r}; every train image must be {INAT_FOLDER}<...>.jpg "
            f"inside {INAT_TRAIN_TAR}: download the file again"
        )
    _require_unique_values(files, name, "file_name values")
    return doc, categories, files


def _write_tars(raw_tar: Path, routes: dict[str, tuple[int, str]], outputs: list[Path]) -> None:
    """Copy the raw tar's files named in ``routes`` (name -> (output number, new name)) into new plain tars, in
    one pass and in archive order; fixed owners, modes and times."""
    found: set[str] = set()
    with _open_tar_stream(raw_tar) as tar:
        outs = [tarfile.open(path, "w") for path in outputs]
        try:
            for name, member in _tar_members(tar):
                route = routes.get(name)
                if route is None:
                    continue
                if name in found:
                    raise RawDataError(f"{raw_tar.name} holds {name} twice; download it again")
                found.add(name)
                info = tarfile.TarInfo(route[1])
                info.size, info.mode, info.mtime = member.size, 0o644, 0
                outs[route[0]].addfile(info, tar.extractfile(member))
        finally:
            for out in outs:
                out.close()
    missing = [n for n in routes if n not in found]
    if missing:
        raise RawDataError(
            f"{raw_tar.name} lacks {len(missing)} image(s) listed in train2019.json (e.g. {', '.join(missing[:3])}); "
            "download the full competition data again"
        )


@register_preparer(
    "inaturalist-2019-fgvc6", (INAT_TRAIN_TAR, "train2019.json", "val2019.json"), _inaturalist_contract
)
def prepare_inaturalist(raw: Path, public: Path, private: Path) -> None:
    """Per category (list order): 1 image -> train; 2-4 -> the last max(1, int(0.12n)) to test; 5+ ->
    train_test_split(test_size=0.12, random_state=0); test shuffled with random.Random(0), ids kept, files
    flattened into test2019/; both image sets re-packed as plain (uncompressed) tars."""
    doc, categories, files = _inaturalist_contract(raw, keep=False)
    train, test = category_split(categories, 0.12, few_from_end=True)
    test = test[v1_shuffle(len(test))]
    annotations, images = doc["annotations"], doc["images"]
    train_doc = dict(doc, annotations=[annotations[i] for i in train], images=[images[i] for i in train])
    _dump_json(train_doc, public / "train2019.json", indent=4, sort_keys=True)
    shutil.copyfile(raw / "val2019.json", public / "val2019.json")
    base = pd.Series(files[test], dtype=object).str.rpartition("/")[2].to_numpy() if len(test) else np.zeros(0, object)
    _require_unique_values(base, "train2019.json", "file names of test images (flattened into test2019/)")
    test_images = [dict(images[i], file_name=f"test2019/{b}") for i, b in zip(test, base)]
    _dump_json({"images": test_images, "info": doc["info"], "licenses": doc["licenses"]}, public / "test2019.json",
               indent=4, sort_keys=True)
    ids = _column(images, "id", "train2019.json: images", "any")
    answers = pd.DataFrame({"id": ids[test].tolist(), "predicted": categories[test]})
    write_csv(answers, private / "answers.csv")
    write_csv(answers.assign(predicted=INAT_SAMPLE_CLASS), public / "kaggle_sample_submission.csv")
    routes = {files[i]: (0, files[i][len(INAT_FOLDER):]) for i in train}
    routes.update({files[i]: (1, b) for i, b in zip(test, base)})
    _write_tars(raw / INAT_TRAIN_TAR, routes, [public / INAT_TRAIN_TAR, public / "test2019.tar.gz"])


# ------------------------------------------------------------------------------------------ iwildcam-2020-fgvc7
IWILD_TRAIN = "iwildcam2020_train_annotations.json"
IWILD_TEST = "iwildcam2020_test_information.json"
IWILD_DETECTIONS = "iwildcam2020_megadetector_results.json"
IWILD_TEST_SHARE = 0.22


def records_like_pandas(records: list) -> list:
    """``pd.DataFrame(records).to_dict(orient="records")``, which MLE-bench v1 writes back to its JSON files.

    When every record has the same keys in the same order and each key the same value type, that round trip
    returns the records unchanged, and they are returned as they are; otherwise pandas does it (missing keys
    become NaN, mixed int/float columns floats).

    >>> records_like_pandas([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    >>> records_like_pandas([{"a": 1}, {"a": 2.5}])
    [{'a': 1.0}, {'a': 2.5}]
    """
    if not records:
        return []
    keys = tuple(records[0]) if isinstance(records[0], dict) else None
    types = tuple(map(type, records[0].values())) if keys is not None else None
    if keys is not None and all(
        isinstance(r, dict) and tuple(r) == keys and tuple(map(type, r.values())) == types for r in records
    ):
        return records
    return pd.DataFrame(records).to_dict(orient="records")


def location_split(locations: np.ndarray, share: float = IWILD_TEST_SHARE) -> np.ndarray:
    """Locations of MLE-bench v1's iWildCam 2020 test part, given each image's location.

    The distinct locations (in order of first appearance) are split by train_test_split(test_size=share,
    random_state=0); then locations move from the end of the train list to the test list while
    ``test / (all + test) < share``, and back from the end of the test list while it is above ``share``.

    >>> location_split(np.array([1, 1, 2, 3, 3, 3, 4, 5, 5, 6])).tolist()  # split: test [6, 3], then 3 moves back
    [6]
    """
    uniq, counts = np.unique(locations, return_counts=True)
    first = np.asarray(pd.Series(locations).unique())  # order of first appearance, as pandas' unique()
    count_of = dict(zip(uniq.tolist(), counts.tolist()))
    train_pos, test_pos = split_positions(len(first), share)
    train, test = first[train_pos].tolist(), first[test_pos].tolist()
    n_all, n_test = len(locations), sum(count_of[loc] for loc in test)
    while n_test / (n_all + n_test) < share:  # one move per location: a loop over locations, not images
        test.append(train.pop())
        n_test += count_of[test[-1]]
    while n_test / (n_all + n_test) > share:
        train.append(test.pop())
        n_test -= count_of[train[-1]]
    return np.array(test, dtype=locations.dtype)


def _iwildcam_contract(raw: Path, keep: bool = True) -> tuple[dict, dict]:
    train = _checked_json(raw / IWILD_TRAIN, "utf-8", _iwildcam_check, keep)
    test = _read_json(raw / IWILD_TEST)
    _require_keys(test, ("images", "categories", "info"), IWILD_TEST, exact=True)
    _records(test, "categories", IWILD_TEST)
    return train, test


def _iwildcam_check(train: Any) -> dict:
    _require_keys(train, ("annotations", "images", "categories", "info"), IWILD_TRAIN, exact=True)
    images = _records(train, "images", IWILD_TRAIN)
    annotations = _records(train, "annotations", IWILD_TRAIN)
    _records(train, "categories", IWILD_TRAIN)
    if not images:
        raise RawDataError(f"{IWILD_TRAIN} lists no images; download the full competition data")
    _require_unique_values(_column(images, "id", f"{IWILD_TRAIN}: images", "str"), IWILD_TRAIN, "image ids")
    _column(images, "location", f"{IWILD_TRAIN}: images", "int")
    _column(annotations, "image_id", f"{IWILD_TRAIN}: annotations", "str")
    _column(annotations, "category_id", f"{IWILD_TRAIN}: annotations", "int")
    return train


@register_preparer(
    "iwildcam-2020-fgvc7", (IWILD_TRAIN, IWILD_TEST, IWILD_DETECTIONS, "train/*.jpg"), _iwildcam_contract
)
def prepare_iwildcam(raw: Path, public: Path, private: Path) -> None:
    """Camera locations split by train_test_split(test_size=0.22, random_state=0), then moved one at a time until
    test/(all+test) is about 0.22 (test ends near 28% of the images); answers one row per annotation.

    The sample submission (v1's numpy seed 0 random categories) names each test image once.
    """
    train_doc, test_doc = _iwildcam_contract(raw, keep=False)
    images = records_like_pandas(train_doc["images"])
    annotations = records_like_pandas(train_doc["annotations"])
    ids = _column(images, "id", f"{IWILD_TRAIN}: images", "str")
    locations = _column(images, "location", f"{IWILD_TRAIN}: images", "int")
    in_test = np.isin(locations, location_split(locations))
    image_of = pd.Series(_column(annotations, "image_id", f"{IWILD_TRAIN}: annotations", "str"))
    ann_train = image_of.isin(ids[~in_test]).to_numpy()
    ann_test = image_of.isin(ids[in_test]).to_numpy()
    new_train = {
        "annotations": [annotations[i] for i in np.flatnonzero(ann_train)],
        "images": [images[i] for i in np.flatnonzero(~in_test)],
        "categories": records_like_pandas(train_doc["categories"]),
        "info": train_doc["info"],
    }
    new_test = {
        "images": [images[i] for i in np.flatnonzero(in_test)],
        "categories": records_like_pandas(test_doc["categories"]),
        "info": test_doc["info"],
    }
    categories = _column(annotations, "category_id", f"{IWILD_TRAIN}: annotations", "int")
    answers = pd.DataFrame({"Id": image_of[ann_test].to_numpy(), "Category": categories[ann_test]})
    write_csv(answers, private / "answers.csv")
    sample = answers.assign(Category=np.random.RandomState(0).randint(0, 676, size=len(answers)))
    # v1 repeats an image with several annotations in its sample; a submission names each image once
    write_csv(sample[~sample["Id"].duplicated().to_numpy()], public / "sample_submission.csv")
    _dump_json(new_train, public / IWILD_TRAIN)
    _dump_json(new_test, public / IWILD_TEST)
    link_files([(raw / IWILD_DETECTIONS, public / IWILD_DETECTIONS)])
    for folder, part in (("train", ids[~in_test]), ("test", ids[in_test])):
        (public / folder).mkdir(exist_ok=True)
        link_files((raw / "train" / f"{i}.jpg", public / folder / f"{i}.jpg") for i in part)


# ------------------------------------------------------------------------------------------------ cdiscount
CDISCOUNT_SAMPLE_CATEGORY = 1000010653
CDISCOUNT_EXAMPLE_ROWS = 100
#: Sizes of the fixed-size BSON element types (bytes after the element name).
_BSON_FIXED = {0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16,
               0x7F: 0, 0xFF: 0}
_BSON_INT = {0x10: 4, 0x12: 8}
CDISCOUNT_NAMES_SCHEMA = pandera.DataFrameSchema(
    {"category_id": pandera.Column(int)}
    | {f"category_level{k}": pandera.Column(str, nullable=True) for k in (1, 2, 3)},
    strict=True, ordered=True,
)


def bson_documents(path: Path):
    """Yield the documents of a file of concatenated BSON documents as bytes, one at a time (bounded memory)."""
    with open(path, "rb", buffering=1 << 20) as fh:
        offset = 0
        while True:
            head = fh.read(4)
            if not head:
                return
            size = int.from_bytes(head, "little", signed=True) if len(head) == 4 else -1
            body = fh.read(size - 4) if size >= 5 else b""
            if size < 5 or len(body) != size - 4 or body[-1:] != b"\x00":
                raise RawDataError(
                    f"{path.name}: the BSON document at byte {offset} is truncated or corrupt; download the file again"
                )
            offset += size
            yield head + body


def bson_elements(doc: bytes, name: str = "document") -> list[tuple[str, int, int, int]]:
    """``(key, type, start, end)`` of each top-level element of one BSON document (``doc[start:end]`` is the
    whole element: type byte, key and value). Values are skipped by their sizes, never decoded.

    >>> bson_elements(bytes.fromhex("0e000000105f69640007000000" "00"))
    [('_id', 16, 4, 13)]
    """
    out = []
    pos, last = 4, len(doc) - 1
    try:
        while pos < last:
            kind = doc[pos]
            key_end = doc.index(b"\x00", pos + 1)
            start = key_end + 1
            if kind in _BSON_FIXED:
                end = start + _BSON_FIXED[kind]
            elif kind in (0x02, 0x0D, 0x0E):  # string, code, symbol: int32 length + bytes
                end = start + 4 + int.from_bytes(doc[start:start + 4], "little", signed=True)
            elif kind in (0x03, 0x04, 0x0F):  # document, array, code with scope: int32 total size
                end = start + int.from_bytes(doc[start:start + 4], "little", signed=True)
            elif kind == 0x05:  # binary: int32 length + subtype + bytes
                end = start + 5 + int.from_bytes(doc[start:start + 4], "little", signed=True)
            elif kind == 0x0B:  # regex: two C strings
                end = doc.index(b"\x00", doc.index(b"\x00", start) + 1) + 1
            elif kind == 0x0C:  # DBPointer: string + 12 bytes
                end = start + 4 + int.from_bytes(doc[start:start + 4], "little", signed=True) + 12
            else:
                raise ValueError(f"unknown element type 0x{kind:02x}")
            if end <= start - 1 or end > last:
                raise ValueError("an element runs past the end of the document")
            out.append((doc[pos + 1:key_end].decode("utf-8"), kind, pos, end))
            pos = end
    except (ValueError, UnicodeDecodeError) as err:
        raise RawDataError(f"{name}: a BSON document cannot be parsed ({err}); download the file again") from None
    if pos != last:
        raise RawDataError(f"{name}: a BSON document cannot be parsed (bad length); download the file again")
    return out


def _bson_int(doc: bytes, element: tuple[str, int, int, int], name: str) -> int:
    key, kind, start, end = element
    if kind not in _BSON_INT:
        raise RawDataError(f"{name}: field {key!r} must be an integer (BSON type 0x{kind:02x} found)")
    return int.from_bytes(doc[end - _BSON_INT[kind]:end], "little", signed=True)


def _product(doc: bytes, name: str) -> tuple[int, int]:
    """``(_id, category_id)`` of one Cdiscount product document."""
    found = {e[0]: e for e in bson_elements(doc, name)}
    missing = [k for k in ("_id", "category_id") if k not in found]
    if missing:
        raise RawDataError(f"{name}: a product document has no {' or '.join(missing)}; download the file again")
    return _bson_int(doc, found["_id"], name), _bson_int(doc, found["category_id"], name)


def bson_rewrite(doc: bytes, drop: str | None = None, name: str = "document") -> bytes:
    """The bytes pymongo's ``BSON.encode`` gives for the decoded document (minus key ``drop``): ``_id`` first,
    the other elements as they are.

    >>> doc = bytes.fromhex("13000000" "1061000100000010" "5f696400020000" "0000")
    >>> [e[0] for e in bson_elements(bson_rewrite(doc))], bson_rewrite(doc, drop="a").hex()
    (['_id', 'a'], '0e000000105f6964000200000000')
    """
    elements = bson_elements(doc, name)
    keep = [e for e in elements if e[0] != drop]
    keep.sort(key=lambda e: e[0] != "_id")  # stable: _id moves to the front, the rest keep their order
    if len(keep) == len(elements) and keep == elements:
        return doc
    body = b"".join(doc[start:end] for _, _, start, end in keep)
    return (len(body) + 5).to_bytes(4, "little") + body + b"\x00"


def _cdiscount_contract(raw: Path) -> None:
    check_csv(raw / "category_names.csv", CDISCOUNT_NAMES_SCHEMA, "category_names.csv")
    first = next(bson_documents(raw / "train.bson"), None)
    if first is None:
        raise RawDataError("train.bson holds no product; download the full competition data")
    _product(first, "train.bson")


@register_preparer(
    "cdiscount-image-classification-challenge", ("train.bson", "category_names.csv"), _cdiscount_contract
)
def prepare_cdiscount(raw: Path, public: Path, private: Path) -> None:
    """Products split by train_test_split(test_size=0.1, random_state=0), original _ids kept; answers sorted by _id;
    BSON documents streamed one at a time into public train.bson, test.bson (no category_id) and train_example.bson
    (the first 100 train products)."""
    ids, cats = array("q"), array("q")
    for doc in bson_documents(raw / "train.bson"):
        product_id, category = _product(doc, "train.bson")
        ids.append(product_id)
        cats.append(category)
    frame = pd.DataFrame({"_id": np.frombuffer(ids, np.int64), "category_id": np.frombuffer(cats, np.int64)})
    require_unique(frame["_id"], "train.bson", "_id")
    train_pos, test_pos = split_positions(len(frame), 0.1)
    answers = frame.iloc[test_pos].sort_values("_id", kind="stable")
    write_csv(answers, private / "answers.csv")
    write_csv(answers[["_id"]].assign(category_id=CDISCOUNT_SAMPLE_CATEGORY), public / "sample_submission.csv")
    in_test = np.zeros(len(frame), bool)
    in_test[test_pos] = True
    written = 0
    with open(public / "train.bson", "wb") as train, open(public / "test.bson", "wb") as test, \
            open(public / "train_example.bson", "wb") as example:
        for k, doc in enumerate(bson_documents(raw / "train.bson")):
            if in_test[k]:
                test.write(bson_rewrite(doc, drop="category_id", name="train.bson"))
                continue
            doc = bson_rewrite(doc, name="train.bson")
            train.write(doc)
            if written < CDISCOUNT_EXAMPLE_ROWS:
                example.write(doc)
                written += 1
    link_files([(raw / "category_names.csv", public / "category_names.csv")])


# ------------------------------------------------------------------------------------------- kuzushiji
KUZUSHIJI_SAMPLE_LABELS = "U+003F 1 1 U+FF2F 2 2"
KUZUSHIJI_SCHEMA = pandera.DataFrameSchema(
    {"image_id": pandera.Column(str), "labels": pandera.Column(str, nullable=True)}, strict=True, ordered=True
)
UNICODE_SCHEMA = pandera.DataFrameSchema(
    {"Unicode": pandera.Column(str, pandera.Check.str_matches(r"^U\+[0-9A-F]{4,5}$")), "char": pandera.Column(str)},
    strict=True, ordered=True,
)


def gold_labels(labels: pd.Series, name: str = "train.csv") -> pa.Array:
    """MLE-bench v1's gold submission of page labels: each ``code x y w h`` group becomes ``code x+1 y+1``.

    A missing label (a page without characters) gives a missing gold label; v1 crashes on one.

    >>> gold_labels(pd.Series(["U+306F 10 20 5 5 U+0031 -1 007 2 2", None])).to_pylist()
    ['U+306F 11 21 U+0031 0 8', None]
    """
    text = pc.utf8_trim_whitespace(pa.array(labels.to_numpy(dtype=object), type=pa.string(), from_pandas=True))
    tokens = pc.if_else(pc.equal(text, ""), pa.scalar([], pa.list_(pa.string())), pc.utf8_split_whitespace(text))
    lengths = pc.fill_null(pc.list_value_length(tokens), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    bad = np.flatnonzero(lengths % 5)
    if len(bad):
        raise RawDataError(
            f"{name}: {len(bad)} test row(s) have labels that are not groups of 5 tokens 'code x y w h' (e.g. row "
            f"{int(labels.index[bad[0]])}); download the file again"
        )
    flat = pc.list_flatten(tokens)
    position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    kept = position % 5 < 3
    coordinate = (position % 5 > 0) & kept
    numbers = pc.filter(flat, pa.array(coordinate))
    if pc.all(pc.match_substring_regex(numbers, r"^[+-]?\d+$")).as_py() is False:
        raise RawDataError(f"{name}: test labels hold x or y values that are not integers; download the file again")
    unsigned = pc.replace_substring_regex(numbers, r"^\+", "")  # int("+5") is 5; pyarrow's cast wants no sign
    shifted = pc.cast(pc.add(pc.cast(unsigned, pa.int64()), 1), pa.string())
    values = np.array(flat.to_numpy(zero_copy_only=False), dtype=object)
    values[coordinate] = shifted.to_numpy(zero_copy_only=False)
    out_lengths = lengths // 5 * 3
    offsets = pa.array(np.concatenate([[0], np.cumsum(out_lengths)]).astype(np.int32))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, pa.array(values[kept], pa.string())), " ")
    return pc.if_else(pc.is_null(text), pa.scalar(None, pa.string()), joined)


class _ZipEntries(dict):
    """``{new name: member}`` whose values are read from the open zip only when asked (one at a time)."""

    def __init__(self, zf, names: dict[str, str]) -> None:
        super().__init__(names)
        self.zf = zf

    def __getitem__(self, key: str) -> bytes:
        return read_member(self.zf, super().__getitem__(key))


def _kuzushiji_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", KUZUSHIJI_SCHEMA, "train.csv")
    check_csv(raw / "unicode_translation.csv", UNICODE_SCHEMA, "unicode_translation.csv")
    with open_zip(raw / "train_images.zip") as zf:
        if not any("/" not in n and n.endswith(".jpg") for n in zf.namelist()):
            raise RawDataError(
                "train_images.zip holds no <image_id>.jpg at its root (MLE-bench unzips it and expects the pages "
                "there); download it again"
            )


@register_preparer(
    "kuzushiji-recognition", ("train.csv", "train_images.zip", "unicode_translation.csv"), _kuzushiji_contract
)
def prepare_kuzushiji(raw: Path, public: Path, private: Path) -> None:
    """Pages split by train_test_split(test_size=0.1, random_state=0); page JPEGs re-zipped flat into public
    train_images.zip / test_images.zip; private gold submission of 'code x+1 y+1' points."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image_id"], "train.csv", "image_id")
    train, test = split_positions(len(old), 0.1)
    new_train, new_test = old.iloc[train], old.iloc[test]
    gold = new_test.assign(labels=gold_labels(new_test["labels"]).to_numpy(zero_copy_only=False))
    with open_zip(raw / "train_images.zip") as zf:
        present = set(zf.namelist())
        members = old["image_id"] + ".jpg"
        missing = members[~members.isin(present)]
        if len(missing):
            raise RawDataError(
                f"train_images.zip lacks {len(missing)} page(s) listed in train.csv (e.g. {missing.iloc[0]}); "
                "download the full competition data again"
            )
        for part, zip_name in ((new_train, "train_images.zip"), (new_test, "test_images.zip")):
            names = (part["image_id"] + ".jpg").tolist()
            write_zip(public / zip_name, _ZipEntries(zf, dict(zip(names, names))))
    write_csv(new_train, public / "train.csv")
    write_csv(new_test, private / "test.csv")
    write_csv(gold, private / "gold_submission.csv")
    write_csv(new_test.assign(labels=KUZUSHIJI_SAMPLE_LABELS), public / "sample_submission.csv")
    link_files([(raw / "unicode_translation.csv", public / "unicode_translation.csv")])
