"""7z archives, read in place and written deterministically, in pure Python over the standard ``lzma``.

:class:`SevenZip` reads the archives Kaggle ships (tensorflow-speech's and invasive-species' ``train.7z``,
statoil's JSON) entry after entry in bounded memory; :func:`pack_7z` writes the archives MLE-bench v1 writes to
``public/`` (statoil, invasive-species) and those the fixtures need.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.7z"
>>> _ = path.write_bytes(pack_7z({"d/a.txt": b"hello"}, folders=["d"], encode_header=True))
>>> SevenZip(path).names
['d', 'd/a.txt']
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from mle_datasets.errors import RawDataError

__all__ = ["SevenZip", "pack_7z", "SEVENZIP_SIGNATURE"]

# ------------------------------------------------------------------------ reading
# A reader of the 7z format for the archives Kaggle ships (tensorflow-speech's train.7z): LZMA, LZMA2, Delta and
# Copy coders in simple chains (7-Zip adds its BCJ filters to executables only), plain or LZMA-packed headers, no
# encryption. Pure Python over the standard library's ``lzma``; entries are streamed out one after the other, so
# memory stays bounded whatever the archive's size.
SEVENZIP_SIGNATURE = b"7z\xbc\xaf\x27\x1c"
_CHUNK = 1 << 20


class _Buffer:
    """A cursor over header bytes with 7z's number encodings."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.pos, self.name = data, 0, name

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise RawDataError(f"{self.name}: the 7z header is truncated; download the archive again")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def byte(self) -> int:
        return self.take(1)[0]

    def number(self) -> int:
        """7z's variable-length UINT64: the leading one bits of the first byte count the extra bytes."""
        first, mask, value = self.byte(), 0x80, 0
        for i in range(8):
            if not first & mask:
                return value | ((first & (mask - 1)) << (8 * i))
            value |= self.byte() << (8 * i)
            mask >>= 1
        return value

    def bits(self, n: int) -> list[bool]:
        raw = self.take((n + 7) // 8)
        return [bool(raw[i // 8] & (0x80 >> (i % 8))) for i in range(n)]

    def defined(self, n: int) -> list[bool]:
        """An "all defined" byte, else a bit vector."""
        return [True] * n if self.byte() else self.bits(n)

    def digests(self, n: int) -> list[int | None]:
        flags = self.defined(n)
        return [int.from_bytes(self.take(4), "little") if f else None for f in flags]


def _filters(coders: list[tuple[bytes, bytes]], name: str) -> list[dict] | None:
    """lzma filter chain of a folder's coders (outermost first); None for a single Copy coder."""

    chain = []
    for method, props in coders:
        if method == b"\x00":
            if len(coders) == 1:
                return None
            continue
        if method == b"\x21":
            chain.append({"id": lzma.FILTER_LZMA2, "dict_size": _lzma2_dict(props[0])})
        elif method == b"\x03\x01\x01":
            d = props[0]
            chain.append({"id": lzma.FILTER_LZMA1, "lc": d % 9, "lp": (d // 9) % 5, "pb": d // 45,
                          "dict_size": int.from_bytes(props[1:5], "little")})
        elif method == b"\x03":
            chain.append({"id": lzma.FILTER_DELTA, "dist": props[0] + 1})
        else:
            kind = "encrypted (AES)" if method.startswith(b"\x06\xf1") else f"compressed with coder {method.hex()}"
            raise RawDataError(f"{name} is {kind}, which this reader does not support; unpack it with 7-Zip instead")
    return chain


def _lzma2_dict(p: int) -> int:
    return 0xFFFFFFFF if p >= 40 else (2 | (p & 1)) << (p // 2 + 11)


class SevenZip:
    """Entries of a 7z archive, and a streaming extractor.

    Attributes
    ----------
    names : list of str
        Every entry (``/`` separated), files and folders.
    is_dir : list of bool
    sizes : list of int
        Uncompressed sizes (0 for folders and empty files).
    """

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        if not path.is_file():
            raise RawDataError(f"{path.name} is missing from {path.parent}; download the full competition data")
        with open(path, "rb") as fh:
            start = fh.read(32)
            if len(start) < 32 or start[:6] != SEVENZIP_SIGNATURE:
                raise RawDataError(f"{self.name} is not a 7z archive; download it again")
            offset, size = int.from_bytes(start[12:20], "little"), int.from_bytes(start[20:28], "little")
            fh.seek(32 + offset)
            header = fh.read(size)

        if len(header) < size or zlib.crc32(header) != int.from_bytes(start[28:32], "little"):
            raise RawDataError(f"{self.name} is truncated or damaged (its header is incomplete); download it again")
        buf = _Buffer(header, self.name)
        while buf.data[:1] == b"\x17":  # kEncodedHeader: the real header is packed like any folder
            buf.byte()
            streams = self._streams(buf)
            buf = _Buffer(b"".join(self._folder_bytes(streams, 0)), self.name)
        if buf.byte() != 0x01:
            raise RawDataError(f"{self.name}: unexpected 7z header; download the archive again")
        self.streams: dict = {"folders": [], "sub_sizes": [], "sub_crcs": []}
        self.names, self.is_dir, self.sizes, self._has_stream = [], [], [], []
        kind = buf.byte()
        if kind == 0x02:  # archive properties
            while buf.byte():
                buf.take(buf.number())
            kind = buf.byte()
        if kind == 0x03:  # additional streams
            self._streams(buf)
            kind = buf.byte()
        if kind == 0x04:
            self.streams = self._streams(buf)
            kind = buf.byte()
        if kind == 0x05:
            self._files(buf)
            kind = buf.byte()
        if kind != 0x00:
            raise RawDataError(f"{self.name}: unexpected 7z header property {kind}; download the archive again")

    # -------------------------------------------------------------------------------- header parsing
    def _streams(self, buf: _Buffer) -> dict:
        out: dict = {"pack_pos": 0, "pack_sizes": [], "folders": [], "sub_sizes": None, "sub_crcs": None}
        while True:
            kind = buf.byte()
            if kind == 0x00:
                break
            if kind == 0x06:  # PackInfo
                out["pack_pos"], count = buf.number(), buf.number()
                while (sub := buf.byte()) != 0x00:
                    if sub == 0x09:
                        out["pack_sizes"] = [buf.number() for _ in range(count)]
                    elif sub == 0x0A:
                        buf.digests(count)
            elif kind == 0x07:  # UnPackInfo
                if buf.byte() != 0x0B:
                    raise RawDataError(f"{self.name}: malformed 7z folder list; download the archive again")
                count = buf.number()
                if buf.byte():
                    raise RawDataError(f"{self.name}: 7z folders stored out of line are not supported")
                out["folders"] = [self._folder(buf) for _ in range(count)]
                if buf.byte() != 0x0C:
                    raise RawDataError(f"{self.name}: malformed 7z folder sizes; download the archive again")
                for folder in out["folders"]:
                    folder["sizes"] = [buf.number() for _ in range(folder["outs"])]
                    folder["size"] = folder["sizes"][folder["main"]]  # the chain's outermost coder's output
                while (sub := buf.byte()) != 0x00:
                    if sub == 0x0A:
                        for folder, crc in zip(out["folders"], buf.digests(len(out["folders"]))):
                            folder["crc"] = crc
            elif kind == 0x08:  # SubStreamsInfo
                self._substreams(buf, out)
            else:
                raise RawDataError(f"{self.name}: unexpected 7z streams property {kind}; download the archive again")
        first = 0
        for folder in out["folders"]:
            folder["first_pack"], first = first, first + folder["packed"]
        if out["sub_sizes"] is None:
            out["sub_sizes"] = [[f["size"]] for f in out["folders"]]
            out["sub_crcs"] = [[f.get("crc")] for f in out["folders"]]
        return out

    def _folder(self, buf: _Buffer) -> dict:
        coders, ins, outs = [], 0, 0
        for _ in range(buf.number()):
            flag = buf.byte()
            method = buf.take(flag & 0x0F)
            n_in, n_out = (buf.number(), buf.number()) if flag & 0x10 else (1, 1)
            props = buf.take(buf.number()) if flag & 0x20 else b""
            if flag & 0x80 or n_in != 1 or n_out != 1:
                raise RawDataError(f"{self.name}: 7z coders with several streams (e.g. BCJ2) are not supported")
            coders.append((method, props))
            ins, outs = ins + n_in, outs + n_out
        feeds: dict[int, int] = {}
        for _ in range(outs - 1):  # bind pair: in-stream <in> of a coder is fed by out-stream <out>
            into, out = buf.number(), buf.number()
            feeds[into] = out
        packed = ins - len(feeds)
        if packed > 1:
            [buf.number() for _ in range(packed)]
        main = [i for i in range(outs) if i not in feeds.values()]
        order = main[:1]
        while order and order[-1] in feeds and len(order) <= len(coders):
            order.append(feeds[order[-1]])
        if len(main) != 1 or sorted(order) != list(range(len(coders))):
            raise RawDataError(f"{self.name}: 7z coders that are not a simple chain are not supported")
        return {"coders": [coders[i] for i in order], "main": main[0], "outs": outs, "packed": packed, "crc": None}

    def _substreams(self, buf: _Buffer, out: dict) -> None:
        folders = out["folders"]
        counts = [1] * len(folders)
        kind = buf.byte()
        if kind == 0x0D:
            counts = [buf.number() for _ in folders]
            kind = buf.byte()
        sizes = []
        for f, n in zip(folders, counts):
            if n == 0:
                sizes.append([])
                continue
            part = [buf.number() for _ in range(n - 1)] if kind == 0x09 else []
            sizes.append(part + [f["size"] - sum(part)])
        if kind == 0x09:
            kind = buf.byte()
        crcs = [[f["crc"]] if n == 1 and f["crc"] is not None else [None] * n for f, n in zip(folders, counts)]
        while kind != 0x00:
            if kind == 0x0A:
                unknown = sum(1 for c in crcs for v in c if v is None)
                found = iter(buf.digests(unknown))
                crcs = [[v if v is not None else next(found) for v in c] for c in crcs]
            else:
                buf.take(buf.number())
            kind = buf.byte()
        out["sub_sizes"], out["sub_crcs"] = sizes, crcs

    def _files(self, buf: _Buffer) -> None:
        count = buf.number()
        empty_stream, empty_file, names = [False] * count, [], [""] * count
        while (kind := buf.byte()) != 0x00:
            size = buf.number()
            body = _Buffer(buf.take(size), self.name)
            if kind == 0x0E:
                empty_stream = body.bits(count)
            elif kind == 0x0F:
                empty_file = body.bits(sum(empty_stream))
            elif kind == 0x11:
                if body.byte():
                    raise RawDataError(f"{self.name}: 7z names stored out of line are not supported")
                text = body.data[1:].decode("utf-16-le")
                names = text.split("\x00")[:count]
        if len(names) != count:
            raise RawDataError(f"{self.name}: the 7z file list is damaged; download the archive again")
        empty_index = 0
        sizes = iter(size for folder in self.streams["sub_sizes"] for size in folder)
        for name, no_stream in zip(names, empty_stream):
            is_file_without_data = False
            if no_stream:
                is_file_without_data = empty_index < len(empty_file) and empty_file[empty_index]
                empty_index += 1
            self.names.append(name.replace("\\", "/"))
            self.is_dir.append(no_stream and not is_file_without_data)
            self.sizes.append(0 if no_stream else next(sizes, 0))
            self._has_stream.append(not no_stream)

    # ---------------------------------------------------------------------------------- extraction
    def _folder_bytes(self, streams: dict, index: int):
        """Yield the unpacked bytes of folder ``index`` in chunks."""

        folder = streams["folders"][index]
        start = 32 + streams["pack_pos"] + sum(streams["pack_sizes"][:folder["first_pack"]])
        left = streams["pack_sizes"][folder["first_pack"]]
        out_left = folder["size"]
        chain = _filters(folder["coders"], self.name)
        decoder = None if chain is None else lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=chain)
        with open(self.path, "rb") as fh:
            fh.seek(start)
            while out_left > 0:
                if decoder is None or decoder.needs_input:
                    data = fh.read(min(_CHUNK, left)) if left else b""
                    left -= len(data)
                    if not data and (decoder is None or decoder.needs_input):
                        raise RawDataError(f"{self.name} is truncated (a packed stream ends early); download it again")
                else:
                    data = b""
                try:
                    piece = data if decoder is None else decoder.decompress(data, max_length=min(_CHUNK, out_left))
                except lzma.LZMAError as err:
                    raise RawDataError(f"{self.name}: corrupt compressed data ({err}); download it again") from None
                piece = piece[:out_left]
                out_left -= len(piece)
                if piece:
                    yield piece

    def extract(self, destinations: dict[int, Path]) -> None:
        """Write entry ``i`` to ``destinations[i]`` for every wanted file entry, decoding each folder once, in
        order; entries not wanted are decoded and dropped. File CRCs are checked."""

        for i, dest in destinations.items():  # files without data
            if not self._has_stream[i] and not self.is_dir[i]:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(b"")
        stream_entry = [i for i, s in enumerate(self._has_stream) if s]
        k = 0
        for index, sizes in enumerate(self.streams["sub_sizes"]):
            if not sizes:
                continue
            wanted = {j: destinations.get(stream_entry[k + j]) for j in range(len(sizes))}
            if not any(wanted.values()):
                k += len(sizes)
                continue
            chunks = self._folder_bytes(self.streams, index)
            pending = b""
            for j, size in enumerate(sizes):
                dest, crc, got = wanted[j], 0, 0
                fh = None
                if dest is not None:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    fh = open(dest, "wb")
                try:
                    while got < size:
                        if not pending:
                            pending = next(chunks, b"")
                            if not pending:
                                raise RawDataError(f"{self.name} is truncated; download it again")
                        piece, pending = pending[:size - got], pending[size - got:]
                        got += len(piece)
                        crc = zlib.crc32(piece, crc)
                        if fh is not None:
                            fh.write(piece)
                finally:
                    if fh is not None:
                        fh.close()
                expected = self.streams["sub_crcs"][index][j]
                if expected is not None and crc != expected:
                    raise RawDataError(
                        f"{self.name}: {self.names[stream_entry[k + j]]} fails its CRC check; "
                        "download the archive again"
                    )
            k += len(sizes)


# ------------------------------------------------------------------------ writing
def _7z_number(value: int) -> bytes:
    """7z's variable-length UINT64: as many leading one bits in the first byte as extra little-endian bytes."""
    for extra in range(8):
        if value < 1 << (7 * (extra + 1)):
            first = ((0xFF << (8 - extra)) & 0xFF) | (value >> (8 * extra))
            return bytes([first]) + value.to_bytes(8, "little")[:extra]
    return b"\xff" + value.to_bytes(8, "little")


def _7z_bits(flags: list[bool]) -> bytes:
    out = bytearray((len(flags) + 7) // 8)
    for i, flag in enumerate(flags):
        if flag:
            out[i // 8] |= 0x80 >> (i % 8)
    return bytes(out)


def _7z_property(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _7z_number(len(body)) + body


def pack_7z(entries: Mapping[str, bytes], folders: Iterable[str] = (), preset: int = 6,
            encode_header: bool = False) -> bytes:
    """A 7z archive as 7-Zip and py7zr read it: the files of ``entries`` (name -> bytes, ``/``-separated names)
    in one solid LZMA2 folder with their CRCs, empty files and ``folders`` as entries without data, Windows
    attributes, no timestamps (so the same entries always give the same bytes). ``encode_header`` packs the
    header with LZMA2 too, as 7-Zip itself writes archives.

    >>> data = pack_7z({"a.txt": b"hello"}, folders=["d"])
    >>> data[:6] == b"7z\\xbc\\xaf\\x27\\x1c"
    True
    """
    import zlib

    dirs = sorted(str(f).rstrip("/") for f in folders)
    names = dirs + sorted(entries)
    files = [entries[n] for n in sorted(entries)]
    streams = [d for d in files if d]
    dict_size = 1 << 20 if preset <= 1 else 1 << 22
    header = b"\x01"
    packed = b""
    if streams:
        data = b"".join(streams)
        packed = lzma.compress(data, format=lzma.FORMAT_RAW,
                               filters=[{"id": lzma.FILTER_LZMA2, "preset": preset, "dict_size": dict_size}])
        prop = bytes([(dict_size.bit_length() - 2) * 2 - 22])  # 2 << (p // 2 + 11) == dict_size for even p
        header += b"\x04\x06" + _7z_number(0) + _7z_number(1) + b"\x09" + _7z_number(len(packed)) + b"\x00"
        header += b"\x07\x0b" + _7z_number(1) + b"\x00" + _7z_number(1) + b"\x21\x21" + _7z_number(1) + prop
        header += b"\x0c" + _7z_number(len(data)) + b"\x00"
        header += b"\x08\x0d" + _7z_number(len(streams))
        if len(streams) > 1:
            header += b"\x09" + b"".join(_7z_number(len(d)) for d in streams[:-1])
        header += b"\x0a\x01" + b"".join(zlib.crc32(d).to_bytes(4, "little") for d in streams) + b"\x00\x00"
    is_dir = [True] * len(dirs) + [False] * len(files)
    no_stream = is_dir[:len(dirs)] + [not d for d in files]
    header += b"\x05" + _7z_number(len(names))
    if any(no_stream):
        header += _7z_property(0x0E, _7z_bits(no_stream))
        header += _7z_property(0x0F, _7z_bits([not d for d, e in zip(is_dir, no_stream) if e]))
    header += _7z_property(0x11, b"\x00" + "".join(n + "\x00" for n in names).encode("utf-16-le"))
    header += _7z_property(0x15, b"\x01\x00" + b"".join((0x10 if d else 0x20).to_bytes(4, "little") for d in is_dir))
    header += b"\x00\x00"
    body = packed
    if encode_header:
        packed_header = lzma.compress(header, format=lzma.FORMAT_RAW,
                                      filters=[{"id": lzma.FILTER_LZMA2, "preset": 1, "dict_size": 1 << 20}])
        header = (b"\x17\x06" + _7z_number(len(packed)) + _7z_number(1) + b"\x09" + _7z_number(len(packed_header))
                  + b"\x00\x07\x0b" + _7z_number(1) + b"\x00" + _7z_number(1) + b"\x21\x21" + _7z_number(1)
                  + bytes([16]) + b"\x0c" + _7z_number(len(header)) + b"\x00\x00")
        body += packed_header
    start = len(body).to_bytes(8, "little") + len(header).to_bytes(8, "little")
    start += zlib.crc32(header).to_bytes(4, "little")
    return SEVENZIP_SIGNATURE + b"\x00\x04" + zlib.crc32(start).to_bytes(4, "little") + start + body + header
