"""Raw acquisition: a competition's Kaggle download from a zip, a folder or the Kaggle API, with checksums.

MLE-bench v1 puts Kaggle's single ``<id>.zip`` in a folder and unzips it one level into ``raw/``; zips
inside it stay packed. We do the same, check the archive before trusting it, and record the sha256 of
every raw file so a prepared version says exactly which bytes it came from.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from mle_datasets.errors import KaggleAccessError, RawDataError, rules_url
from schemas.checksums import sha256_file  # the one sha256 helper (re-exported here for the data machinery)


def list_files(root: str | os.PathLike) -> list[str]:
    """Return every regular file under ``root`` as a sorted POSIX path relative to it.

    Parameters
    ----------
    root : path-like
        The folder to walk.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "sub").mkdir(); _ = (d / "sub" / "b.txt").write_text("b"); _ = (d / "a.txt").write_text("a")
    >>> list_files(d)
    ['a.txt', 'sub/b.txt']
    """
    root = Path(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        out.extend((rel / name).as_posix() for name in filenames)
    return sorted(out)


def checksum_tree(root: str | os.PathLike, workers: int = 4) -> dict[str, str]:
    """Return ``{relative path: sha256}`` for every file under ``root`` (hashed on a few threads).

    Parameters
    ----------
    root : path-like
        The folder to hash.
    workers : int
        Threads used for hashing (hashlib releases the GIL).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_bytes(b"abc")
    >>> {k: v[:8] for k, v in checksum_tree(d).items()}
    {'a.txt': 'ba7816bf'}
    """
    return checksum_files(root, list_files(root), workers)


def checksum_files(root: str | os.PathLike, names: list[str], workers: int = 4) -> dict[str, str]:
    """Return ``{name: sha256}`` for the given files under ``root`` (hashed on a few threads).

    Parameters
    ----------
    root : path-like
        The folder the names are relative to.
    names : list of str
        Relative file paths.
    workers : int
        Threads used for hashing.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_bytes(b"abc")
    >>> checksum_files(d, ["a.txt"])["a.txt"][:8]
    'ba7816bf'
    """
    root = Path(root)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        digests = list(pool.map(lambda n: sha256_file(root / n), names))
    return dict(zip(names, digests))


def extract_zip(zip_path: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Unzip ``zip_path`` one level into ``dest`` after checking it is complete and safe.

    Inner archives stay packed, as in MLE-bench v1. A truncated or corrupt zip, or an entry that would
    land outside ``dest``, raises :class:`RawDataError` and leaves ``dest`` as it was.

    Parameters
    ----------
    zip_path : path-like
        The Kaggle download (``<id>.zip``).
    dest : path-like
        The folder to fill (created; must not already hold files).

    >>> import tempfile, pathlib, zipfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(d / "c.zip", "w") as z: z.writestr("train.csv", "id,y\\n1,0\\n")
    >>> list_files(extract_zip(d / "c.zip", d / "raw"))
    ['train.csv']
    """
    zip_path, dest = Path(zip_path), Path(dest)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise RawDataError(f"{zip_path}: entry {bad!r} is corrupt; download the competition again")
            for name in zf.namelist():
                p = PurePosixPath(name)
                if p.is_absolute() or ".." in p.parts:
                    raise RawDataError(f"{zip_path}: entry {name!r} points outside the archive; refusing it")
            tmp = dest.with_name(f".{dest.name}.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            zf.extractall(tmp)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as err:
        raise RawDataError(
            f"{zip_path} is not a complete zip ({err}); the download was probably cut short: download it again"
        ) from None
    except OSError as err:
        raise RawDataError(f"cannot extract {zip_path} into {dest}: {err}") from None
    if dest.exists():
        if any(dest.iterdir()):
            shutil.rmtree(tmp, ignore_errors=True)
            raise RawDataError(f"{dest} already holds files; remove it or pass the folder itself as --raw")
        dest.rmdir()
    os.replace(tmp, dest)
    return dest


def _kaggle_credentials_present() -> bool:
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    if os.environ.get("KAGGLE_API_TOKEN"):
        return True
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (config_dir / "kaggle.json").is_file() or (config_dir / "access_token").is_file()


def kaggle_download(competition_id: str, dest: str | os.PathLike, api=None) -> Path:
    """Download a competition's ``<id>.zip`` with the Kaggle API and return its path.

    Raises :class:`KaggleAccessError` without the ``kaggle`` package, without credentials, or when the
    competition's rules have not been accepted (the message names the rules page to open).

    Parameters
    ----------
    competition_id : str
        The Kaggle competition slug.
    dest : path-like
        Folder to download into.
    api : object, optional
        An authenticated ``KaggleApi`` (tests pass a stand-in); made here when omitted.

    >>> class FakeApi:
    ...     def competition_download_files(self, cid, path, quiet=True):
    ...         raise RuntimeError("403 Forbidden: You must accept this competition's rules")
    >>> import tempfile
    >>> kaggle_download("spaceship-titanic", tempfile.mkdtemp(), api=FakeApi())
    Traceback (most recent call last):
    ...
    mle_datasets.errors.KaggleAccessError: the Kaggle rules of 'spaceship-titanic' are not accepted for this account: open https://www.kaggle.com/c/spaceship-titanic/rules, click "I Understand and Accept", then retry
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if api is None:
        api = _kaggle_api()
    try:
        api.competition_download_files(competition_id, path=str(dest), quiet=True)
    except Exception as err:  # the kaggle client raises several unrelated types
        text = str(err).lower()
        if "403" in text or "accept" in text or "rules" in text:
            raise KaggleAccessError(
                f"the Kaggle rules of {competition_id!r} are not accepted for this account: open "
                f"{rules_url(competition_id)}, click \"I Understand and Accept\", then retry"
            ) from None
        if "401" in text or "unauthorized" in text:
            raise KaggleAccessError(
                "the Kaggle API refused the credentials (401); create a new API token at "
                "https://www.kaggle.com/settings and save it as ~/.kaggle/kaggle.json"
            ) from None
        if "404" in text:
            raise KaggleAccessError(f"Kaggle has no competition {competition_id!r} (404); check the id") from None
        raise KaggleAccessError(f"the Kaggle download of {competition_id!r} failed: {err}") from None
    zips = sorted(dest.glob("*.zip"))
    if len(zips) != 1:
        raise RawDataError(
            f"expected exactly one zip in {dest} after the Kaggle download, found {len(zips)}; "
            "empty the folder and retry"
        )
    return zips[0]


def _kaggle_api():
    if not _kaggle_credentials_present():
        raise KaggleAccessError(
            "no Kaggle credentials: create an API token at https://www.kaggle.com/settings and save it as "
            "~/.kaggle/kaggle.json (or set KAGGLE_USERNAME and KAGGLE_KEY), or pass the downloaded data "
            "with --raw PATH"
        )
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError:
        raise KaggleAccessError(
            "the kaggle package is not installed: pip install 'open-mle-bench[kaggle]', or pass the "
            "downloaded data with --raw PATH"
        ) from None
    api = KaggleApi()
    try:
        api.authenticate()
    except Exception as err:
        raise KaggleAccessError(f"Kaggle authentication failed ({err}); check ~/.kaggle/kaggle.json") from None
    return api


def acquire(competition_id: str, source: str | os.PathLike | None, work_dir: str | os.PathLike,
            api=None) -> Path:
    """Return a ``raw/`` folder for a competition: ``source`` itself, its unzipped copy, or a Kaggle download.

    Parameters
    ----------
    competition_id : str
        The Kaggle competition slug.
    source : path-like or None
        A folder (used as it is, never modified by us), a zip (unzipped one level into ``work_dir/raw``),
        or None to download with the Kaggle API into ``work_dir``.
    work_dir : path-like
        Scratch folder for downloads and extraction.
    api : object, optional
        Passed to :func:`kaggle_download`.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "raw").mkdir()
    >>> acquire("x", d / "raw", d / "work") == d / "raw"
    True
    """
    work_dir = Path(work_dir)
    if source is None:
        zip_path = kaggle_download(competition_id, work_dir / "download", api=api)
        return extract_zip(zip_path, work_dir / "raw")
    source = Path(source)
    if source.is_dir():
        return source
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise RawDataError(
                f"{source} is neither a folder nor a complete zip; pass the Kaggle download "
                f"({competition_id}.zip) or the folder it unzips to"
            )
        return extract_zip(source, work_dir / "raw")
    raise RawDataError(f"raw data {source} does not exist; pass the Kaggle download or its unzipped folder")


def require_files(raw_dir: str | os.PathLike, names: list[str] | tuple[str, ...]) -> None:
    """Raise :class:`RawDataError` naming every expected raw file or glob that is missing.

    Parameters
    ----------
    raw_dir : path-like
        The raw folder.
    names : list of str
        Relative paths or glob patterns (``train/*.jpg``) that must each match at least one file.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "train.csv").write_text("id\\n")
    >>> require_files(d, ["train.csv"])
    >>> require_files(d, ["train.csv", "test.csv"])
    Traceback (most recent call last):
    ...
    mle_datasets.errors.RawDataError: raw data ... lacks test.csv; download the complete competition data (all files of the Kaggle data page)
    """
    raw_dir = Path(raw_dir)
    missing = [n for n in names if not any(raw_dir.glob(n))]
    if missing:
        raise RawDataError(
            f"raw data {raw_dir} lacks {', '.join(missing)}; download the complete competition data "
            "(all files of the Kaggle data page)"
        )
