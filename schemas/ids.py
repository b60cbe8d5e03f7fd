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

__all__ = ["KeyHashes", "hash_key", "joint_codes", "positions_in"]

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
    longest = int(lengths.max())
    if longest > MAX_HASHED_BYTES:
        return None
    data = key.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    end = int(offsets[-1])
    padded = np.zeros(end + 8, dtype=np.uint8)
    padded[:end] = raw[:end]
    # every 8-byte (unaligned, little-endian) word of the buffer, one per byte offset
    words = np.ndarray((end + 1,), dtype="<u8", buffer=padded, strides=(1,))
    h = lengths.astype(np.uint64) * _K1
    rows = None  # None: every row still has bytes left
    for w in range(0, longest, 8):
        if rows is None and int(lengths.min()) <= w:
            rows = np.flatnonzero(lengths > w)
        if rows is None:
            word = words[starts + w] & _MASKS[np.minimum(lengths - w, 8)]
            h = _mix((h ^ word) * _K1)
        else:
            rows = rows[lengths[rows] > w]
            word = words[starts[rows] + w] & _MASKS[np.minimum(lengths[rows] - w, 8)]
            h[rows] = _mix((h[rows] ^ word) * _K1)
    return _mix(h)


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
    if all(p.hashes is not None for p in parts):
        both = np.concatenate([p.hashes for p in parts])
        codes, uniques = pd.factorize(both)
        n_codes = len(uniques)
        keys = pa.chunked_array([p.key for p in parts], type=pa.string())
        # each id against one row holding its code (whichever the assignment keeps): equal everywhere = exact
        some_row = np.zeros(n_codes, dtype=np.int64)
        some_row[codes] = np.arange(len(codes))
        if len(codes) == 0 or pc.all(pc.equal(keys, keys.take(pa.array(some_row[codes])))).as_py():
            return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n_codes
    # a hash collision (or ids too long to hash): arrow's exact hash table
    keys = pa.chunked_array([p.key for p in parts], type=pa.string())
    codes = pc.dictionary_encode(keys).combine_chunks().indices.to_numpy(zero_copy_only=False).astype(np.int64)
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
