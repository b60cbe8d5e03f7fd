"""Preparers of the medium audio, scan and segmentation competitions.

freesound-audio-tagging-2019 and tensorflow-speech-recognition-challenge (WAV audio), hubmap-kidney-segmentation
(TIFF), tgs-salt-identification-challenge and uw-madison-gi-tract-image-segmentation (PNG with masks or RLE),
osic-pulmonary-fibrosis-progression (DICOM folders). Media files are copied byte for byte (streamed by
``shutil``), never decoded; archives are read in place, member by member.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._sevenzip import SevenZip
from ._common import (
    CONTRACT_ROWS,
    check_csv,
    check_table,
    copy_files,
    hex_id,
    open_zip,
    read_csv,
    read_member,
    require_named_files,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
)

# ------------------------------------------------------------------------ freesound-audio-tagging-2019
#: The 80 AudioSet labels, in the order of Kaggle's sample submission columns (alphabetical).
FREESOUND_CLASSES = (
    "Accelerating_and_revving_and_vroom", "Accordion", "Acoustic_guitar", "Applause", "Bark", "Bass_drum",
    "Bass_guitar", "Bathtub_(filling_or_washing)", "Bicycle_bell", "Burping_and_eructation", "Bus", "Buzz",
    "Car_passing_by", "Cheering", "Chewing_and_mastication", "Child_speech_and_kid_speaking", "Chink_and_clink",
    "Chirp_and_tweet", "Church_bell", "Clapping", "Computer_keyboard", "Crackle", "Cricket", "Crowd",
    "Cupboard_open_or_close", "Cutlery_and_silverware", "Dishes_and_pots_and_pans", "Drawer_open_or_close", "Drip",
    "Electric_guitar", "Fart", "Female_singing", "Female_speech_and_woman_speaking", "Fill_(with_liquid)",
    "Finger_snapping", "Frying_(food)", "Gasp", "Glockenspiel", "Gong", "Gurgling", "Harmonica", "Hi-hat", "Hiss",
    "Keys_jangling", "Knock", "Male_singing", "Male_speech_and_man_speaking", "Marimba_and_xylophone",
    "Mechanical_fan", "Meow", "Microwave_oven", "Motorcycle", "Printer", "Purr", "Race_car_and_auto_racing",
    "Raindrop", "Run", "Scissors", "Screaming", "Shatter", "Sigh", "Sink_(filling_or_washing)", "Skateboard", "Slam",
    "Sneeze", "Squeak", "Stream", "Strum", "Tap", "Tick-tock", "Toilet_flush", "Traffic_noise_and_roadway_noise",
    "Trickle_and_dribble", "Walk_and_footsteps", "Water_tap_and_faucet", "Waves_and_surf", "Whispering", "Writing",
    "Yell", "Zipper_(clothing)",
)
FREESOUND_FILES = (
    "train_curated.csv", "train_noisy.csv", "sample_submission.csv", "train_curated.zip", "train_noisy.zip", "test.zip",
)
#: The post-competition labels MLE-bench v1 downloads from Zenodo (record 3612637) on every run.
FREESOUND_META = "FSDKaggle2019.meta"
FREESOUND_META_CSV = f"{FREESOUND_META}/test_post_competition.csv"
_FNAME = pa.Check.str_matches(r"^[0-9a-f]{8}\.wav$", error="8 hex digits + .wav")
FREESOUND_TRAIN = pa.DataFrameSchema(
    {"fname": pa.Column(str, _FNAME), "labels": pa.Column(str)}, strict=True, ordered=True
)
FREESOUND_TEST_LABELS = pa.DataFrameSchema(
    {
        "fname": pa.Column(str, _FNAME),
        "labels": pa.Column(str),
        "usage": pa.Column(str),
        "freesound_id": pa.Column(int, coerce=True),
        "license": pa.Column(str),
    },
    strict=True, ordered=True,
)
FREESOUND_SAMPLE = pa.DataFrameSchema(
    {"fname": pa.Column(str, _FNAME)} | {c: pa.Column(float, coerce=True) for c in FREESOUND_CLASSES},
    strict=True, ordered=True,
)


def _freesound_meta(raw: Path) -> tuple[bytes, str]:
    """Bytes of ``test_post_competition.csv`` from ``FSDKaggle2019.meta.zip`` or its unpacked folder."""
    folder, archive = raw / FREESOUND_META_CSV, raw / f"{FREESOUND_META}.zip"
    if folder.is_file():
        return folder.read_bytes(), FREESOUND_META_CSV
    if archive.is_file():
        with open_zip(archive) as zf:
            return read_member(zf, FREESOUND_META_CSV), f"{archive.name}:{FREESOUND_META_CSV}"
    raise RawDataError(
        f"{raw} lacks {FREESOUND_META}.zip: MLE-bench v1 takes the test labels from this post-competition file "
        "(Zenodo record 3612637, FSDKaggle2019.meta.zip), which is not part of the Kaggle download; download it "
        "once and put it (or the folder it unzips to) in the raw folder"
    )


def _freesound_contract(raw: Path) -> None:
    for name in ("train_curated.csv", "train_noisy.csv"):
        check_csv(raw / name, FREESOUND_TRAIN, name)
    check_csv(raw / "sample_submission.csv", FREESOUND_SAMPLE, "sample_submission.csv")
    data, name = _freesound_meta(raw)
    check_csv(io.BytesIO(data), FREESOUND_TEST_LABELS, name)
    for archive in ("train_curated.zip", "train_noisy.zip", "test.zip"):
        open_zip(raw / archive).close()


def _many_hot(names: pd.Series, labels: pd.Series, classes: tuple[str, ...]) -> pd.DataFrame:
    """``fname`` + one 0/1 column per class: 1 where the class is one of the comma-separated labels.

    Labels outside ``classes`` are ignored, as in MLE-bench v1.

    >>> _many_hot(pd.Series(["a.wav", "b.wav"]), pd.Series(["y,x", "z"]), ("x", "y"))
       fname  x  y
    0  a.wav  1  1
    1  b.wav  0  0
    """
    parts = labels.reset_index(drop=True).str.split(",").explode()
    codes = pd.Index(list(classes)).get_indexer(parts)
    known = codes >= 0
    matrix = np.zeros((len(names), len(classes)), dtype=np.int64)
    matrix[parts.index.to_numpy()[known], codes[known]] = 1
    out = pd.DataFrame(matrix, columns=list(classes))
    out.insert(0, "fname", names.to_numpy())
    return out


@register_preparer("freesound-audio-tagging-2019", FREESOUND_FILES, _freesound_contract)
def prepare_freesound(raw: Path, public: Path, private: Path) -> None:
    """No new split: the raw download is copied to public/ and the answers are the Private clips of the
    post-competition labels (FSDKaggle2019.meta.zip, read from the raw folder instead of downloaded), many-hot
    over the 80 classes."""
    data, name = _freesound_meta(raw)
    labels = read_csv(io.BytesIO(data), name)
    check_table(labels, FREESOUND_TEST_LABELS, name)
    test = labels[labels["usage"] == "Private"].reset_index(drop=True)
    if test["labels"].isna().any():
        raise RawDataError(
            f"{name}: {int(test['labels'].isna().sum())} Private clip(s) have no labels; download it again"
        )
    require_unique(test["fname"], name, "fname")
    sample = read_csv(raw / "sample_submission.csv", "sample_submission.csv")
    if list(sample.columns) != ["fname", *FREESOUND_CLASSES]:
        raise RawDataError(
            "sample_submission.csv: the columns must be fname and the 80 classes in Kaggle's order; download it again"
        )
    if len(sample) != len(test) or sorted(sample["fname"]) != sorted(test["fname"]):
        only_sample = sorted(set(sample["fname"]) - set(test["fname"]))
        raise RawDataError(
            f"sample_submission.csv lists {len(sample)} clips but {name} has {len(test)} Private clips "
            f"(e.g. {only_sample[:3]} only in the sample); the two files do not belong together: download both again"
        )
    for item in sorted(raw.iterdir()):
        if FREESOUND_META in item.name:
            continue
        if item.is_dir():
            shutil.copytree(item, public / item.name)
        else:
            shutil.copyfile(item, public / item.name)
    write_csv(_many_hot(test["fname"], test["labels"], FREESOUND_CLASSES), private / "test.csv")


# ------------------------------------------------------------------------ tgs-salt-identification-challenge
TGS_ZIP = "competition_data.zip"
TGS_ROOT = "competition_data/"
TGS_TRAIN = pa.DataFrameSchema(
    {"id": pa.Column(str, hex_id(10)), "rle_mask": pa.Column(str, nullable=True)}, strict=True, ordered=True
)
TGS_DEPTHS = pa.DataFrameSchema({"id": pa.Column(str, hex_id(10)), "z": pa.Column(int)}, strict=True, ordered=True)


def _tgs_images(names: list[str], folder: str) -> pd.Series:
    """Stems of the PNGs directly in ``competition_data/train/<folder>/`` of the zip, indexed by entry name."""
    entries = pd.Series(names, dtype=str)
    prefix = f"{TGS_ROOT}train/{folder}/"
    entries = entries[entries.str.startswith(prefix) & entries.str.endswith(".png")]
    stems = entries.str.slice(len(prefix), -len(".png"))
    stems = stems[~stems.str.contains("/", regex=False)]
    return pd.Series(stems.to_numpy(), index=entries[stems.index].to_numpy(), dtype=str)


def _tgs_train(raw: Path, nrows: int | None = None) -> pd.DataFrame:
    with open_zip(raw / TGS_ZIP) as zf:
        data = read_member(zf, f"{TGS_ROOT}train.csv")
    name = f"{TGS_ZIP}:{TGS_ROOT}train.csv"
    table = read_csv(io.BytesIO(data), name, dtype={"id": str, "rle_mask": str}, nrows=nrows)
    return check_table(table, TGS_TRAIN, name)


def _tgs_contract(raw: Path) -> None:
    _tgs_train(raw, nrows=CONTRACT_ROWS)
    depths = read_csv(raw / "depths.csv", "depths.csv", dtype={"id": str}, nrows=CONTRACT_ROWS)
    check_table(depths, TGS_DEPTHS, "depths.csv")
    with open_zip(raw / TGS_ZIP) as zf:
        names = zf.namelist()
    for folder in ("images", "masks"):
        if _tgs_images(names, folder).empty:
            raise RawDataError(
                f"{TGS_ZIP} holds no {TGS_ROOT}train/{folder}/<id>.png; download the full competition data again"
            )


@register_preparer("tgs-salt-identification-challenge", (TGS_ZIP, "depths.csv"), _tgs_contract)
def prepare_tgs(raw: Path, public: Path, private: Path) -> None:
    """train.csv rows split by train_test_split(test_size=0.25, random_state=0); tables sorted by id; test images
    without masks; depths.csv keeps the new train ids only."""
    old = _tgs_train(raw).fillna("")
    require_unique(old["id"], f"{TGS_ZIP}:{TGS_ROOT}train.csv", "id")
    train, test = split_frame(old, 0.25)
    with open_zip(raw / TGS_ZIP) as zf:
        names = zf.namelist()
        images, masks = _tgs_images(names, "images"), _tgs_images(names, "masks")
        ids = set(old["id"])
        extra, missing = sorted(set(images) - ids), sorted(ids - set(images))
        if extra or missing or len(images) != len(old):
            raise RawDataError(
                f"{TGS_ZIP}: {TGS_ROOT}train/images/ holds {len(images)} PNGs for the {len(old)} rows of train.csv "
                f"({len(missing)} id(s) without an image, e.g. {missing[:3]}; {len(extra)} image(s) without a row, "
                f"e.g. {extra[:3]}); MLE-bench v1 needs exactly one image per row: download the data again"
            )
        unmasked = sorted(set(train["id"]) - set(masks))
        if unmasked:
            raise RawDataError(
                f"{TGS_ZIP}: {len(unmasked)} train id(s) have no {TGS_ROOT}train/masks/<id>.png (e.g. {unmasked[:3]}); "
                "download the data again"
            )
        member = {stem: entry for entry, stem in images.items()}
        mask_member = {stem: entry for entry, stem in masks.items()}
        for stem in train["id"]:
            for src, folder in ((member[stem], "images"), (mask_member[stem], "masks")):
                dest = public / "train" / folder / f"{stem}.png"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(read_member(zf, src))
        (public / "test" / "images").mkdir(parents=True, exist_ok=True)
        for stem in test["id"]:
            (public / "test" / "images" / f"{stem}.png").write_bytes(read_member(zf, member[stem]))
    write_csv(train.sort_values("id"), public / "train.csv")
    write_csv(test.sort_values("id"), private / "test.csv")
    write_csv(test[["id"]].assign(rle_mask="1 1").sort_values("id"), public / "sample_submission.csv")
    depths = read_csv(raw / "depths.csv", "depths.csv", dtype={"id": str})
    write_csv(depths[depths["id"].isin(train["id"])].sort_values("id"), public / "depths.csv")


# ------------------------------------------------------------------------ hubmap-kidney-segmentation
HUBMAP_INFO = "HuBMAP-20-dataset_information.csv"
#: MLE-bench v1's split, train_test_split(train_size=12, test_size=3), needs exactly this many train.csv rows.
HUBMAP_ROWS = 15
HUBMAP_TRAIN = pa.DataFrameSchema(
    {"id": pa.Column(str, hex_id(9)), "encoding": pa.Column(str)}, strict=True, ordered=True
)
HUBMAP_INFO_SCHEMA = pa.DataFrameSchema(
    {
        "image_file": pa.Column(str, pa.Check.str_endswith(".tiff")),
        "width_pixels": pa.Column(int, pa.Check.gt(0)),
        "height_pixels": pa.Column(int, pa.Check.gt(0)),
    },
    strict=False,
)
HUBMAP_SUFFIXES = (".tiff", ".json", "-anatomical-structure.json")


def _hubmap_contract(raw: Path) -> None:
    train = check_csv(raw / "train.csv", HUBMAP_TRAIN, "train.csv")
    check_csv(raw / HUBMAP_INFO, HUBMAP_INFO_SCHEMA, HUBMAP_INFO)
    if len(train) != HUBMAP_ROWS:
        raise RawDataError(
            f"train.csv has {len(train)} rows; MLE-bench v1 splits exactly {HUBMAP_ROWS} training images 12/3 "
            "(train_test_split(train_size=12, test_size=3)): the data has changed or is incomplete"
        )


@register_preparer("hubmap-kidney-segmentation", ("train.csv", HUBMAP_INFO, "train/*.tiff"), _hubmap_contract)
def prepare_hubmap(raw: Path, public: Path, private: Path) -> None:
    """The 15 train.csv images split 12/3 by train_test_split(train_size=12, test_size=3, random_state=0); each
    image's TIFF and both JSON files (glomerulus polygons included, for test images too) are copied."""
    old = read_csv(raw / "train.csv", "train.csv", dtype={"id": str})
    require_unique(old["id"], "train.csv", "id")
    if len(old) != HUBMAP_ROWS:
        raise RawDataError(f"train.csv has {len(old)} rows; MLE-bench v1's 12/3 split needs exactly {HUBMAP_ROWS}")
    train, test = split_frame(old, 3)  # train_size=12 + test_size=3 of 15 rows draws the same permutation
    info = read_csv(raw / HUBMAP_INFO, HUBMAP_INFO)
    info_id = info["image_file"].str.replace(".tiff", "", regex=False)
    lacking = sorted(set(old["id"]) - set(info_id))
    if lacking:
        raise RawDataError(
            f"{HUBMAP_INFO} has no row for {len(lacking)} train image(s) (e.g. {lacking[0]}.tiff), whose width and "
            "height the grader needs; download the full competition data again"
        )
    kept = info[info_id.isin(old["id"]).to_numpy()]
    sizes = pd.DataFrame({"id": info_id, "width_pixels": info["width_pixels"], "height_pixels": info["height_pixels"]})
    answers = test.merge(sizes[info_id.isin(old["id"]).to_numpy()], on="id")
    write_csv(kept, public / HUBMAP_INFO)
    write_csv(train, public / "train.csv")
    write_csv(answers, private / "test.csv")
    sample = answers[["id"]].assign(predicted="")
    write_csv(sample, public / "sample_submission.csv")
    write_csv(sample.assign(predicted=answers["encoding"].to_numpy()), private / "gold_submission.csv")
    names = [f"{i}{suffix}" for i in old["id"] for suffix in HUBMAP_SUFFIXES]
    require_named_files(raw / "train", names, "train image or annotation")
    for part, ids in (("train", train["id"]), ("test", answers["id"])):
        copy_files((raw / "train" / f"{i}{s}", public / part / f"{i}{s}") for i in ids for s in HUBMAP_SUFFIXES)
    shutil.copyfile(public / "sample_submission.csv", public / "test" / "sample_submission.csv")


# ------------------------------------------------------------------------ osic-pulmonary-fibrosis-progression
OSIC_SCHEMA = pa.DataFrameSchema(
    {
        "Patient": pa.Column(str, pa.Check.str_matches(r"^ID\d{23}$", error="ID + 23 digits")),
        "Weeks": pa.Column(int),
        "FVC": pa.Column(int),
        "Percent": pa.Column(float, coerce=True),
        "Age": pa.Column(int),
        "Sex": pa.Column(str, pa.Check.isin(["Male", "Female"])),
        "SmokingStatus": pa.Column(str, pa.Check.isin(["Ex-smoker", "Never smoked", "Currently smokes"])),
    },
    strict=True, ordered=True,
)


def _osic_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", OSIC_SCHEMA, "train.csv")


def _group_split(keys: pd.Series, test_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of v1's ``train_test_split(list(df.groupby(key)), test_size, random_state=0)`` followed by
    ``pd.concat`` of each part's groups: groups in split order, rows of a group in file order."""
    groups = np.sort(keys.unique())
    codes = pd.Categorical(keys, categories=groups).codes
    parts = []
    for picked in split_positions(len(groups), test_size):
        rank = np.full(len(groups), -1)
        rank[picked] = np.arange(len(picked))
        rows = np.flatnonzero(rank[codes] >= 0)
        parts.append(rows[np.argsort(rank[codes[rows]], kind="stable")])
    return parts[0], parts[1]


@register_preparer("osic-pulmonary-fibrosis-progression", ("train.csv", "train/*"), _osic_contract)
def prepare_osic(raw: Path, public: Path, private: Path) -> None:
    """Patients split by train_test_split(patients sorted by id, test_size=0.1, random_state=0); the public test
    keeps each test patient's earliest visit; answers cover every test patient x every week between the test
    set's first and last week (FVC empty where nothing was measured)."""
    old = read_csv(raw / "train.csv", "train.csv")
    folders = raw / "train"
    missing = [p for p in old["Patient"].unique() if not (folders / p).is_dir()]
    if missing:
        raise RawDataError(
            f"{len(missing)} patient(s) of train.csv have no CT folder train/<Patient>/ (e.g. {missing[0]}); "
            "download the full competition data again"
        )
    train_rows, test_rows = _group_split(old["Patient"], 0.1)
    train, test = old.iloc[train_rows], old.iloc[test_rows]
    repeated = test[test.duplicated(["Patient", "Weeks"], keep=False)]
    if len(repeated):
        raise RawDataError(
            f"train.csv: test patient {repeated['Patient'].iloc[0]} has {len(repeated)} visits in the same week "
            f"({int(repeated['Weeks'].iloc[0])}); MLE-bench v1's answer grid needs one row per patient and week "
            "(its prepare.py fails on this raw data)"
        )
    first_visit = test.sort_values(by="Weeks").groupby("Patient").first().reset_index()
    patients = test["Patient"].unique()
    weeks = np.arange(test["Weeks"].min(), test["Weeks"].max() + 1)
    grid = pd.DataFrame({"Patient": np.repeat(patients, len(weeks)), "Weeks": np.tile(weeks, len(patients))})
    answers = grid.merge(test, on=["Patient", "Weeks"], how="left")
    answers["Patient_Week"] = answers["Patient"] + "_" + answers["Weeks"].astype(str)
    answers["Confidence"] = 100
    write_csv(train, public / "train.csv")
    write_csv(first_visit, public / "test.csv")
    write_csv(answers, private / "test.csv")
    write_csv(answers[["Patient_Week"]].assign(FVC=2000, Confidence=100), public / "sample_submission.csv")
    for part, ids in (("train", train["Patient"].unique()), ("test", patients)):
        (public / part).mkdir(exist_ok=True)
        for patient in ids:
            shutil.copytree(folders / patient, public / part / patient)


# ------------------------------------------------------------------------ uw-madison-gi-tract-image-segmentation
UW_CLASSES = ("large_bowel", "small_bowel", "stomach")
UW_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(
            str, pa.Check.str_matches(r"^case\d+_day\d+_slice_\d{4}$", error="case<N>_day<M>_slice_<NNNN>")
        ),
        "class": pa.Column(str, pa.Check.isin(UW_CLASSES)),
        "segmentation": pa.Column(str, nullable=True),
    },
    strict=True, ordered=True,
)


def _uw_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", UW_SCHEMA, "train.csv")


def _uw_sides(case: pd.Series, day: pd.Series) -> tuple[np.ndarray, np.ndarray, set[tuple[str, str]]]:
    """MLE-bench v1's split: unique cases (file order) by train_test_split(test_size=0.1, random_state=42), then
    the days after the 4th (by day number) of each train case. Returns the test cases, a per-row test flag and
    the (case, day) pairs moved out of train cases."""
    cases = case.unique()
    _, test_pos = split_positions(len(cases), 0.1, seed=42)
    test_cases = cases[np.sort(test_pos)]
    in_test = case.isin(test_cases).to_numpy()
    pairs = pd.DataFrame({"case": case[~in_test], "day": day[~in_test]}).drop_duplicates()
    pairs["number"] = pairs["day"].str.slice(len("day")).astype(int)
    rank = pairs.sort_values(["case", "number"], kind="stable").groupby("case").cumcount()
    late = pairs.loc[rank[rank >= 4].index]
    moved = set(zip(late["case"], late["day"]))
    later = pd.Series(list(zip(case, day))).isin(moved).to_numpy()
    return test_cases, in_test | later, moved


def _uw_copy(
    raw_train: Path, public: Path, cases: np.ndarray, test_cases: set[str], moved: set[tuple[str, str]]
) -> None:
    """Copy each case folder to public/train or public/test, and the moved days of train cases to public/test."""
    import os

    for case in cases:
        root = raw_train / case
        whole = "test" if case in test_cases else "train"
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            rel = Path(folder).relative_to(root)
            top = rel.parts[0] if rel.parts else ""
            later = top.startswith(f"{case}_") and (case, top[len(case) + 1:]) in moved
            dest = public / ("test" if later else whole) / case / rel
            dest.mkdir(parents=True, exist_ok=True)
            for name in sorted(names):
                shutil.copyfile(Path(folder) / name, dest / name)


def _uw_sizes(raw_train: Path, test: pd.DataFrame) -> pd.DataFrame:
    """Width and height (floats, as v1 writes them) of each test row's slice, from the name
    ``slice_<NNNN>_<W>_<H>_<pw>_<ph>.png`` of the one PNG of its ``scans`` folder with that slice number."""
    listings = []
    for case, day in test[["case", "day"]].drop_duplicates().itertuples(index=False):  # one listing per case-day
        scans = raw_train / case / f"{case}_{day}" / "scans"
        names = sorted(p.name for p in scans.glob("slice_*_*.png")) if scans.is_dir() else []
        listings.append(pd.DataFrame({"case": case, "day": day, "name": pd.Series(names, dtype=str)}))
    found = pd.concat(listings, ignore_index=True)
    parts = found["name"].str.slice(0, -len(".png")).str.split("_")
    found["slice"] = parts.str[1]
    wanted = test[["case", "day", "slice"]].drop_duplicates()
    counts = found.groupby(["case", "day", "slice"]).size().reindex(pd.MultiIndex.from_frame(wanted), fill_value=0)
    bad = counts[counts != 1]
    if len(bad):
        (case, day, number), n = bad.index[0], int(bad.iloc[0])
        raise RawDataError(
            f"{len(bad)} test slice(s) do not have exactly one image: train/{case}/{case}_{day}/scans/"
            f"slice_{number}_*.png matches {n} file(s); download the full competition data again"
        )
    found = found.merge(wanted, on=["case", "day", "slice"])
    parts = found["name"].str.slice(0, -len(".png")).str.split("_")
    try:
        found["image_width"] = parts.str[2].astype(int).astype(float)
        found["image_height"] = parts.str[3].astype(int).astype(float)
    except (ValueError, TypeError):
        raise RawDataError(
            "a test slice image name does not follow slice_<NNNN>_<width>_<height>_<pw>_<ph>.png; download it again"
        ) from None
    return test.merge(found.drop(columns=["name"]), on=["case", "day", "slice"], how="left")


@register_preparer("uw-madison-gi-tract-image-segmentation", ("train.csv", "train/*"), _uw_contract)
def prepare_uw(raw: Path, public: Path, private: Path) -> None:
    """Whole cases split by train_test_split(unique cases, test_size=0.1, random_state=42); the days after the
    4th of every train case also go to the test set; case folders copied accordingly."""
    old = read_csv(raw / "train.csv", "train.csv")
    parts = old["id"].str.split("_")
    keys = pd.DataFrame({"case": parts.str[0], "day": parts.str[1], "slice": parts.str[-1]})
    test_cases, in_test, moved = _uw_sides(keys["case"], keys["day"])
    raw_train = raw / "train"
    pairs = keys[["case", "day"]].drop_duplicates()
    absent = [
        f"train/{c}/{c}_{d}" for c, d in pairs.itertuples(index=False) if not (raw_train / c / f"{c}_{d}").is_dir()
    ]
    if absent:
        raise RawDataError(
            f"{len(absent)} case-day folder(s) listed in train.csv are missing (e.g. {absent[0]}); download the full "
            "competition data again"
        )
    sized = _uw_sizes(raw_train, keys[in_test])
    test = old[in_test].reset_index(drop=True)
    test["image_width"] = sized["image_width"].to_numpy()
    test["image_height"] = sized["image_height"].to_numpy()
    public.joinpath("train").mkdir(exist_ok=True)
    public.joinpath("test").mkdir(exist_ok=True)
    _uw_copy(raw_train, public, keys["case"].unique(), set(test_cases), moved)
    answers = test.rename(columns={"segmentation": "predicted"})
    write_csv(answers[["id", "class"]].assign(predicted="1 1 5 2"), public / "sample_submission.csv")
    write_csv(answers, private / "test.csv")
    write_csv(old[~in_test], public / "train.csv")
    write_csv(answers[["id", "class"]], public / "test.csv")


# ------------------------------------------------------------------------ tensorflow-speech-recognition-challenge
SPEECH_ARCHIVE = "train.7z"
SPEECH_AUDIO = "train/audio/"


def _speech_clips(archive: SevenZip) -> pd.DataFrame:
    """Every ``*.wav`` file under ``train/audio/`` of train.7z: entry index, label (its folder) and name, in
    MLE-bench v1's order (sorted by ``<label>_<name>``)."""
    names = pd.Series(archive.names, dtype=str)
    keep = names.str.startswith(SPEECH_AUDIO) & names.str.endswith(".wav") & ~pd.Series(archive.is_dir)
    names = names[keep]
    parts = names.str.rsplit("/", n=2)
    clips = pd.DataFrame({"entry": names.index, "label": parts.str[-2], "name": parts.str[-1]})
    clips = clips[names.str.count("/").to_numpy() >= 3]  # a file directly in train/audio/ has no label folder
    order = np.argsort((clips["label"] + "_" + clips["name"]).to_numpy(dtype=str), kind="stable")
    return clips.iloc[order].reset_index(drop=True)


def _speech_contract(raw: Path) -> None:
    clips = _speech_clips(SevenZip(raw / SPEECH_ARCHIVE))
    if clips.empty:
        raise RawDataError(
            f"{SPEECH_ARCHIVE} holds no {SPEECH_AUDIO}<label>/<clip>.wav (MLE-bench v1 extracts it into the raw folder "
            "and reads train/audio/); download the full competition data again"
        )


@register_preparer("tensorflow-speech-recognition-challenge", (SPEECH_ARCHIVE,), _speech_contract)
def prepare_speech(raw: Path, public: Path, private: Path) -> None:
    """Every train/audio/<label>/*.wav of train.7z (background noise included), sorted by label_name, split by
    train_test_split(test_size=0.1, random_state=0); test clips renamed clip_<index:08d>.wav, answers = folder
    names."""
    archive = SevenZip(raw / SPEECH_ARCHIVE)
    clips = _speech_clips(archive)
    train_pos, test_pos = split_positions(len(clips), 0.1)
    train, test = clips.iloc[train_pos], clips.iloc[test_pos]
    fnames = pd.Series(np.arange(len(test)), dtype=np.int64).map("clip_{:08d}.wav".format)
    destinations = {
        int(e): public / "train" / "audio" / label / name
        for e, label, name in train[["entry", "label", "name"]].itertuples(index=False)
    }
    destinations.update({int(e): public / "test" / "audio" / f for e, f in zip(test["entry"], fnames)})
    if len(destinations) != len(clips):
        raise RawDataError(f"{SPEECH_ARCHIVE} lists the same clip twice; download the archive again")
    (public / "test" / "audio").mkdir(parents=True, exist_ok=True)
    for label in train["label"].unique():
        (public / "train" / "audio" / label).mkdir(parents=True, exist_ok=True)
    archive.extract(destinations)
    answers = pd.DataFrame({"fname": fnames.to_numpy(), "label": test["label"].to_numpy()})
    write_csv(answers, private / "test.csv")
    write_csv(answers.assign(label="silence"), public / "sample_submission.csv")
