"""Medium image-set competitions: herbarium 2020/2021/2022, iNaturalist 2019, iWildCam 2020, Cdiscount, Kuzushiji
(end to end, MLE-bench v1's split replayed independently, learnable fixtures, raw failures)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers.image_sets import category_split, v1_shuffle
from tests.data.endtoend import check_end_to_end, prepared
from tests.data.test_fixtures import _decode_dc_jpeg

def run(cid: str, raw: Path, tmp_path: Path) -> None:
    preparer = get_preparer(cid)
    preparer.check_raw(raw)
    preparer.run(raw, tmp_path / "pub", tmp_path / "priv")


def answers_as_submission(id_column: str):
    """The perfect submission of a competition whose answers hold exactly the submission's columns."""
    return lambda answers, sample: pd.read_csv(answers, dtype={id_column: str})


def mean_colour(jpeg: bytes) -> np.ndarray:
    """Mean RGB of a fixture JPEG (DC-only: the block means, decoded by the brute-force test decoder)."""
    y, cb, cr = (_decode_dc_jpeg(jpeg).reshape(3, -1).mean(axis=1))
    return np.array([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)])


def nearest_colour_accuracy(train: list[tuple[bytes, object]], test: list[tuple[bytes, object]]) -> float:
    """Accuracy on ``test`` of a nearest-centroid model of mean colours fitted on ``train`` ((jpeg, label) pairs)."""
    labels = sorted({label for _, label in train}, key=str)
    colours = {label: [] for label in labels}
    for jpeg, label in train:
        colours[label].append(mean_colour(jpeg))
    centroids = np.array([np.mean(colours[label], axis=0) for label in labels])
    hits = [labels[int(np.argmin(((centroids - mean_colour(j)) ** 2).sum(axis=1)))] == label for j, label in test]
    return float(np.mean(hits))


def reference_category_split(categories: list, test_size: float, few_from_end: bool) -> tuple[list[int], list[int]]:
    """MLE-bench v1's per-category split written out plainly (row positions), test shuffled with Random(0)."""
    groups: dict = {}
    for i, c in enumerate(categories):
        groups.setdefault(c, []).append(i)
    train, test = [], []
    for rows in groups.values():
        n = len(rows)
        if few_from_end and n == 1:
            tr, te = rows, []
        elif few_from_end and n < 5:
            k = max(1, int(n * test_size))
            tr, te = rows[:-k], rows[-k:]
        else:
            tr, te = train_test_split(rows, test_size=test_size, random_state=0)
        train += tr
        test += te
    random.Random(0).shuffle(test)
    return train, test


def test_category_split_matches_the_plain_rule():
    rng = np.random.default_rng(3)
    for few in (True, False):
        cats = rng.choice(np.arange(40), 400) if few else np.repeat(np.arange(30), rng.integers(2, 12, 30))
        cats = cats[rng.permutation(len(cats))]
        train, test = category_split(cats, 0.2, few)
        ref_train, ref_test = reference_category_split(cats.tolist(), 0.2, few)
        assert train.tolist() == ref_train
        assert test[v1_shuffle(len(test))].tolist() == ref_test


# ------------------------------------------------------------------------ herbarium 2020 / 2021
HERBARIUM = {"herbarium-2020-fgvc7": ("nybg2020/", "latin-1", "regions"),
             "herbarium-2021-fgvc8": ("", "utf-8", "institutions")}


@pytest.mark.parametrize("cid", sorted(HERBARIUM))
def test_herbarium_end_to_end(cid, tmp_path, store):
    check_end_to_end(cid, tmp_path, store, answers_as_submission("Id"))


@pytest.mark.parametrize("cid", sorted(HERBARIUM))
def test_herbarium_split_renumbering_and_files(cid, tmp_path_factory):
    root, encoding, extra = HERBARIUM[cid]
    work = prepared(cid, tmp_path_factory)
    raw = json.loads((work / "raw" / f"{root}train/metadata.json").read_text(encoding=encoding))
    cats = [a["category_id"] for a in raw["annotations"]]
    train, test = reference_category_split(cats, 0.2, True)
    public = work / "public" / root
    new_train = json.loads((public / "train/metadata.json").read_text())
    assert sorted(new_train) == sorted(raw)
    assert [i["id"] for i in new_train["images"]] == [raw["images"][i]["id"] for i in train]
    assert new_train["annotations"] == [raw["annotations"][i] for i in train]
    assert new_train["categories"] == raw["categories"] and new_train[extra] == raw[extra]
    new_test = json.loads((public / "test/metadata.json").read_text())
    assert sorted(new_test) == ["images", "info", "licenses"]
    assert [i["id"] for i in new_test["images"]] == [str(k) for k in range(len(test))]
    assert [i["file_name"] for i in new_test["images"]] == [f"images/000/{k}.jpg" for k in range(len(test))]
    assert [i["height"] for i in new_test["images"]] == [raw["images"][i]["height"] for i in test]
    answers = pd.read_csv(work / "private" / "answers.csv")
    assert answers["Id"].tolist() == list(range(len(test)))
    assert answers["Predicted"].tolist() == [cats[i] for i in test]
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["Id"].tolist() == answers["Id"].tolist() and (sample["Predicted"] == 0).all()
    raw_dir = work / "raw" / f"{root}train"
    for k, i in enumerate(test):
        source = raw_dir / raw["images"][i]["file_name"]
        assert (public / "test" / f"images/000/{k}.jpg").read_bytes() == source.read_bytes()
    copied = sorted(p.relative_to(public / "train").as_posix() for p in (public / "train/images").rglob("*.jpg"))
    assert copied == sorted(raw["images"][i]["file_name"] for i in train)
    # every category reaches train; categories of 2+ images reach test too
    counts = pd.Series(cats).value_counts()
    assert set(answers["Predicted"]) == set(counts[counts >= 2].index)


def test_herbarium_2020_reads_latin1_and_writes_ascii(tmp_path_factory):
    work = prepared("herbarium-2020-fgvc7", tmp_path_factory)
    text = (work / "public" / "nybg2020/train/metadata.json").read_bytes()
    assert text.isascii() and b"\\u00c3\\u0097 hybrida" in text  # UTF-8 bytes of U+00D7 read as latin-1


def test_herbarium_fixture_is_learnable(tmp_path_factory):
    work = prepared("herbarium-2020-fgvc7", tmp_path_factory)
    public = work / "public" / "nybg2020"
    meta = json.loads((public / "train/metadata.json").read_text())
    train = [((public / "train" / i["file_name"]).read_bytes(), a["category_id"])
             for i, a in zip(meta["images"], meta["annotations"])]
    answers = pd.read_csv(work / "private" / "answers.csv")
    test = [((public / "test" / f"images/000/{i}.jpg").read_bytes(), c)
            for i, c in zip(answers["Id"], answers["Predicted"])]
    assert nearest_colour_accuracy(train, test) == 1.0  # the sample (category 0) gets none right


def _rewrite_metadata(raw: Path, cid: str, change) -> None:
    root, encoding, _ = HERBARIUM[cid]
    path = raw / f"{root}train/metadata.json"
    doc = json.loads(path.read_text(encoding=encoding))
    change(doc)
    path.write_text(json.dumps(doc), encoding=encoding)


@pytest.mark.parametrize("cid", sorted(HERBARIUM))
def test_herbarium_missing_metadata_is_a_raw_error(cid, tmp_path):
    raw = make_raw_fixture(cid, tmp_path / "raw")
    (raw / f"{HERBARIUM[cid][0]}train/metadata.json").unlink()
    with pytest.raises(RawDataError, match="train/metadata.json"):
        get_preparer(cid).check_raw(raw)


@pytest.mark.parametrize("cid", sorted(HERBARIUM))
def test_herbarium_key_set_must_be_exact(cid, tmp_path):
    extra = HERBARIUM[cid][2]
    raw = make_raw_fixture(cid, tmp_path / "raw")
    _rewrite_metadata(raw, cid, lambda doc: doc.pop(extra))
    with pytest.raises(RawDataError, match=f"missing key\\(s\\) '{extra}'"):
        get_preparer(cid).check_raw(raw)
    _rewrite_metadata(raw, cid, lambda doc: doc.update({extra: [], "notes": "x"}))
    with pytest.raises(RawDataError, match="unexpected key\\(s\\) 'notes'"):
        get_preparer(cid).check_raw(raw)


def test_herbarium_image_outside_its_category_folder_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("herbarium-2020-fgvc7", tmp_path / "raw")
    def flatten(doc):
        doc["images"][0]["file_name"] = "images/" + doc["images"][0]["file_name"].split("/")[-1]

    _rewrite_metadata(raw, "herbarium-2020-fgvc7", flatten)
    with pytest.raises(RawDataError, match="image 0 has file_name .* must be images/"):
        get_preparer("herbarium-2020-fgvc7").check_raw(raw)


def test_herbarium_misaligned_lists_and_missing_field_are_raw_errors(tmp_path):
    cid = "herbarium-2021-fgvc8"
    raw = make_raw_fixture(cid, tmp_path / "raw")
    _rewrite_metadata(raw, cid, lambda doc: doc["annotations"].reverse())
    with pytest.raises(RawDataError, match="annotation 0 is for image"):
        get_preparer(cid).check_raw(raw)
    _rewrite_metadata(raw, cid, lambda doc: [a.pop("category_id") for a in doc["annotations"][:2]])
    with pytest.raises(RawDataError, match="record 0 has no field 'category_id'"):
        get_preparer(cid).check_raw(raw)


def test_herbarium_missing_image_file_is_a_raw_error(tmp_path):
    cid = "herbarium-2021-fgvc8"
    raw = make_raw_fixture(cid, tmp_path / "raw")
    first = json.loads((raw / "train/metadata.json").read_text())["images"][0]["file_name"]
    (raw / "train" / first).unlink()
    with pytest.raises(RawDataError, match=f"raw file .*{first} is missing"):
        run(cid, raw, tmp_path)


# ------------------------------------------------------------------------ herbarium 2022
H2022 = "herbarium-2022-fgvc9"


def test_herbarium_2022_end_to_end(tmp_path, store):
    check_end_to_end(H2022, tmp_path, store, answers_as_submission("Id"))


def test_herbarium_2022_split_and_renaming(tmp_path_factory):
    work = prepared(H2022, tmp_path_factory)
    raw = json.loads((work / "raw" / "train_metadata.json").read_text())
    cats = [a["category_id"] for a in raw["annotations"]]
    train, test = reference_category_split(cats, 0.2, False)
    new = json.loads((work / "public" / "train_metadata.json").read_text())
    assert sorted(new) == sorted(raw) and new["genera"] == raw["genera"] and new["distances"] == raw["distances"]
    seen: dict = {}
    for image, annotation, i in zip(new["images"], new["annotations"], train):
        cat = cats[i]
        seen[cat] = seen.get(cat, 0) + 1
        expected = f"{cat:05d}__{seen[cat]:03d}"
        assert image["image_id"] == annotation["image_id"] == expected
        assert image["file_name"] == f"{cat // 100:03d}/{cat % 100:02d}/{expected}.jpg"
        assert annotation["genus_id"] == raw["annotations"][i]["genus_id"]
        assert (work / "public/train_images" / image["file_name"]).read_bytes() == (
            work / "raw/train_images" / raw["images"][i]["file_name"]).read_bytes()
    test_meta = json.loads((work / "public" / "test_metadata.json").read_text())
    assert isinstance(test_meta, list)
    assert [m["image_id"] for m in test_meta] == [str(k) for k in range(len(test))]
    assert [m["file_name"] for m in test_meta] == [f"000/test-{k:06d}.jpg" for k in range(len(test))]
    answers = pd.read_csv(work / "private" / "answers.csv")
    assert answers["Predicted"].tolist() == [cats[i] for i in test] and set(answers["Predicted"]) == set(cats)
    assert (pd.read_csv(work / "public" / "sample_submission.csv")["Predicted"] == 42).all()
    assert len(list((work / "public/test_images").rglob("*.jpg"))) == len(test)


def test_herbarium_2022_single_image_category_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(H2022, tmp_path / "raw")
    path = raw / "train_metadata.json"
    doc = json.loads(path.read_text())
    doc["annotations"][-1]["category_id"] = 999
    path.write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="1 category has a single image \\(e.g. 999\\)"):
        get_preparer(H2022).check_raw(raw)


def test_herbarium_2022_misaligned_ids_and_missing_key_are_raw_errors(tmp_path):
    raw = make_raw_fixture(H2022, tmp_path / "raw")
    path = raw / "train_metadata.json"
    doc = json.loads(path.read_text())
    doc["images"][1]["image_id"] = "x"
    path.write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="annotation 1 is for image '00000__002' but image 1 is 'x'"):
        get_preparer(H2022).check_raw(raw)
    del doc["images"]
    path.write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="missing key\\(s\\) 'images'"):
        get_preparer(H2022).check_raw(raw)
    (raw / "train_metadata.json").unlink()
    with pytest.raises(RawDataError, match="missing train_metadata.json"):
        get_preparer(H2022).check_raw(raw)


# ------------------------------------------------------------------------ inaturalist-2019-fgvc6
INAT = "inaturalist-2019-fgvc6"


def tar_files(path: Path) -> dict[str, bytes]:
    import tarfile

    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def test_inaturalist_end_to_end(tmp_path, store):
    check_end_to_end(INAT, tmp_path, store, answers_as_submission("id"))


def test_inaturalist_split_tars_and_metadata(tmp_path_factory):
    work = prepared(INAT, tmp_path_factory)
    raw = json.loads((work / "raw" / "train2019.json").read_text())
    cats = [a["category_id"] for a in raw["annotations"]]
    train, test = reference_category_split(cats, 0.12, True)
    new = json.loads((work / "public" / "train2019.json").read_text())
    assert sorted(new) == sorted(raw) and new["images"] == [raw["images"][i] for i in train]
    test_meta = json.loads((work / "public" / "test2019.json").read_text())
    assert sorted(test_meta) == ["images", "info", "licenses"]
    assert [m["id"] for m in test_meta["images"]] == [raw["images"][i]["id"] for i in test]  # ids are kept
    assert all(m["file_name"] == "test2019/" + raw["images"][i]["file_name"].split("/")[-1]
               for m, i in zip(test_meta["images"], test))
    answers = pd.read_csv(work / "private" / "answers.csv")
    assert answers["id"].tolist() == [raw["images"][i]["id"] for i in test]
    assert answers["predicted"].tolist() == [cats[i] for i in test]
    sample = pd.read_csv(work / "public" / "kaggle_sample_submission.csv")
    assert sample["id"].tolist() == answers["id"].tolist() and (sample["predicted"] == 654).all()
    assert (work / "public" / "val2019.json").read_bytes() == (work / "raw" / "val2019.json").read_bytes()
    source = tar_files(work / "raw" / "train_val2019.tar.gz")
    train_tar = tar_files(work / "public" / "train_val2019.tar.gz")
    assert train_tar == {raw["images"][i]["file_name"][len("train_val2019/"):]: source[raw["images"][i]["file_name"]]
                         for i in train}  # val images are not copied
    test_tar = tar_files(work / "public" / "test2019.tar.gz")
    assert test_tar == {m["file_name"][len("test2019/"):]: source[raw["images"][i]["file_name"]]
                        for m, i in zip(test_meta["images"], test)}
    assert (work / "public" / "test2019.tar.gz").read_bytes()[:2] != b"\x1f\x8b"  # v1 names them .gz, but plain tar
    assert sorted(p.name for p in (work / "public").iterdir()) == [
        "kaggle_sample_submission.csv", "test2019.json", "test2019.tar.gz", "train2019.json", "train_val2019.tar.gz",
        "val2019.json"]


def test_inaturalist_wrong_tar_is_a_raw_error(tmp_path):
    from mle_datasets.fixtures.image_sets import _tar_gz

    raw = make_raw_fixture(INAT, tmp_path / "raw")
    files = tar_files(raw / "train_val2019.tar.gz")
    (raw / "train_val2019.tar.gz").write_bytes(_tar_gz({name.split("/", 1)[1]: data for name, data in files.items()}))
    with pytest.raises(RawDataError, match="top folder train_val2019/"):
        get_preparer(INAT).check_raw(raw)
    (raw / "train_val2019.tar.gz").write_bytes(b"PK\x03\x04 not a tar")
    with pytest.raises(RawDataError, match="not a readable gzip tar"):
        get_preparer(INAT).check_raw(raw)
    (raw / "train_val2019.tar.gz").unlink()
    with pytest.raises(RawDataError, match="missing train_val2019.tar.gz"):
        get_preparer(INAT).check_raw(raw)


def test_inaturalist_image_missing_from_tar_is_a_raw_error(tmp_path):
    from mle_datasets.fixtures.image_sets import _tar_gz

    raw = make_raw_fixture(INAT, tmp_path / "raw")
    files = tar_files(raw / "train_val2019.tar.gz")
    gone = json.loads((raw / "train2019.json").read_text())["images"][0]["file_name"]
    del files[gone]
    (raw / "train_val2019.tar.gz").write_bytes(_tar_gz(files))
    with pytest.raises(RawDataError, match=f"lacks 1 image\\(s\\) listed in train2019.json \\(e.g. {gone}\\)"):
        run(INAT, raw, tmp_path)


def test_inaturalist_key_set_and_file_names(tmp_path):
    raw = make_raw_fixture(INAT, tmp_path / "raw")
    path = raw / "train2019.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(dict(doc, regions=[])))
    with pytest.raises(RawDataError, match="unexpected key\\(s\\) 'regions'"):
        get_preparer(INAT).check_raw(raw)
    doc["images"][2]["file_name"] = doc["images"][2]["file_name"].replace("train_val2019/", "train2019/")
    path.write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="image 2 has file_name 'train2019/"):
        get_preparer(INAT).check_raw(raw)


# ------------------------------------------------------------------------ iwildcam-2020-fgvc7
IWILD = "iwildcam-2020-fgvc7"
IWILD_JSON = "iwildcam2020_train_annotations.json"


def reference_location_split(locations: list, share: float = 0.22) -> set:
    """v1's location rule written out plainly: split the distinct locations, then move one at a time."""
    distinct = list(dict.fromkeys(locations))
    train, test = train_test_split(np.array(distinct), test_size=share, random_state=0)
    train, test = list(train), list(test)

    def ratio():
        n_test = sum(loc in test for loc in locations)
        return n_test / (len(locations) + n_test)

    while ratio() < share:
        test.append(train.pop())
    while ratio() > share:
        train.append(test.pop())
    return set(test)


def test_iwildcam_end_to_end(tmp_path, store):
    check_end_to_end(IWILD, tmp_path, store, answers_as_submission("Id"))


def test_iwildcam_location_split_answers_and_sample(tmp_path_factory):
    work = prepared(IWILD, tmp_path_factory)
    raw = json.loads((work / "raw" / IWILD_JSON).read_text())
    locations = [i["location"] for i in raw["images"]]
    test_locations = reference_location_split(locations)
    assert 0 < len(test_locations) < len(set(locations))
    test_ids = [i["id"] for i in raw["images"] if i["location"] in test_locations]
    new_train = json.loads((work / "public" / IWILD_JSON).read_text())
    assert list(new_train) == ["annotations", "images", "categories", "info"]
    assert new_train["images"] == [i for i in raw["images"] if i["location"] not in test_locations]
    assert new_train["categories"] == raw["categories"]
    new_test = json.loads((work / "public" / "iwildcam2020_test_information.json").read_text())
    assert list(new_test) == ["images", "categories", "info"]
    assert [i["id"] for i in new_test["images"]] == test_ids
    raw_test = json.loads((work / "raw" / "iwildcam2020_test_information.json").read_text())
    assert new_test["categories"] == raw_test["categories"] and new_test["info"] == raw_test["info"]
    answers = pd.read_csv(work / "private" / "answers.csv")
    expected = [(a["image_id"], a["category_id"]) for a in raw["annotations"] if a["image_id"] in set(test_ids)]
    assert list(zip(answers["Id"], answers["Category"])) == expected
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    np.random.seed(0)
    assert sample["Id"].tolist() == answers["Id"].tolist()
    assert sample["Category"].tolist() == np.random.randint(0, 676, size=len(answers)).tolist()
    assert sorted(p.stem for p in (work / "public" / "test").iterdir()) == sorted(test_ids)
    assert len(list((work / "public" / "train").iterdir())) == len(locations) - len(test_ids)
    detections = "iwildcam2020_megadetector_results.json"
    assert (work / "public" / detections).read_bytes() == (work / "raw" / detections).read_bytes()


def test_iwildcam_fixture_is_learnable(tmp_path_factory):
    work = prepared(IWILD, tmp_path_factory)
    meta = json.loads((work / "public" / IWILD_JSON).read_text())
    train = [((work / "public/train" / f"{a['image_id']}.jpg").read_bytes(), a["category_id"])
             for a in meta["annotations"]]
    answers = pd.read_csv(work / "private" / "answers.csv")
    test = [((work / "public/test" / f"{i}.jpg").read_bytes(), c) for i, c in zip(answers["Id"], answers["Category"])]
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert nearest_colour_accuracy(train, test) == 1.0 > float((sample["Category"] == answers["Category"]).mean())


def test_iwildcam_images_with_several_annotations(tmp_path):
    """v1 writes one answer row per annotation; the sample names each image once."""
    raw = make_raw_fixture(IWILD, tmp_path / "raw")
    path = raw / IWILD_JSON
    doc = json.loads(path.read_text())
    doc["annotations"] += [dict(a, id=f"extra-{k}", category_id=1) for k, a in enumerate(doc["annotations"])]
    path.write_text(json.dumps(doc))
    run(IWILD, raw, tmp_path)
    answers = pd.read_csv(tmp_path / "priv" / "answers.csv")
    sample = pd.read_csv(tmp_path / "pub" / "sample_submission.csv")
    assert len(answers) == 2 * len(sample) and sample["Id"].is_unique and set(sample["Id"]) == set(answers["Id"])


def test_iwildcam_key_sets_and_fields(tmp_path):
    raw = make_raw_fixture(IWILD, tmp_path / "raw")
    path = raw / IWILD_JSON
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(dict(doc, licenses=[])))
    with pytest.raises(RawDataError, match="unexpected key\\(s\\) 'licenses'"):
        get_preparer(IWILD).check_raw(raw)
    location = doc["images"][4].pop("location")
    path.write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="images: record 4 has no field 'location'"):
        get_preparer(IWILD).check_raw(raw)
    doc["images"][4]["location"] = location
    path.write_text(json.dumps(doc))
    test_path = raw / "iwildcam2020_test_information.json"
    test = json.loads(test_path.read_text())
    test_path.write_text(json.dumps({"images": test["images"], "info": test["info"]}))
    with pytest.raises(RawDataError, match="iwildcam2020_test_information.json .*missing key\\(s\\) 'categories'"):
        get_preparer(IWILD).check_raw(raw)
    (raw / "iwildcam2020_megadetector_results.json").unlink()
    with pytest.raises(RawDataError, match="missing iwildcam2020_megadetector_results.json"):
        get_preparer(IWILD).check_raw(raw)


def test_iwildcam_missing_image_and_single_location(tmp_path):
    raw = make_raw_fixture(IWILD, tmp_path / "raw")
    doc = json.loads((raw / IWILD_JSON).read_text())
    (raw / "train" / f"{doc['images'][0]['id']}.jpg").unlink()
    with pytest.raises(RawDataError, match=f"{doc['images'][0]['id']}.jpg is missing"):
        run(IWILD, raw, tmp_path / "a")
    for image in doc["images"]:
        image["location"] = 7
    (raw / IWILD_JSON).write_text(json.dumps(doc))
    with pytest.raises(RawDataError, match="cannot split 1 rows"):
        run(IWILD, raw, tmp_path / "b")


# ------------------------------------------------------------------------ cdiscount-image-classification-challenge
CDISCOUNT = "cdiscount-image-classification-challenge"


def decode_bson(data: bytes, pos: int = 0) -> dict:
    """A plain reference decoder of one BSON document (the types the fixtures use), independent of the preparer."""
    import struct

    end = pos + int.from_bytes(data[pos:pos + 4], "little")
    pos += 4
    out = {}
    while data[pos] != 0:
        kind = data[pos]
        key_end = data.index(b"\x00", pos + 1)
        key, pos = data[pos + 1:key_end].decode(), key_end + 1
        if kind == 0x10:
            out[key], pos = int.from_bytes(data[pos:pos + 4], "little", signed=True), pos + 4
        elif kind == 0x12:
            out[key], pos = ("int64", int.from_bytes(data[pos:pos + 8], "little", signed=True)), pos + 8
        elif kind == 0x01:
            out[key], pos = struct.unpack("<d", data[pos:pos + 8])[0], pos + 8
        elif kind == 0x08:
            out[key], pos = bool(data[pos]), pos + 1
        elif kind == 0x02:
            n = int.from_bytes(data[pos:pos + 4], "little")
            out[key], pos = data[pos + 4:pos + 3 + n].decode(), pos + 4 + n
        elif kind == 0x05:
            n = int.from_bytes(data[pos:pos + 4], "little")
            out[key], pos = data[pos + 5:pos + 5 + n], pos + 5 + n
        elif kind in (0x03, 0x04):
            sub = decode_bson(data, pos)
            out[key] = list(sub.values()) if kind == 0x04 else sub
            pos += int.from_bytes(data[pos:pos + 4], "little")
        else:
            raise AssertionError(f"type {kind}")
    assert pos + 1 == end
    return out


def bson_docs(path: Path) -> list[dict]:
    data, pos, docs = path.read_bytes(), 0, []
    while pos < len(data):
        docs.append(decode_bson(data, pos))
        pos += int.from_bytes(data[pos:pos + 4], "little")
    return docs


def test_cdiscount_end_to_end(tmp_path, store):
    check_end_to_end(CDISCOUNT, tmp_path, store, answers_as_submission("_id"))


def test_cdiscount_split_and_bson_files(tmp_path_factory):
    work = prepared(CDISCOUNT, tmp_path_factory)
    raw = bson_docs(work / "raw" / "train.bson")
    frame = pd.DataFrame({"_id": [d["_id"] for d in raw], "category_id": [d["category_id"] for d in raw]})
    train, test = train_test_split(frame, test_size=0.1, random_state=0)
    answers = pd.read_csv(work / "private" / "answers.csv")
    pd.testing.assert_frame_equal(answers, test.sort_values("_id").reset_index(drop=True))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["_id"].tolist() == answers["_id"].tolist() and (sample["category_id"] == 1000010653).all()
    in_test = set(test["_id"])
    assert bson_docs(work / "public" / "train.bson") == [d for d in raw if d["_id"] not in in_test]  # raw order
    assert bson_docs(work / "public" / "test.bson") == [
        {k: v for k, v in d.items() if k != "category_id"} for d in raw if d["_id"] in in_test]
    assert (work / "public" / "train_example.bson").read_bytes() == (work / "public" / "train.bson").read_bytes()
    assert (work / "public" / "category_names.csv").read_bytes() == (work / "raw" / "category_names.csv").read_bytes()


def test_cdiscount_example_is_the_first_100_train_products(tmp_path):
    from mle_datasets.fixtures.image_sets import bson_bytes

    raw = make_raw_fixture(CDISCOUNT, tmp_path / "raw")
    docs = [bson_bytes({"_id": k, "imgs": [{"picture": b"\xff\xd8"}], "category_id": 1000010653 + k % 2})
            for k in range(150)]
    (raw / "train.bson").write_bytes(b"".join(docs))
    run(CDISCOUNT, raw, tmp_path)
    train = bson_docs(tmp_path / "pub" / "train.bson")
    assert len(train) == 135 and bson_docs(tmp_path / "pub" / "train_example.bson") == train[:100]


def test_bson_rewrite_moves_id_first_and_drops_a_key():
    from mle_datasets.fixtures.image_sets import bson_bytes
    from mle_datasets.preparers.image_sets import bson_elements, bson_rewrite

    doc = bson_bytes({"imgs": [{"picture": b"\x00\x01", "w": 1.5}], "category_id": 5_000_000_000, "s": "é",
                      "_id": 42, "flag": True, "nested": {"a": [1, "x"]}})
    assert [e[0] for e in bson_elements(doc)] == ["imgs", "category_id", "s", "_id", "flag", "nested"]
    moved = bson_rewrite(doc)
    assert [e[0] for e in bson_elements(moved)] == ["_id", "imgs", "category_id", "s", "flag", "nested"]
    assert decode_bson(moved) == decode_bson(doc)
    dropped = bson_rewrite(doc, drop="category_id")
    assert decode_bson(dropped) == {k: v for k, v in decode_bson(doc).items() if k != "category_id"}
    already = bson_bytes({"_id": 1, "category_id": 2})
    assert bson_rewrite(already) is already


def test_cdiscount_fixture_is_learnable(tmp_path_factory):
    work = prepared(CDISCOUNT, tmp_path_factory)
    train = [(img["picture"], d["category_id"]) for d in bson_docs(work / "public/train.bson") for img in d["imgs"][:1]]
    answers = pd.read_csv(work / "private" / "answers.csv").set_index("_id")["category_id"]
    test = [(d["imgs"][0]["picture"], answers[d["_id"]]) for d in bson_docs(work / "public/test.bson")]
    assert nearest_colour_accuracy(train, test) == 1.0 > float((answers == 1000010653).mean())


def test_cdiscount_bad_raw(tmp_path):
    from mle_datasets.fixtures.image_sets import bson_bytes

    raw = make_raw_fixture(CDISCOUNT, tmp_path / "raw")
    data = (raw / "train.bson").read_bytes()
    (raw / "train.bson").write_bytes(data[:-7])
    with pytest.raises(RawDataError, match="train.bson: the BSON document at byte .* is truncated"):
        run(CDISCOUNT, raw, tmp_path / "a")
    (raw / "train.bson").write_bytes(bson_bytes({"_id": 1, "imgs": []}) + data)
    with pytest.raises(RawDataError, match="a product document has no category_id"):
        get_preparer(CDISCOUNT).check_raw(raw)
    (raw / "train.bson").write_bytes(data + data[:int.from_bytes(data[:4], "little")])
    with pytest.raises(RawDataError, match="column '_id' has 1 duplicated value"):
        run(CDISCOUNT, raw, tmp_path / "b")
    (raw / "train.bson").write_bytes(bson_bytes({"_id": "x", "category_id": 3}) + data)
    with pytest.raises(RawDataError, match="field '_id' must be an integer"):
        get_preparer(CDISCOUNT).check_raw(raw)
    (raw / "train.bson").write_bytes(data)
    names = pd.read_csv(raw / "category_names.csv")
    names.drop(columns="category_level3").to_csv(raw / "category_names.csv", index=False)
    with pytest.raises(RawDataError, match="category_names.csv .*missing column\\(s\\) 'category_level3'"):
        get_preparer(CDISCOUNT).check_raw(raw)
    (raw / "train.bson").unlink()
    with pytest.raises(RawDataError, match="missing train.bson"):
        get_preparer(CDISCOUNT).check_raw(raw)


# ------------------------------------------------------------------------ kuzushiji-recognition
KUZUSHIJI = "kuzushiji-recognition"


def kuzushiji_gold(answers: Path, sample: Path) -> pd.DataFrame:
    """The private gold submission: every character's box corner moved one pixel inside."""
    return pd.read_csv(answers.parent / "gold_submission.csv", dtype={"image_id": str})


def test_kuzushiji_end_to_end(tmp_path, store):
    check_end_to_end(KUZUSHIJI, tmp_path, store, kuzushiji_gold)


def test_kuzushiji_split_zips_and_gold(tmp_path_factory):
    import zipfile

    work = prepared(KUZUSHIJI, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test.reset_index(drop=True))
    gold = pd.read_csv(work / "private" / "gold_submission.csv")
    expected = []
    for label in test["labels"]:
        t = label.split()
        expected.append(" ".join(f"{c} {int(x) + 1} {int(y) + 1}" for c, x, y in zip(t[0::5], t[1::5], t[2::5])))
    assert gold["image_id"].tolist() == test["image_id"].tolist() and gold["labels"].tolist() == expected
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["image_id"].tolist() == test["image_id"].tolist()
    assert (sample["labels"] == "U+003F 1 1 U+FF2F 2 2").all()
    with zipfile.ZipFile(work / "raw" / "train_images.zip") as src:
        for part, name in ((train, "train_images.zip"), (test, "test_images.zip")):
            with zipfile.ZipFile(work / "public" / name) as dst:
                assert sorted(dst.namelist()) == sorted(part["image_id"] + ".jpg")  # flat, as v1's make_archive
                assert all(dst.read(n) == src.read(n) for n in dst.namelist())
    assert sorted(p.name for p in (work / "public").iterdir()) == [
        "sample_submission.csv", "test_images.zip", "train.csv", "train_images.zip", "unicode_translation.csv"]


def test_kuzushiji_fixture_is_learnable(tmp_path_factory):
    """Each character is a box of its own grey level: reading the boxes off the page gives the code points."""
    work = prepared(KUZUSHIJI, tmp_path_factory)
    train = pd.read_csv(work / "public" / "train.csv").dropna()
    greys = {}
    import zipfile

    with zipfile.ZipFile(work / "public" / "train_images.zip") as zf:
        for image_id, label in zip(train["image_id"], train["labels"]):
            blocks = _decode_dc_jpeg(zf.read(f"{image_id}.jpg"))[0]
            t = label.split()
            for code, x, y in zip(t[0::5], t[1::5], t[2::5]):
                greys.setdefault(code, []).append(blocks[(int(y) + 4) // 8, (int(x) + 4) // 8])
    means = {code: np.mean(v) for code, v in greys.items()}
    spread = sorted(means.values())
    assert min(np.diff(spread)) > 20  # every code point has a clearly different grey level


def test_gold_labels_match_python_on_odd_spacing():
    from mle_datasets.preparers.image_sets import gold_labels

    labels = pd.Series(["  U+306F 1 2 3 4\tU+0031 +5 -3 1 1 ", "U+3044 0 0 9 9", "   ", None])
    assert gold_labels(labels).to_pylist() == ["U+306F 2 3 U+0031 6 -2", "U+3044 1 1", "", None]
    with pytest.raises(RawDataError, match="not groups of 5 tokens"):
        gold_labels(pd.Series(["U+306F 1 2 3"]))
    with pytest.raises(RawDataError, match="not integers"):
        gold_labels(pd.Series(["U+306F 1.5 2 3 4"]))


def test_kuzushiji_unlabelled_test_page_is_kept(tmp_path):
    """v1 crashes when a page without labels lands in its test rows; here its gold label is empty."""
    raw = make_raw_fixture(KUZUSHIJI, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    _, test = train_test_split(table, test_size=0.1, random_state=0)
    table.loc[test.index[0], "labels"] = np.nan
    table.to_csv(raw / "train.csv", index=False)
    run(KUZUSHIJI, raw, tmp_path)
    gold = pd.read_csv(tmp_path / "priv" / "gold_submission.csv")
    assert gold["labels"].isna().tolist() == [True] + [False] * (len(test) - 1)


def test_kuzushiji_bad_raw(tmp_path):
    import zipfile

    raw = make_raw_fixture(KUZUSHIJI, tmp_path / "raw")
    with zipfile.ZipFile(raw / "train_images.zip") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(raw / "train_images.zip", "w") as zf:
        for n, data in entries.items():
            zf.writestr(f"train_images/{n}", data)
    with pytest.raises(RawDataError, match="train_images.zip holds no <image_id>.jpg at its root"):
        get_preparer(KUZUSHIJI).check_raw(raw)
    with zipfile.ZipFile(raw / "train_images.zip", "w") as zf:
        for n, data in list(entries.items())[1:]:
            zf.writestr(n, data)
    with pytest.raises(RawDataError, match=f"lacks 1 page\\(s\\) listed in train.csv \\(e.g. {list(entries)[0]}\\)"):
        run(KUZUSHIJI, raw, tmp_path / "a")
    table = pd.read_csv(raw / "train.csv")
    table.rename(columns={"labels": "label"}).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="train.csv .*missing column\\(s\\) 'labels'"):
        get_preparer(KUZUSHIJI).check_raw(raw)
    (raw / "unicode_translation.csv").unlink()
    with pytest.raises(RawDataError, match="missing unicode_translation.csv"):
        get_preparer(KUZUSHIJI).check_raw(raw)


# ------------------------------------------------------------------------ fixtures
RAW_LAYOUT = {
    "herbarium-2020-fgvc7": {"nybg2020", "sample_submission.csv"},
    "herbarium-2021-fgvc8": {"train", "test", "sample_submission.csv"},
    "herbarium-2022-fgvc9": {"train_metadata.json", "train_images", "test_metadata.json", "test_images",
                             "sample_submission.csv"},
    "inaturalist-2019-fgvc6": {"train_val2019.tar.gz", "train2019.json", "val2019.json", "test2019.tar.gz",
                               "test2019.json", "kaggle_sample_submission.csv"},
    "iwildcam-2020-fgvc7": {"iwildcam2020_train_annotations.json", "iwildcam2020_test_information.json",
                            "iwildcam2020_megadetector_results.json", "train", "test", "sample_submission.csv"},
    "cdiscount-image-classification-challenge": {"train.bson", "train_example.bson", "test.bson",
                                                 "category_names.csv", "sample_submission.csv"},
    "kuzushiji-recognition": {"train.csv", "train_images.zip", "test_images.zip", "unicode_translation.csv",
                              "sample_submission.csv"},
}


def _digest(root: Path) -> dict:
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("cid", sorted(RAW_LAYOUT))
def test_fixture_layout_determinism_and_seeds(cid, tmp_path):
    first = make_raw_fixture(cid, tmp_path / "a")
    assert {p.name for p in first.iterdir()} == RAW_LAYOUT[cid]
    assert _digest(first) == _digest(make_raw_fixture(cid, tmp_path / "b"))
    other = make_raw_fixture(cid, tmp_path / "c", seed=1)
    assert _digest(other) != _digest(first)
    run(cid, other, tmp_path / "prepared")  # another seed prepares too
