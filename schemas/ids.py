"""Ids as integer codes, exactly and fast: one vectorised 64-bit hash per id, then integer work.

pyarrow's ``dictionary_encode`` costs several times a plain CSV read of the same ids (one hash-table insert per
string); here every id is hashed eight bytes at a time in numpy (one pass per 8-byte word of the longest id),
the hashes are factorized by pandas' integer hash table, and the result is checked exactly: every id is
compared with the first id that got its code, so two different ids never share a code (a hash collision
falls back to ``dictionary_encode``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["KeyHashes", "SubmissionIds", "hash_key", "joint_codes", "positions_in"]

#: ids longer than this many bytes are encoded by pyarrow's hash table (one numpy pass per 8 bytes otherwise)
MAX_HASHED_BYTES = 256
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xBF58476D1CE4E5B9)
_K3 = np.uint64(0x94D049BB133111EB)
#: _MASKS[r] keeps the low r bytes of a little-endian word
_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


@dataclass(frozen=True)
class KeyHashes:
    """One id per row as a contiguous arrow string array (nulls as ``""``) and its 64-bit hashes
    (``None`` when some id is longer than :data:`MAX_HASHED_BYTES`)."""

    key: pa.Array
    hashes: np.ndarray | None

    def __len__(self) -> int:
        return len(self.key)


@dataclass(frozen=True)
class SubmissionIds:
    """A submission's ids as its contract encoded them, for the grader to pair rows without hashing them again:
    ``rows`` (one id per submission row), ``expected`` (the expected ids, e.g. the sample submission's; ``None``
    when there were none) and ``expected_rows``, the submission row holding each expected id when every
    expected id is there exactly once (else ``None``)."""

    rows: KeyHashes
    expected: pa.Array | None = None
    expected_rows: np.ndarray | None = None


def _mix(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(30)
    h *= _K2
    h ^= h >> np.uint64(27)
    h *= _K3
    h ^= h >> np.uint64(31)
    return h


def _hash_strings(key: pa.Array) -> np.ndarray | None:
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    key = key.cast(pa.large_string()) if key.type != pa.large_string() else key
    offsets = np.frombuffer(key.buffers()[1], dtype=np.int64)[key.offset:key.offset + n + 1]
    starts, lengths = offsets[:-1], np.diff(offsets)
    longest, shortest = int(lengths.max()), int(lengths.min())
    if longest > MAX_HASHED_BYTES:
        return None
    data = key.buffers()[2]
    end = int(offsets[-1])
    padded = np.zeros(end + 8, dtype=np.uint8)
    if data is not None:
        padded[:end] = np.frombuffer(data, dtype=np.uint8)[:end]
    # every 8-byte (unaligned, little-endian) word of the buffer, one per byte offset
    words = np.ndarray((end + 1,), dtype="<u8", buffer=padded, strides=(1,))
    h = lengths.astype(np.uint64)
    h *= _K1
    rows = np.arange(n)
    for w in range(0, longest, 8):
        if w >= shortest:  # from here on only the longer ids have bytes left
            rows = rows[lengths[rows] > w]
        at = starts[rows] + w if w >= shortest else starts + w
        word = words[at]
        if w + 8 > shortest:
            word &= _MASKS[np.minimum(lengths[rows] - w, 8)]
        if w >= shortest:
            h[rows] = _step(h[rows], word)
        else:
            h = _step(h, word)
    return _mix(h)


def _step(h: np.ndarray, word: np.ndarray) -> np.ndarray:
    h ^= word
    h *= _K1
    h ^= h >> np.uint64(29)
    return h


def hash_key(key: pa.Array | pa.ChunkedArray) -> KeyHashes:
    """Hash one id per row (an arrow string array, e.g. :func:`schemas.submission.id_key`).

    >>> k = hash_key(pa.array(["a", "bb", "a", None]))
    >>> bool(k.hashes[0] == k.hashes[2]), bool(k.hashes[0] == k.hashes[1]), k.key.to_pylist()[3]
    (True, False, '')
    """
    if isinstance(key, pa.ChunkedArray):
        key = key.combine_chunks()
    key = pc.fill_null(key.cast(pa.string()), "")
    return KeyHashes(key, _hash_strings(key))


def joint_codes(*parts: KeyHashes) -> tuple[list[np.ndarray], int]:
    """Integer codes of the ids of every part, over all parts together: equal ids get equal codes, different
    ids different ones (exact). Returns the codes of each part and the number of distinct ids.

    >>> codes, n = joint_codes(hash_key(pa.array(["x", "y"])), hash_key(pa.array(["y", "z", "x"])))
    >>> [c.tolist() for c in codes], n
    ([[0, 1], [1, 2, 0]], 3)
    """
    sizes = [len(p) for p in parts]
    bounds = np.cumsum([0, *sizes])
    keys = pa.concat_arrays([p.key for p in parts]) if len(parts) > 1 else parts[0].key
    if all(p.hashes is not None for p in parts):
        codes, uniques = pd.factorize(np.concatenate([p.hashes for p in parts]))
        n_codes = len(uniques)
        # each id against one row holding its code (whichever the assignment keeps): all equal = exact
        some_row = np.empty(n_codes, dtype=np.int64)
        some_row[codes] = np.arange(len(codes))
        other = np.flatnonzero(some_row[codes] != np.arange(len(codes)))
        if pc.all(pc.equal(keys.take(pa.array(other)), keys.take(pa.array(some_row[codes[other]])))).as_py() \
                is not False:
            return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n_codes
    # a hash collision (or ids too long to hash): arrow's exact hash table
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n_codes


def positions_in(rows: KeyHashes, wanted: KeyHashes, *, extra_rows: bool = False) -> np.ndarray | None:
    """For each id of ``wanted``, the row of ``rows`` that holds it; ``None`` unless every id of ``wanted`` is in
    ``rows`` exactly once, ``wanted`` repeats none, and (unless ``extra_rows``) ``rows`` holds no other id.

    >>> positions_in(hash_key(pa.array(["b", "a"])), hash_key(pa.array(["a", "b"]))).tolist()
    [1, 0]
    >>> positions_in(hash_key(pa.array(["b", "a"])), hash_key(pa.array(["a", "a"]))) is None
    True
    >>> positions_in(hash_key(pa.array(["b", "c", "a"])), hash_key(pa.array(["a", "b"])), extra_rows=True).tolist()
    [2, 0]
    """
    if len(rows) < len(wanted) or (len(rows) != len(wanted) and not extra_rows):
        return None
    (row_codes, want_codes), n_codes = joint_codes(rows, wanted)
    if n_codes != len(rows) or np.bincount(row_codes, minlength=n_codes).max(initial=0) > 1 \
            or np.bincount(want_codes, minlength=n_codes).max(initial=0) > 1:
        return None  # a repeated id, or an id of ``wanted`` that no row holds
    row_of_code = np.empty(n_codes, dtype=np.int64)
    row_of_code[row_codes] = np.arange(len(row_codes))
    return row_of_code[want_codes]
