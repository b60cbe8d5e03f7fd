"""Media of a prepared folder as typed parquet columns, and the files (zips included) rebuilt from them.

A prepared public folder holds tables and media: loose files under folders (``train/<id>.jpg``) and members of
zips (cactus' ``train.zip``). In the store every such file becomes one row of parquet, its bytes once:

- a table whose id (or path) column names files gets a typed column beside it: ``image`` (``datasets.Image()``),
  ``audio`` (``datasets.Audio()``) or ``file`` (``{bytes, path}``); the link is read from the data (a value
  equal to a file's name, or to its name without the extension, in one folder or zip);
- the files no table names go into a config of their own per folder or zip (``files_<folder>``,
  ``files_<zip>_zip``) with ``path`` and the typed columns.

The feature metadata is in each shard's arrow schema (key ``huggingface``, as ``datasets`` writes it), so plain
``datasets.load_dataset`` decodes the columns. Each media value's ``path`` is the file's place in the public
folder (``train/x.jpg``, or ``train.zip/x.jpg`` for a zip member), which is all :func:`rebuild_media` needs
to write the files back; a zip is rebuilt from its members by the recipe recorded here (order, names, dates,
compression, attributes), checked at write time to give the same bytes, else the zip is kept as it is.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.checksums import sha256_file

log = logging.getLogger(__name__)

__all__ = ["IMAGE_SUFFIXES", "AUDIO_SUFFIXES", "media_kind", "config_name", "MediaFile", "MediaPlan", "plan_media",
           "write_media_table", "write_files_config", "rebuild_media"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".aif", ".aiff")
#: bytes of media per parquet shard (a shard is closed once it holds more)
MEDIA_SHARD_BYTES = 500 << 20
#: bytes and rows of media per row group (what a streaming reader holds at once)
MEDIA_ROW_GROUP_BYTES = 32 << 20
MEDIA_ROW_GROUP_ROWS = 1000
#: a file larger than this stays a plain file (one parquet value must stay well under 2 GiB)
INLINE_MAX_BYTES = 256 << 20
#: a table links to a folder when at least this share of its sampled values name a file there
LINK_MIN_SHARE = 0.5
_SAMPLE = 2000
_KIND_RANK = {"image": 0, "audio": 1, "file": 2}


def media_kind(name: str) -> str:
    """``image``, ``audio`` or ``file``, from a file name's extension.

    >>> [media_kind(n) for n in ("a/b.JPG", "x.aif", "geometry.xyz")]
    ['image', 'audio', 'file']
    """
    lower = name.lower()
    if lower.endswith(IMAGE_SUFFIXES):
        return "image"
    if lower.endswith(AUDIO_SUFFIXES):
        return "audio"
    return "file"


def _feature(kind: str):
    import datasets

    if kind == "image":
        return datasets.Image()
    if kind == "audio":
        return datasets.Audio()
    return {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}


@dataclass(frozen=True)
class MediaFile:
    """One file of the public folder stored as parquet bytes: ``path`` is its place in the folder
    (``train/x.jpg``; ``train.zip/x.jpg`` for a member of ``train.zip``)."""

    path: str
    container: str  # "" for a loose file, else the zip's name
    member: str  # the name inside the zip (the path for a loose file)
    size: int
    kind: str

    @property
    def group(self) -> str:
        """The folder (or zip) holding it, which a table's links must share."""
        inner = self.member.rsplit("/", 1)[0] if "/" in self.member else ""
        return f"{self.container}::{inner}"


@dataclass
class MediaPlan:
    """Where the media of a prepared folder go: ``links`` (table config -> (column, kind, per-row path or
    None)), ``groups`` (files config -> its files), ``zips`` (zip name -> recipe), ``files`` (every file
    stored as parquet bytes, by path) and ``plain`` (files copied as they are under ``files/``)."""

    files: dict[str, MediaFile] = field(default_factory=dict)
    links: dict[str, tuple[str, str, pa.Array]] = field(default_factory=dict)
    groups: dict[str, list[MediaFile]] = field(default_factory=dict)
    zips: dict[str, dict[str, Any]] = field(default_factory=dict)
    plain: list[str] = field(default_factory=list)


def plan_media(source: Path, files: list[str], table_files: dict[str, str], tables: dict[str, dict[str, Any]],
               dest: Path) -> MediaPlan:
    """Decide which files of ``source`` become parquet rows, which table names which, and how zips rebuild.

    Parameters
    ----------
    source : Path
        The prepared folder.
    files : list of str
        Its files (relative paths, sorted).
    table_files : dict
        Table config -> its file name (those files stay plain, as do top-level files no table names).
    tables : dict
        Table config -> its entry (``shards`` already written under ``dest``).
    dest : Path
        The version folder being written.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "img").mkdir(); _ = (d / "img" / "a.png").write_bytes(b"x")
    >>> plan = plan_media(d, ["img/a.png"], {}, {}, d)
    >>> sorted(plan.groups), plan.plain
    (['files_img'], [])
    """
    plan = MediaPlan()
    is_table = set(table_files.values())
    for name in files:
        size = (source / name).stat().st_size
        if name.lower().endswith(".zip") and "/" not in name and name not in is_table:
            members, recipe = _zip_members(source / name, name)
            if recipe is None or recipe.get("kept"):
                plan.plain.append(name)
            if recipe is not None:
                plan.zips[name] = recipe
                plan.files.update((m.path, m) for m in members)
        elif "/" in name and size <= INLINE_MAX_BYTES:
            plan.files[name] = MediaFile(name, "", name, size, media_kind(name))
        else:
            plan.plain.append(name)
    owned: set[str] = set()
    for config, column, kind, paths in _links(plan.files, tables, dest):
        taken = pc.is_in(paths, value_set=pa.array(sorted(owned), pa.string()))
        paths = pc.if_else(taken, pa.scalar(None, pa.string()), paths)
        if paths.null_count == len(paths):
            continue
        owned.update(p for p in pc.unique(paths.drop_null()).to_pylist())
        plan.links[config] = (column, kind, paths)
    rest = [f for p, f in sorted(plan.files.items()) if p not in owned]
    rest.sort(key=lambda f: (f.container, plan.zips.get(f.container, {}).get("order", {}).get(f.member, 0), f.path))
    for f in rest:
        top = f.container.replace(".", "_") if f.container else f.path.split("/", 1)[0]
        plan.groups.setdefault(config_name(f"files_{top}"), []).append(f)
    for config in [c for c in plan.groups if c in tables]:  # a table already has the name: suffix it
        plan.groups[_unique(config, set(tables) | set(plan.groups))] = plan.groups.pop(config)
    for recipe in plan.zips.values():
        recipe.pop("order", None)
    return plan


def config_name(filename: str) -> str:
    """A config (and split) name the Hub accepts, from a file's name (up to its first dot).

    >>> config_name("en_train.csv.zip"), config_name("2nd-part.csv"), config_name("files_train2_zip")
    ('en_train', 't_2nd_part', 'files_train2_zip')
    """
    stem = filename.split(".", 1)[0]
    name = re.sub(r"\W+", "_", stem).strip("_") or "table"
    return name if not name[0].isdigit() else f"t_{name}"


def _unique(name: str, taken: set[str]) -> str:
    out, i = name, 2
    while out in taken:
        out, i = f"{name}_{i}", i + 1
    return out


# -- zips ------------------------------------------------------------------------------------------------------
_ZIP_FIELDS = ("compress_type", "external_attr", "internal_attr", "create_system", "create_version",
               "extract_version", "flag_bits")


def _zip_members(path: Path, name: str) -> tuple[list[MediaFile], dict[str, Any] | None]:
    """The members of a zip as media files, and the recipe that rebuilds it (``kept`` when it does not
    rebuild byte for byte); (``[]``, None) for a zip that cannot be read or holds a member too large."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            recipe = {
                "sha256": sha256_file(path), "comment": zf.comment.hex(), "zlib": zlib.ZLIB_RUNTIME_VERSION,
                "members": [{"name": i.filename, "date_time": list(i.date_time), "extra": i.extra.hex(),
                             "comment": i.comment.hex(), **{k: getattr(i, k) for k in _ZIP_FIELDS}} for i in infos],
            }
            if any(i.file_size > INLINE_MAX_BYTES for i in infos) or len({i.filename for i in infos}) < len(infos):
                return [], None
            members = [MediaFile(f"{name}/{i.filename}", name, i.filename, i.file_size, media_kind(i.filename))
                       for i in infos if not i.is_dir()]
            recipe["kept"] = not _rebuilds(zf, recipe)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as err:
        # an unreadable zip (corrupt, encrypted, an unsupported compression) is stored whole, as a plain file
        log.info("%s is stored as a plain file: its members cannot be read (%s)", path.name, err)
        return [], None
    recipe["order"] = {m.member: i for i, m in enumerate(members)}
    return members, recipe


def _rebuilds(zf: zipfile.ZipFile, recipe: dict[str, Any]) -> bool:
    """Whether :func:`_write_zip` gives the zip's exact bytes from its members."""
    with tempfile.TemporaryFile() as out:  # seekable, as the zip was written: no data descriptors
        try:
            _write_zip(out, recipe, zf.read)
        except (ValueError, OSError, zipfile.BadZipFile, NotImplementedError) as err:
            log.info("%s is kept whole: writing it again from its members failed (%s)", zf.filename, err)
            return False
        out.seek(0)
        digest = hashlib.file_digest(out, "sha256")
    return digest.hexdigest() == recipe["sha256"]


def _write_zip(target, recipe: dict[str, Any], read) -> None:
    with zipfile.ZipFile(target, "w") as out:
        for m in recipe["members"]:
            info = zipfile.ZipInfo(m["name"], tuple(m["date_time"]))
            for k in _ZIP_FIELDS:
                setattr(info, k, m[k])
            info.extra, info.comment = bytes.fromhex(m["extra"]), bytes.fromhex(m["comment"])
            data = b"" if m["name"].endswith("/") else read(m["name"])
            out.writestr(info, data, compress_type=m["compress_type"])
        out.comment = bytes.fromhex(recipe["comment"])




# -- links -----------------------------------------------------------------------------------------------------
def _file_keys(files: dict[str, MediaFile]):
    import pandas as pd

    rows = []
    for f in files.values():
        base = f.member.rsplit("/", 1)[-1]
        rows.append((base, f.path, f.group, f.kind))
        if "." in base:
            rows.append((base.rsplit(".", 1)[0], f.path, f.group, f.kind))
    return pd.DataFrame(rows, columns=["key", "path", "group", "kind"]).drop_duplicates(["key", "group", "kind"])


def _links(files: dict[str, MediaFile], tables: dict[str, dict[str, Any]], dest: Path):
    """(config, column, kind, per-row paths) for each table whose values name files, best-linked first."""
    import pandas as pd

    if not files or not tables:
        return []
    keys = _file_keys(files)
    found = []
    for config, entry in sorted(tables.items()):
        shards = [dest / s for s in entry["shards"]]
        schema = pq.read_schema(shards[0])
        candidates = [n for n in schema.names
                      if pa.types.is_string(schema.field(n).type) or pa.types.is_large_string(schema.field(n).type)
                      or pa.types.is_integer(schema.field(n).type)]
        first = pq.ParquetFile(shards[0])
        if not candidates or first.metadata.num_row_groups == 0:
            continue
        head = first.read_row_group(0, columns=candidates)  # the link is judged on a sample of the first rows
        best = None
        for column in candidates:
            values = head.column(column).cast(pa.string()).to_pandas().dropna()
            distinct = values.drop_duplicates()
            if distinct.empty or (len(values) >= 20 and len(distinct) < 0.1 * len(values)):
                continue  # a label-like column (0/1 naming 0.jpg, 1.jpg) is no link
            sample = pd.DataFrame({"key": distinct.head(_SAMPLE)})
            hits = sample.merge(keys, on="key").groupby(["group", "kind"]).size()
            for (group, kind), count in hits.items():
                score = (count / len(sample), count, -_KIND_RANK[kind], group.startswith("::"))  # loose first
                if count >= LINK_MIN_SHARE * len(sample) and (best is None or score > best[0]):
                    best = (score, column, group, kind)
        if best is None:
            continue
        _, column, group, kind = best
        values = pq.read_table(shards, columns=[column]).column(0).cast(pa.string()).to_pandas()
        chosen = keys[(keys.group == group) & (keys.kind == kind)].drop_duplicates("key")
        frame = pd.DataFrame({"key": values})
        paths = frame.merge(chosen[["key", "path"]], on="key", how="left", sort=False)["path"]
        found.append((best[0][0], config, column, kind, pa.Array.from_pandas(paths, type=pa.string())))
    found.sort(key=lambda t: (-t[0], "sample" in t[1].lower(), t[1]))  # a sample submission names files last
    return [(config, column, kind, paths) for _, config, column, kind, paths in found]


# -- writing ---------------------------------------------------------------------------------------------------
class _Reader:
    """Reads the bytes of media files from the prepared folder, keeping each zip open once."""

    def __init__(self, source: Path):
        self.source = source
        self.zips: dict[str, zipfile.ZipFile] = {}

    def read(self, f: MediaFile) -> bytes:
        if not f.container:
            return (self.source / f.path).read_bytes()
        if f.container not in self.zips:
            self.zips[f.container] = zipfile.ZipFile(self.source / f.container)
        return self.zips[f.container].read(f.member)

    def close(self) -> None:
        for zf in self.zips.values():
            zf.close()


def _media_array(paths: list[str | None], files: dict[str, MediaFile], reader: _Reader) -> pa.StructArray:
    blobs = [None if p is None else reader.read(files[p]) for p in paths]
    mask = pa.array([p is None for p in paths], pa.bool_())
    return pa.StructArray.from_arrays([pa.array(blobs, pa.binary()), pa.array(paths, pa.string())],
                                      names=["bytes", "path"], mask=mask)


def _groups(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-group starts and the shard of each row group, for rows of ``sizes`` bytes (vectorised)."""
    n = len(sizes)
    if n == 0:
        return np.array([0]), np.array([0])
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    key = before // MEDIA_ROW_GROUP_BYTES * (n // MEDIA_ROW_GROUP_ROWS + 1) + np.arange(n) // MEDIA_ROW_GROUP_ROWS
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    shard = before[starts] // MEDIA_SHARD_BYTES
    return starts, np.unique(shard, return_inverse=True)[1]


def _write(table: pa.Table, media: dict[str, tuple[str, list[str | None]]], files: dict[str, MediaFile],
           reader: _Reader, out_dir: Path, config: str) -> list[str]:
    """Write ``table`` plus a typed column per ``media`` entry (column -> (kind, per-row paths)) as bounded
    shards ``<config>-0000i-of-0000N.parquet`` with the features in the schema; return the shard paths."""
    import datasets

    features = datasets.Features.from_arrow_schema(table.schema)
    for column, (kind, _) in media.items():
        features[column] = _feature(kind)
    schema = features.arrow_schema
    sizes = np.zeros(table.num_rows, dtype=np.int64)
    for _, paths in media.values():
        sizes += np.array([0 if p is None else files[p].size for p in paths], dtype=np.int64)
    starts, shard_of = _groups(sizes)
    ends = np.concatenate([starts[1:], [table.num_rows]])
    for old in [*out_dir.glob("*.parquet"), *out_dir.glob(".part-*")]:
        old.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    n_shards = int(shard_of.max()) + 1 if len(shard_of) else 1
    names = [out_dir / f"{config}-{i:05d}-of-{n_shards:05d}.parquet" for i in range(n_shards)]
    writer, current = None, -1
    try:
        for start, end, shard in zip(starts.tolist(), ends.tolist(), shard_of.tolist()):
            if shard != current:
                if writer is not None:
                    writer.close()
                writer, current = pq.ParquetWriter(names[shard], schema, compression="zstd"), shard
            part = table.slice(start, end - start)
            arrays = [*part.columns] + [_media_array(paths[start:end], files, reader) for _, paths in media.values()]
            batch = pa.Table.from_arrays(arrays, names=[*table.column_names, *media]).cast(schema)
            writer.write_table(batch, row_group_size=max(end - start, 1))
    finally:
        if writer is not None:
            writer.close()
    return [f"data/{out_dir.name}/{n.name}" for n in names]


def write_media_table(entry: dict[str, Any], link: tuple[str, str, pa.Array], plan: MediaPlan, source: Path,
                      dest: Path, config: str) -> dict[str, Any]:
    """Rewrite a table's shards (already written under ``dest``) with its typed media column; return the entry."""
    column, kind, paths = link
    table = pq.read_table([dest / s for s in entry["shards"]])
    name = _unique(kind, set(table.column_names))
    reader = _Reader(source)
    try:
        shards = _write(table, {name: (kind, paths.to_pylist())}, plan.files, reader, dest / "data" / config, config)
    finally:
        reader.close()
    return {**entry, "shards": shards, "columns": [*table.column_names, name],
            "media": {"column": name, "kind": kind, "linked_by": column}}


def write_files_config(config: str, members: list[MediaFile], plan: MediaPlan, source: Path, dest: Path
                       ) -> dict[str, Any]:
    """Write files no table names as a config of ``path`` plus a typed column per kind; return its entry."""
    kinds = sorted({f.kind for f in members}, key=_KIND_RANK.get)
    table = pa.table({"path": pa.array([f.path for f in members], pa.string())})
    media = {k: (k, [f.path if f.kind == k else None for f in members]) for k in kinds}
    reader = _Reader(source)
    try:
        shards = _write(table, media, plan.files, reader, dest / "data" / config, config)
    finally:
        reader.close()
    first = members[0]
    origin = first.container or first.path.split("/", 1)[0] + "/"
    return {"source": origin, "rows": len(members), "columns": ["path", *kinds], "shards": shards,
            "media": {"columns": kinds, "files": True}}


# -- reading back ----------------------------------------------------------------------------------------------
def rebuild_media(folder: Path, manifest: dict[str, Any], dest: Path) -> None:
    """Write every file stored as parquet bytes back under ``dest``, and rebuild the zips from their members.

    Parameters
    ----------
    folder : Path
        The version folder (its ``data/`` shards).
    manifest : dict
        The version's manifest (``tables`` with ``media``, ``zips``).
    dest : Path
        The public (or private) folder being rebuilt.
    """
    zips = {n: r for n, r in manifest.get("zips", {}).items() if not r.get("kept")}
    parts = dest / ".zip-members"
    for entry in manifest["tables"].values():
        media = entry.get("media")
        if not media:
            continue
        columns = media.get("columns") or [media["column"]]
        for shard in entry["shards"]:
            pf = pq.ParquetFile(folder / shard)
            for batch in pf.iter_batches(columns=columns, batch_size=MEDIA_ROW_GROUP_ROWS):
                for column in columns:
                    values = batch.column(column)
                    valid = values.is_valid()
                    paths = pc.filter(pc.struct_field(values, "path"), valid).to_pylist()
                    blobs = pc.filter(pc.struct_field(values, "bytes"), valid)
                    for path, blob in zip(paths, blobs):
                        top = path.split("/", 1)[0]
                        if top in manifest.get("zips", {}):
                            if top not in zips:
                                continue  # the zip itself was kept under files/
                            target = parts / top / path[len(top) + 1:]
                        else:
                            target = dest / path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(blob.as_py())
    for name, recipe in sorted(zips.items()):
        base = parts / name
        with open(dest / name, "wb") as out:
            _write_zip(out, recipe, lambda member: (base / member).read_bytes())
        if recipe.get("zlib", zlib.ZLIB_RUNTIME_VERSION) != zlib.ZLIB_RUNTIME_VERSION and \
                sha256_file(dest / name) != recipe["sha256"]:
            from mle_datasets.errors import ChecksumError

            raise ChecksumError(
                f"{name} was stored with zlib {recipe['zlib']} and rebuilds differently with zlib "
                f"{zlib.ZLIB_RUNTIME_VERSION} (deflate output differs between zlib builds); materialize it where "
                "that zlib is installed, or prepare the competition again here"
            )
    shutil.rmtree(parts, ignore_errors=True)

