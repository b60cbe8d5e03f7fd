"""Pure-numpy readers of the two media formats preparers must decode: PNG (denoising answers) and TFRecord ids
(siim-isic test split). No Pillow, no TensorFlow.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mle_datasets.errors import RawDataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


# ------------------------------------------------------------------------------------------------------ PNG
def _unfilter(raw: bytes, height: int, stride: int, bpp: int, name: str) -> np.ndarray:
    """Undo PNG scanline filters; returns ``(height, stride)`` uint8."""
    rows = np.frombuffer(raw, dtype=np.uint8)
    if rows.size != height * (stride + 1):
        raise RawDataError(f"{name}: PNG image data has the wrong size; the file is truncated: download it again")
    rows = rows.reshape(height, stride + 1)
    kinds, data = rows[:, 0], rows[:, 1:].astype(np.int64)
    out = np.zeros((height, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):  # scanlines depend on the previous one; pixels of one line are vectorised
        line, kind = data[y], kinds[y]
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            cur = (line + prev) % 256
        elif kind in (3, 4):
            cur = _unfilter_sequential(line, prev, bpp, kind)
        else:
            raise RawDataError(f"{name}: unknown PNG filter type {kind}; the file is damaged: download it again")
        out[y] = cur
        prev = cur
    return out.astype(np.uint8)


def _unfilter_sequential(line: np.ndarray, prev: np.ndarray, bpp: int, kind: int) -> np.ndarray:
    """Average (3) and Paeth (4) filters, which depend on the byte just decoded."""
    cur = np.zeros_like(line)
    up = prev.tolist()
    vals = line.tolist()
    res = [0] * len(vals)
    for i, v in enumerate(vals):
        a = res[i - bpp] if i >= bpp else 0
        b = up[i]
        if kind == 3:
            res[i] = (v + (a + b) // 2) % 256
        else:
            c = up[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            res[i] = (v + pred) % 256
    cur[:] = res
    return cur


def read_png_gray(data: bytes, name: str = "image.png") -> np.ndarray:
    """Decode an 8-bit PNG and convert it to greyscale exactly as Pillow's ``convert("L")`` does.

    Supports colour types grey, grey+alpha, RGB, RGBA and palette, bit depth 8, no interlacing.

    >>> from mle_datasets.fixtures.media import png_bytes
    >>> read_png_gray(png_bytes(np.array([[0, 255], [10, 20]], dtype=np.uint8))).tolist()
    [[0, 255], [10, 20]]
    """
    if data[:8] != PNG_SIGNATURE:
        raise RawDataError(f"{name} is not a PNG file; download the raw data again")
    pos, header, palette, idat = 8, None, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        pos += 12 + length
        if len(crc) < 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise RawDataError(f"{name}: PNG chunk {kind!r} fails its checksum; the file is damaged: download it again")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise RawDataError(f"{name}: PNG without header or image data; the file is truncated: download it again")
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or interlace or color not in _CHANNELS:
        raise RawDataError(
            f"{name}: PNG with bit depth {depth}, colour type {color}, interlace {interlace} is not supported "
            "(expected 8-bit, non-interlaced images as in the Kaggle download)"
        )
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as err:
        raise RawDataError(f"{name}: PNG data cannot be decompressed ({err}); download it again") from None
    channels = _CHANNELS[color]
    pixels = _unfilter(raw, height, width * channels, channels, name).reshape(height, width, channels)
    if color == 3:
        if palette is None:
            raise RawDataError(f"{name}: palette PNG without a palette; download it again")
        pixels = palette[pixels[..., 0]]
    if pixels.shape[2] in (1, 2):
        return pixels[..., 0]
    rgb = pixels[..., :3].astype(np.int64)
    return ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)


# ------------------------------------------------------------------------------------------------- TFRecord
def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C: rotate right by 15 bits and add 0xA282EAD8."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def iter_tfrecords(path: Path, verify_data: bool = False) -> Iterator[bytes]:
    """Yield the records of a TFRecord file, checking every length checksum (and data checksums on request).

    Data checksums are pure Python (slow on the real 200 MB files), so they are off by default; the length
    checksums catch truncation and misalignment.
    """
    with open(path, "rb") as fh:
        while True:
            head = fh.read(12)
            if not head:
                return
            if len(head) < 12:
                raise RawDataError(f"{path.name} is truncated (partial record header); download it again")
            length, length_crc = struct.unpack("<QI", head)
            if masked_crc32c(head[:8]) != length_crc:
                raise RawDataError(f"{path.name}: bad record length checksum; the file is damaged: download it again")
            body = fh.read(length + 4)
            if len(body) < length + 4:
                raise RawDataError(f"{path.name} is truncated (partial record); download it again")
            record = body[:length]
            if verify_data and masked_crc32c(record) != struct.unpack("<I", body[length:])[0]:
                raise RawDataError(f"{path.name}: bad record data checksum; the file is damaged: download it again")
            yield record


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """Top-level protobuf fields of ``buf``: ``(number, wire type, value)``."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def example_bytes_feature(record: bytes, key: str) -> bytes | None:
    """First value of the bytes feature ``key`` of a serialised ``tf.train.Example`` (None if absent)."""
    wanted = key.encode("utf-8")
    for number, _, features in _fields(record):
        if number != 1:
            continue
        for entry_number, _, entry in _fields(features):  # map<string, Feature> entries
            if entry_number != 1:
                continue
            parts = {n: v for n, _, v in _fields(entry)}
            if parts.get(1) != wanted:
                continue
            for kind, _, values in _fields(parts.get(2, b"")):
                if kind == 1:  # BytesList
                    for value_number, _, value in _fields(values):
                        if value_number == 1:
                            return value
            return None
    return None


def tfrecord_ids(path: Path, key: str = "image_name") -> list[str]:
    """The ``key`` bytes feature of every Example in a TFRecord file, decoded as UTF-8."""
    ids = []
    for i, record in enumerate(iter_tfrecords(path)):
        try:
            value = example_bytes_feature(record, key)
        except (ValueError, IndexError):
            value = None
        if value is None:
            raise RawDataError(
                f"{path.name}: record {i} is not a tf.train.Example with a bytes feature {key!r}; download it again"
            )
        ids.append(value.decode("utf-8"))
    return ids
