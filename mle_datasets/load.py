"""Reading stored competitions: ``load_dataset`` (a table as a ``datasets.Dataset``) and ``materialize``
(the Kaggle-style public folder an agent sees)."""

from __future__ import annotations

import os
import shutil
import tarfile
import uuid
from pathlib import Path
from typing import Any

from mle_datasets.errors import ChecksumError, DataError, StoreError
from mle_datasets.store import Store

__all__ = ["load_dataset", "materialize", "tables", "rebuild_files"]


def tables(competition_id: str, version: str | None = None, private: bool = False,
           store: Store | None = None) -> list[str]:
    """Return the table (config) names of a stored version, e.g. ``['sample_submission', 'test', 'train']``.

    Parameters
    ----------
    competition_id : str
        The competition id.
    version : str, optional
        The version (the latest stored when None).
    private : bool
        List the answers repository's tables.
    store : Store, optional
        The store (the default one when omitted).
    """
    store = store or Store()
    return sorted(store.manifest(competition_id, version, private)["tables"])


def load_dataset(competition_id: str, split: str = "train", version: str | None = None, repo: str | None = None,
                 *, private: bool = False, store: Store | None = None, **kwargs: Any):
    """Return one table of a competition as a ``datasets.Dataset``, through ``datasets.load_dataset``.

    Each table of the prepared folder is a config of the same name holding one split of that name, so a
    public ``test`` table never carries a target column.

    Parameters
    ----------
    competition_id : str
        The competition id.
    split : str
        The table: ``train``, ``test``, ``sample_submission``... (``answers`` tables need ``private=True``).
    version : str, optional
        The version, e.g. ``1.0.0`` (the latest when None; on the Hub, the ``main`` branch).
    repo : str, optional
        A Hub repository id (``ORG/NAME``) to read from instead of the local store; the version is the
        revision tag ``v<version>``. ``HF_ENDPOINT`` selects the Hub server.
    private : bool
        Read the local answers repository instead of the public one.
    store : Store, optional
        The local store (the default one when omitted).
    **kwargs
        Passed to ``datasets.load_dataset``. A local load caches under ``cache_dir`` (default
        ``<store>/datasets-cache``) in a folder per stored revision.

    >>> import tempfile
    >>> load_dataset("spaceship-titanic", store=Store(tempfile.mkdtemp()))
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownVersionError: spaceship-titanic is not in the store at ...; run `mle-bench prepare -c spaceship-titanic` (or set MLE_BENCH_HOME to the store that has it)
    """
    import datasets

    if repo is not None:
        return _load_hub(repo, split, version, **kwargs)
    store = store or Store()
    version = store.resolve_version(competition_id, version, private)
    manifest = store.manifest(competition_id, version, private)
    table = manifest["tables"].get(split)
    if table is None:
        raise DataError(
            f"{competition_id} v{version} has no table {split!r}; its tables are {', '.join(sorted(manifest['tables']))}"
        )
    folder = store.verify(competition_id, version, private, paths=["README.md", *table["shards"]])
    # datasets keys its cache of a local folder by the folder's name and config, not by content: give
    # each stored revision a cache of its own so a newer version is never served from an older one's cache
    revision = store.revision(competition_id, version, private)
    base = Path(kwargs.pop("cache_dir", None) or store.root / "datasets-cache")
    kwargs["cache_dir"] = str(base / manifest["kind"] / competition_id / revision[:16])
    return datasets.load_dataset(str(folder), name=split, split=split, **kwargs)


def _hub_revision(repo: str, version: str | None) -> str | None:
    """The commit sha of tag ``v<version>`` in a Hub repository (None: the main branch).

    Checked before loading because ``datasets`` falls back to a cached copy of another revision when the
    one asked for cannot be found.
    """
    from mle_datasets.hub import tag_commit

    return None if version is None else tag_commit(repo, version)[1]


def _load_hub(repo: str, split: str, version: str | None, **kwargs: Any):
    import datasets

    revision = _hub_revision(repo, version)
    try:
        return datasets.load_dataset(repo, name=split, split=split, revision=revision, **kwargs)
    except ValueError as err:
        if "BuilderConfig" in str(err) or "config" in str(err).lower():
            raise DataError(f"{repo} has no table {split!r}: {err}") from None
        raise


def materialize(competition_id: str, dest: str | os.PathLike, version: str | None = None, *,
                store: Store | None = None, overwrite: bool = False) -> Path:
    """Write the Kaggle-style public folder of a stored version to ``dest``, after verifying every checksum.

    The folder is what MLE-bench v1 mounts for an agent (``train.csv``, ``test.csv``, ``sample_submission.csv``,
    media folders, ``description.md``), byte for byte. It is built beside ``dest`` and renamed into place.

    Parameters
    ----------
    competition_id : str
        The competition id.
    dest : path-like
        The folder to write; it must not exist or be empty unless ``overwrite``.
    version : str, optional
        The version (the latest stored when None).
    store : Store, optional
        The local store.
    overwrite : bool
        Replace an existing ``dest``.

    >>> import tempfile
    >>> materialize("spaceship-titanic", tempfile.mkdtemp() + "/out", store=Store(tempfile.mkdtemp()))
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownVersionError: spaceship-titanic is not in the store at ...
    """
    store = store or Store()
    dest = Path(dest).absolute()
    folder = store.verify(competition_id, version, private=False)
    manifest = store.manifest(competition_id, version)
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise StoreError(f"{dest} already holds files; choose an empty folder or pass overwrite=True (--force)")
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        rebuild_files(folder, manifest, tmp)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except OSError as err:
        raise StoreError(f"cannot write {dest}: {err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def rebuild_files(folder: Path, manifest: dict[str, Any], dest: Path) -> Path:
    """Write the prepared files of a stored version (its folder ``folder``) into ``dest``, which is created,
    and check each against the sha256 the manifest recorded for the prepared folder.

    Plain files are copied from ``files/``; media are written back from their parquet bytes and zips rebuilt
    from their members (:func:`mle_datasets.media.rebuild_media`); versions stored before media moved into
    parquet unpack their ``archives/*.tar``.

    Parameters
    ----------
    folder : Path
        A version folder of the store (verified by the caller).
    manifest : dict
        That version's manifest.
    dest : Path
        The folder to create: the prepared ``public/`` (or ``private/``) folder, byte for byte.

    Raises :class:`ChecksumError` when a rebuilt file is missing or differs from the prepared one.
    """
    from mle_datasets.media import rebuild_media
    from mle_datasets.raw import checksum_tree

    dest.mkdir(parents=True)
    if (folder / "files").is_dir():
        shutil.copytree(folder / "files", dest, dirs_exist_ok=True)
    for archive in sorted(manifest.get("archives", {})):
        with tarfile.open(folder / archive) as tar:
            tar.extractall(dest, filter="data")
    rebuild_media(folder, manifest, dest)
    expected = manifest.get("originals")
    if expected is not None:
        got = checksum_tree(dest)
        wrong = sorted(n for n in set(expected) | set(got) if expected.get(n) != got.get(n))
        if wrong:
            raise ChecksumError(
                f"{manifest['competition_id']} v{manifest['version']}: {len(wrong)} rebuilt file(s) differ from the "
                f"prepared ones, e.g. {', '.join(wrong[:3])}; re-run `mle-bench prepare -c "
                f"{manifest['competition_id']} --force`"
            )
    return dest
