"""Readers of the media files the baseline agent learns from, in numpy and the standard library only (an
agent's image holds no Pillow, no audio library): PNG, baseline JPEG (block means), uncompressed TIFF,
24-bit BMP, 16-bit PCM WAV and AIFF.

JPEG is read at one eighth of its size: only the DC coefficient of each 8x8 block (the block's mean colour)
is reconstructed, the AC coefficients are decoded and skipped. That is the downsampled picture the baseline
uses anyway, and it costs a fraction of a full decode.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
AUDIO_SUFFIXES = (".wav", ".aif", ".aiff")


class MediaError(ValueError):
    """A file this reader cannot decode (damaged, or a variant it does not support)."""


def read_image(data: bytes, name: str = "") -> tuple[np.ndarray, bool]:
    """``(pixels, full)``: an ``(h, w, 3)`` float array (grey repeated), and False when it holds 8x8 block
    means (JPEG) rather than every pixel."""
    lower = name.lower()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _rgb(read_png(data)), True
    if data[:2] == b"\xff\xd8":
        return _rgb(read_jpeg_blocks(data)), False
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _rgb(read_tiff(data)), True
    if data[:2] == b"BM":
        return _rgb(read_bmp(data)), True
    raise MediaError(f"{name or 'image'}: not a PNG, JPEG, TIFF or BMP file ({lower.rsplit('.', 1)[-1]})")


def read_audio(data: bytes, name: str = "") -> tuple[np.ndarray, int]:
    """``(samples, rate)``: mono float samples in [-1, 1) of a WAV or AIFF file (channels averaged)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return read_wav(data)
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return read_aiff(data)
    raise MediaError(f"{name or 'audio'}: not a WAV or AIFF file")


def _rgb(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim == 2:
        return np.repeat(pixels[..., None], 3, axis=2)
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    return pixels[..., :3]


# ------------------------------------------------------------------------------------------------------ PNG
def read_png(data: bytes) -> np.ndarray:
    """Pixels of a non-interlaced PNG (8 or 16 bits; grey, RGB, palette, with or without alpha), uint8.

    >>> import zlib, struct
    >>> def chunk(kind, body):
    ...     return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    >>> ihdr = struct.pack(">IIBBBBB", 2, 1, 8, 0, 0, 0, 0)
    >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\\x01\\x05\\x03"))
    >>> read_png(png + chunk(b"IEND", b"")).tolist()  # Sub filter: 5, then 5 + 3
    [[5, 8]]
    """
    pos, header, palette, idat = 8, None, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise MediaError("PNG without IHDR or IDAT")
    width, height, depth, colour, _, _, interlace = header
    if interlace or depth not in (8, 16):
        raise MediaError(f"PNG variant not supported (bit depth {depth}, interlace {interlace})")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bpp = channels * depth // 8
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as err:
        raise MediaError(f"PNG image data is damaged ({err})") from None
    lines = _unfilter(raw, height, width * bpp, bpp)
    if depth == 16:
        lines = lines[:, ::2]  # the high byte of each sample
    pixels = lines.reshape(height, width, channels)
    if colour == 3:
        if palette is None:
            raise MediaError("palette PNG without PLTE")
        return palette[pixels[..., 0]]
    if colour in (4, 6):
        pixels = pixels[..., :-1]  # drop alpha
    return pixels[..., 0] if pixels.shape[2] == 1 else pixels


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    rows = np.frombuffer(raw, np.uint8)
    if rows.size < height * (stride + 1):
        raise MediaError("PNG image data is truncated")
    rows = rows[:height * (stride + 1)].reshape(height, stride + 1)
    out = np.zeros((height, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(height):
        kind, line = int(rows[y, 0]), rows[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            cur = (line + prev) % 256
        elif kind in (3, 4):
            cur = np.array(_sequential(line.tolist(), prev.tolist(), bpp, kind), np.int64)
        else:
            raise MediaError(f"unknown PNG filter {kind}")
        out[y] = prev = cur
    return out.astype(np.uint8)


def _sequential(line: list[int], up: list[int], bpp: int, kind: int) -> list[int]:
    """The Average (3) and Paeth (4) filters: each byte depends on the one decoded just before."""
    res = [0] * len(line)
    for i, v in enumerate(line):
        a = res[i - bpp] if i >= bpp else 0
        b = up[i]
        if kind == 3:
            res[i] = (v + (a + b) // 2) & 255
        else:
            c = up[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            res[i] = (v + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return res


# ----------------------------------------------------------------------------------------------------- JPEG
def _huffman_table(counts: bytes, symbols: bytes) -> dict[tuple[int, int], int]:
    table, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            table[(length, code)] = symbols[k]
            code += 1
            k += 1
        code <<= 1
    return table


class _Bits:
    """MSB-first bit reader over entropy-coded bytes (byte stuffing already removed)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.acc, self.n = data, 0, 0, 0

    def bit(self) -> int:
        if self.n == 0:
            self.acc = self.data[self.pos] if self.pos < len(self.data) else 0xFF
            self.pos += 1
            self.n = 8
        self.n -= 1
        return (self.acc >> self.n) & 1

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def symbol(self, table: dict[tuple[int, int], int]) -> int:
        code = 0
        for length in range(1, 17):
            code = (code << 1) | self.bit()
            found = table.get((length, code))
            if found is not None:
                return found
        raise MediaError("JPEG: invalid Huffman code")


def _extend(value: int, size: int) -> int:
    return value if size == 0 or value >= 1 << (size - 1) else value - (1 << size) + 1


def read_jpeg_blocks(data: bytes) -> np.ndarray:
    """The 8x8 block means of a baseline JPEG: ``(ceil(h/8), ceil(w/8))`` grey or ``(..., 3)`` RGB, float.

    Sequential Huffman JPEGs only (SOF0/SOF1, any sampling factors, restart intervals); progressive and
    arithmetic-coded files raise :class:`MediaError`.
    """
    pos = 2
    quant: dict[int, np.ndarray] = {}
    tables: dict[tuple[int, int], dict] = {}
    frame = None
    restart = 0
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise MediaError("JPEG: marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        body = data[pos + 4:pos + 2 + length]
        if marker in (0xC0, 0xC1):
            _, height, width, ncomp = struct.unpack(">BHHB", body[:6])
            comps = [(body[6 + 3 * i], body[7 + 3 * i] >> 4, body[7 + 3 * i] & 15, body[8 + 3 * i]) for i in range(ncomp)]
            frame = (height, width, comps)
        elif marker in (0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            raise MediaError("JPEG: only baseline (sequential Huffman) files are supported")
        elif marker == 0xDB:
            i = 0
            while i < len(body):
                precision, tq = body[i] >> 4, body[i] & 15
                size = 128 if precision else 64
                quant[tq] = np.frombuffer(body[i + 1:i + 1 + size], ">u2" if precision else np.uint8).astype(float)
                i += 1 + size
        elif marker == 0xC4:
            i = 0
            while i < len(body):
                kind, th = body[i] >> 4, body[i] & 15
                counts = body[i + 1:i + 17]
                total = sum(counts)
                tables[(kind, th)] = _huffman_table(counts, body[i + 17:i + 17 + total])
                i += 17 + total
        elif marker == 0xDD:
            restart = struct.unpack(">H", body[:2])[0]
        elif marker == 0xDA:
            if frame is None:
                raise MediaError("JPEG: scan before frame header")
            return _decode_scan(data, pos + 2 + length, body, frame, quant, tables, restart)
        elif marker == 0xD9:
            break
        pos += 2 + length
    raise MediaError("JPEG: no image data")


def _decode_scan(data, start, header, frame, quant, tables, restart) -> np.ndarray:
    height, width, comps = frame
    selected = {header[1 + 2 * i]: (header[2 + 2 * i] >> 4, header[2 + 2 * i] & 15) for i in range(header[0])}
    hmax, vmax = max(c[1] for c in comps), max(c[2] for c in comps)
    # The entropy-coded segment ends at the first marker that is neither stuffing nor a restart.
    end = start
    while True:
        end = data.find(b"\xff", end)
        if end < 0 or end + 1 >= len(data):
            end = len(data)
            break
        if data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
            end += 2
            continue
        break
    chunks = [c.replace(b"\xff\x00", b"\xff") for c in _split_restarts(data[start:end])]
    mcus_x, mcus_y = -(-width // (8 * hmax)), -(-height // (8 * vmax))
    scan_comps = [c for c in comps if c[0] in selected]
    single = len(scan_comps) == 1
    grids = {}
    for cid, h, v, _ in scan_comps:
        cw, ch = -(-width * h // hmax), -(-height * v // vmax)
        grids[cid] = np.zeros((mcus_y * v, mcus_x * h) if not single else (-(-ch // 8), -(-cw // 8)))
    units = [(cid, h, v) for cid, h, v, _ in scan_comps]
    if single:
        cid = units[0][0]
        coords = [[(cid, by, bx)] for by in range(grids[cid].shape[0]) for bx in range(grids[cid].shape[1])]
    else:
        coords = [[(cid, my * v + j, mx * h + i) for cid, h, v in units for j in range(v) for i in range(h)]
                  for my in range(mcus_y) for mx in range(mcus_x)]
    per_chunk = restart or len(coords)
    for k, chunk in enumerate(chunks):
        bits, pred = _Bits(chunk), {cid: 0 for cid, _, _ in units}
        for mcu in coords[k * per_chunk:(k + 1) * per_chunk]:
            for cid, by, bx in mcu:
                dc_table, ac_table = (tables.get((0, selected[cid][0])), tables.get((1, selected[cid][1])))
                if dc_table is None or ac_table is None:
                    raise MediaError("JPEG: scan uses a Huffman table that is not defined")
                size = bits.symbol(dc_table)
                pred[cid] += _extend(bits.bits(size), size)
                grids[cid][by, bx] = pred[cid]
                k_ac = 1
                while k_ac < 64:  # skip the AC coefficients
                    rs = bits.symbol(ac_table)
                    run, size = rs >> 4, rs & 15
                    if size == 0:
                        if run != 15:
                            break
                        k_ac += 16
                        continue
                    bits.bits(size)
                    k_ac += run + 1
    planes = []
    for cid, h, v, tq in comps:
        if cid not in grids:
            continue
        q = quant.get(tq, np.ones(64))[0]
        means = grids[cid] * q / 8 + 128
        bh, bw = -(-height // 8), -(-width // 8)
        means = np.repeat(np.repeat(means, vmax // v, axis=0), hmax // h, axis=1)[:bh, :bw]
        planes.append(means)
    if len(planes) == 1:
        return np.clip(planes[0], 0, 255)
    y, cb, cr = planes[:3]
    rgb = np.stack([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                    y + 1.772 * (cb - 128)], axis=-1)
    return np.clip(rgb, 0, 255)


def _split_restarts(segment: bytes) -> list[bytes]:
    out, begin, i = [], 0, 0
    while True:
        i = segment.find(b"\xff", i)
        if i < 0 or i + 1 >= len(segment):
            break
        if 0xD0 <= segment[i + 1] <= 0xD7:
            out.append(segment[begin:i])
            begin = i + 2
        i += 2
    out.append(segment[begin:])
    return out


# ----------------------------------------------------------------------------------------------- TIFF, BMP
def read_tiff(data: bytes) -> np.ndarray:
    """Pixels of an uncompressed 8-bit TIFF (grey or RGB, strips, chunky), first image only."""
    endian = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(endian + "I", data[4:8])[0]
    count = struct.unpack(endian + "H", data[offset:offset + 2])[0]
    sizes = {1: 1, 2: 1, 3: 2, 4: 4}
    tags: dict[int, list[int]] = {}
    for i in range(count):
        entry = data[offset + 2 + 12 * i:offset + 14 + 12 * i]
        tag, kind, n = struct.unpack(endian + "HHI", entry[:8])
        size = sizes.get(kind, 4) * n
        raw = entry[8:8 + size] if size <= 4 else data[struct.unpack(endian + "I", entry[8:12])[0]:][:size]
        fmt = {1: "B", 2: "B", 3: "H", 4: "I"}.get(kind, "I")
        tags[tag] = list(struct.unpack(endian + fmt * n, raw[:sizes.get(kind, 4) * n]))
    width, height = tags[256][0], tags[257][0]
    if tags.get(259, [1])[0] != 1 or tags.get(284, [1])[0] != 1 or any(b != 8 for b in tags.get(258, [8])):
        raise MediaError("TIFF: only uncompressed, chunky, 8-bit images are supported")
    samples = tags.get(277, [1])[0]
    pixels = b"".join(data[o:o + c] for o, c in zip(tags[273], tags[279]))
    return np.frombuffer(pixels[:width * height * samples], np.uint8).reshape(height, width, samples)


def read_bmp(data: bytes) -> np.ndarray:
    """Pixels of an uncompressed 24-bit BMP, top row first, RGB."""
    offset = struct.unpack("<I", data[10:14])[0]
    width, height, _, bits = struct.unpack("<iiHH", data[18:30])
    if bits != 24:
        raise MediaError(f"BMP: {bits}-bit images are not supported")
    row = (width * 3 + 3) // 4 * 4
    body = np.frombuffer(data[offset:offset + row * abs(height)], np.uint8).reshape(abs(height), row)
    pixels = body[:, :width * 3].reshape(abs(height), width, 3)[..., ::-1]
    return pixels[::-1] if height > 0 else pixels


# ----------------------------------------------------------------------------------------------------- audio
def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono samples and rate of a PCM WAV (8, 16 or 32 bits)."""
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        kind, size = struct.unpack("<4sI", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if kind == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif kind == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    if fmt is None or samples is None:
        raise MediaError("WAV without fmt or data chunk")
    code, channels, rate, _, _, bits = fmt
    dtype = {8: np.uint8, 16: "<i2", 32: "<i4"}.get(bits)
    if code not in (1, 0xFFFE) or dtype is None:
        raise MediaError(f"WAV: format {code} with {bits} bits is not supported")
    values = np.frombuffer(samples[:len(samples) // (bits // 8) * (bits // 8)], dtype).astype(float)
    values = (values - 128) / 128 if bits == 8 else values / float(2 ** (bits - 1))
    return values.reshape(-1, channels).mean(axis=1), int(rate)


def _extended80(raw: bytes) -> float:
    exponent, mantissa = struct.unpack(">HQ", raw)
    sign = -1 if exponent & 0x8000 else 1
    return sign * mantissa * 2.0 ** ((exponent & 0x7FFF) - 16383 - 63)


def read_aiff(data: bytes) -> tuple[np.ndarray, int]:
    """Mono samples and rate of an uncompressed AIFF (or AIFF-C ``NONE``/``sowt``), 8 or 16 bits."""
    pos, comm, sound, swapped = 12, None, None, False
    while pos + 8 <= len(data):
        kind, size = struct.unpack(">4sI", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if kind == b"COMM":
            comm = struct.unpack(">hIh", body[:8]) + (_extended80(body[8:18]),)
            if data[8:12] == b"AIFC":
                compression = body[18:22]
                if compression not in (b"NONE", b"sowt"):
                    raise MediaError(f"AIFF-C compression {compression!r} is not supported")
                swapped = compression == b"sowt"
        elif kind == b"SSND":
            skip = struct.unpack(">I", body[:4])[0]
            sound = body[8 + skip:]
        pos += 8 + size + (size & 1)
    if comm is None or sound is None:
        raise MediaError("AIFF without COMM or SSND chunk")
    channels, frames, bits, rate = comm
    if bits not in (8, 16):
        raise MediaError(f"AIFF: {bits}-bit samples are not supported")
    dtype = np.int8 if bits == 8 else ("<i2" if swapped else ">i2")
    values = np.frombuffer(sound[:frames * channels * bits // 8], dtype).astype(float) / float(2 ** (bits - 1))
    return values.reshape(-1, channels).mean(axis=1), int(rate)
