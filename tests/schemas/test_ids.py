"""Ids as integer codes (schemas.ids): exactly the partition pyarrow's dictionary_encode gives, whatever the ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.ids import MAX_HASHED_BYTES, KeyHashes, hash_key, joint_codes, positions_in


def _reference(*keys: pa.Array) -> list[np.ndarray]:
    both = pa.chunked_array([pc.fill_null(k, "") for k in keys], type=pa.string())
    codes = pc.dictionary_encode(both).combine_chunks().indices.to_numpy(zero_copy_only=False)
    bounds = np.cumsum([0, *map(len, keys)])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _same_partition(ours: list[np.ndarray], ref: list[np.ndarray]) -> bool:
    a, b = np.concatenate(ours), np.concatenate(ref)
    # the same partition: a code of one side maps to exactly one code of the other, both ways
    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    """Ids of every length from 0 to 40 bytes, with repeats, prefixes of each other and non-ASCII text."""
    alphabet = np.array(list("ab0_é-"))
    lengths = rng.integers(0, 41, n)
    out = ["".join(rng.choice(alphabet, size=k)) for k in lengths]
    out += [s + "x" for s in out[:5]] + [s[:-1] for s in out[:5] if s] + out[:7]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_codes_match_dictionary_encode(seed):
    rng = np.random.default_rng(seed)
    a, b = pa.array(_ids(rng, 300)), pa.array(_ids(rng, 200) + [None])
    codes, n = joint_codes(hash_key(a), hash_key(b))
    ref = _reference(a, b)
    assert _same_partition(codes, ref)
    assert n == len(np.unique(np.concatenate(ref)))


def test_sliced_and_chunked_keys_hash_like_fresh_arrays():
    ids = pa.array([f"id{i:04d}" for i in range(100)])
    sliced = ids.slice(10, 50)
    chunked = pa.chunked_array([ids.slice(10, 20), ids.slice(30, 30)])
    fresh = pa.array(sliced.to_pylist())
    assert (hash_key(sliced).hashes == hash_key(fresh).hashes).all()
    assert (hash_key(chunked).hashes == hash_key(fresh).hashes).all()


def test_a_hash_collision_falls_back_to_exact_codes():
    # two different ids given the same hash on purpose: the check against one row per code catches it
    key = pa.array(["a", "b", "a", "c"])
    forged = KeyHashes(key, np.array([7, 7, 7, 9], dtype=np.uint64))
    (codes,), n = joint_codes(forged)
    assert n == 3 and codes[0] == codes[2] and len({codes[0], codes[1], codes[3]}) == 3


def test_ids_too_long_to_hash_are_encoded_by_arrow():
    long_id = "x" * (MAX_HASHED_BYTES + 1)
    hashed = hash_key(pa.array([long_id, "y", long_id]))
    assert hashed.hashes is None
    (codes,), n = joint_codes(hashed)
    assert n == 2 and codes[0] == codes[2] != codes[1]


def test_positions_pair_one_to_one_or_not_at_all():
    rows = hash_key(pa.array(["c", "a", "b"]))
    assert positions_in(rows, hash_key(pa.array(["a", "b", "c"]))).tolist() == [1, 2, 0]
    assert positions_in(rows, hash_key(pa.array(["a", "b", "z"]))) is None
    assert positions_in(rows, hash_key(pa.array(["a", "b"]))) is None
    assert positions_in(rows, hash_key(pa.array(["a", "b"])), extra_rows=True).tolist() == [1, 2]
    assert positions_in(hash_key(pa.array(["a", "a", "b"])), hash_key(pa.array(["a", "b"])), extra_rows=True) is None


def _toy_comp(policy: str = "exact"):
    from schemas.columns import SubmissionFormat, columns_from

    return SubmissionFormat(f"toy-ids-{policy}", ("id",), columns_from([{"name": "id"}, {"name": "p", "dtype": "float"}]),
                            id_policy=policy)


@pytest.mark.parametrize("order", ["sample", "reversed"])
def test_the_contract_returns_the_row_of_each_expected_id(order):
    import pandas as pd

    from schemas.submission import validate_submission

    sample = pd.DataFrame({"id": [f"{i:03d}" for i in range(50)], "p": 0.5})
    sub = sample if order == "sample" else sample.iloc[::-1].reset_index(drop=True)
    checked = validate_submission(_toy_comp(), sub, sample)
    assert checked.report.valid
    rows = checked.ids.expected_rows
    assert sub["id"].to_numpy()[rows].tolist() == sample["id"].tolist()


@pytest.mark.parametrize("ids", [["000", "000", "002"], ["000", "001"], ["000", "001", "002", "009"]])
def test_no_pairing_when_the_ids_do_not_pair_one_to_one(ids):
    import pandas as pd

    from schemas.submission import validate_submission

    sample = pd.DataFrame({"id": ["000", "001", "002"], "p": 0.5})
    checked = validate_submission(_toy_comp(), pd.DataFrame({"id": ids, "p": 0.1}), sample)
    assert not checked.report.valid and checked.ids.expected_rows is None
