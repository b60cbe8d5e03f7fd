"""Preparation: raw download -> raw contract -> preparer -> prepared contract -> an atomically renamed folder.

The preparer writes into a hidden temporary folder beside the destination; only a preparation that passed
both contracts is renamed into place, so a half-prepared competition is never visible. A preparation killed
half way leaves only that hidden folder, which the next run removes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from mle_datasets.errors import DataError, PreparedDataError, StoreError, UnknownCompetitionError
from mle_datasets.raw import acquire, checksum_tree, list_files, sha256_file
from schemas.prepared import PreparedContractError

log = logging.getLogger(__name__)

#: the steps :func:`prepare` reports to its ``progress`` callback
PREPARE_STEPS = ("acquire the raw data", "checksum the raw files", "check the raw contract", "split (preparer)",
                 "check the prepared contract")

if TYPE_CHECKING:
    from competitions.spec import Competition

__all__ = ["Prepared", "prepare", "load_prepared", "PROVENANCE_FILE", "get_spec", "remove_stale", "raw_digest"]

PROVENANCE_FILE = "provenance.json"
#: the distribution's name, whose installed version is recorded in provenance
DISTRIBUTION = "open-mle-bench"


def tool_version() -> str:
    """The installed version of the ``open-mle-bench`` distribution (``"unknown"`` in an uninstalled checkout).

    >>> tool_version() != ""
    True
    """
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Prepared:
    """A prepared competition on disk: ``public_dir`` (what an agent sees) and ``private_dir`` (answers)."""

    competition_id: str
    root: Path
    public_dir: Path
    private_dir: Path
    answers: Path
    sample_submission: Path
    provenance: dict[str, Any] = field(default_factory=dict)


def get_spec(competition_id: str) -> Competition:
    """Return the competition's spec, or raise :class:`UnknownCompetitionError` naming how to list ids.

    Parameters
    ----------
    competition_id : str
        The competition id.

    >>> get_spec("no-such-competition")
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownCompetitionError: unknown competition 'no-such-competition'; `mle-bench list` shows the known ids
    """
    import competitions

    try:
        return competitions.get(competition_id)
    except KeyError:
        raise UnknownCompetitionError.for_id(competition_id) from None


def _get_preparer(competition_id: str):
    from mle_datasets.preparers import get_preparer

    return get_preparer(competition_id)


def _prepared(spec: Competition, root: Path, provenance: dict[str, Any]) -> Prepared:
    return Prepared(
        competition_id=spec.id, root=root, public_dir=root / "public", private_dir=root / "private",
        answers=root / spec.answers, sample_submission=root / spec.sample_submission, provenance=provenance,
    )


def load_prepared(out_dir: str | os.PathLike, spec: Competition | None = None) -> Prepared | None:
    """Return the :class:`Prepared` record of a finished preparation in ``out_dir``, or None.

    Parameters
    ----------
    out_dir : path-like
        A folder written by :func:`prepare`.
    spec : Competition, optional
        The spec (read from the catalogue when omitted).

    >>> import tempfile
    >>> load_prepared(tempfile.mkdtemp()) is None
    True
    """
    root = Path(out_dir)
    path = root / PROVENANCE_FILE
    if not path.is_file():
        return None
    provenance = json.loads(path.read_text(encoding="utf-8"))
    spec = spec or get_spec(provenance["competition_id"])
    return _prepared(spec, root, provenance)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(out_dir: Path) -> None:
    """Clean up after writers of ``out_dir`` that died: remove their hidden ``.NAME.tmp-PID-*`` folders (when
    that process is gone) and finish a replacement interrupted between its two renames (``.NAME.old``).

    Parameters
    ----------
    out_dir : Path
        The folder whose hidden siblings are checked.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / ".out.old").mkdir()
    >>> remove_stale(d / "out"); (d / "out").is_dir()
    True
    """
    for tmp in out_dir.parent.glob(f".{out_dir.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit(".tmp-", 1)[1].split("-")[0])
        except ValueError:
            continue
        if not _pid_alive(pid) or pid == os.getpid():
            shutil.rmtree(tmp, ignore_errors=True)
    trash = out_dir.parent / f".{out_dir.name}.old"
    if trash.exists():
        if not out_dir.exists():
            os.replace(trash, out_dir)
        else:
            shutil.rmtree(trash, ignore_errors=True)


def _make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create {path}: {err}; choose a writable folder (--data-dir)") from None
    if not os.access(path, os.W_OK):
        raise StoreError(f"{path} is not writable; choose a writable folder (--data-dir)")


def raw_digest(raw_files: dict[str, str]) -> str:
    """Return one sha256 over a ``{path: sha256}`` mapping (order-free): the raw data's fingerprint.

    Parameters
    ----------
    raw_files : dict
        Relative path to sha256 of each raw file.

    >>> raw_digest({"b": "2", "a": "1"}) == raw_digest({"a": "1", "b": "2"})
    True
    """
    text = "".join(f"{k}\0{v}\n" for k, v in sorted(raw_files.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(
    competition_id: str,
    raw: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    preparer: Any = None,
    spec: Competition | None = None,
    kaggle_api: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Prepared:
    """Prepare a competition the MLE-bench v1 way into ``out_dir/public`` and ``out_dir/private``.

    Runs the raw contract, the competition's preparer (in a hidden temporary folder), writes our
    ``description.md`` into ``public/``, runs the prepared contract, records the provenance (sha256 of
    every raw file, preparer and spec versions) in ``out_dir/provenance.json`` and renames the result into
    place. An existing preparation of the same raw bytes is returned as it is unless ``overwrite``.

    Parameters
    ----------
    competition_id : str
        The competition id.
    raw : path-like or None
        The Kaggle download: a zip, the folder it unzips to, or None to download it with the Kaggle API.
    out_dir : path-like
        Destination folder (created).
    overwrite : bool
        Prepare again even when ``out_dir`` already holds a preparation of the same raw data.
    preparer, spec : optional
        Override the registered preparer and the catalogue's spec (tests, new competitions).
    kaggle_api : optional
        A Kaggle API object for downloads (tests pass a stand-in).
    progress : callable, optional
        ``progress(step, done, total)``, called as each of :data:`PREPARE_STEPS` ends (a progress bar).

    >>> import tempfile
    >>> prepare("no-such-competition", tempfile.mkdtemp(), tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownCompetitionError: unknown competition 'no-such-competition'; `mle-bench list` shows the known ids
    """
    spec = spec or get_spec(competition_id)
    preparer = preparer or _get_preparer(competition_id)
    out_dir = Path(out_dir).absolute()
    _make_dir(out_dir.parent)
    remove_stale(out_dir)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    def step(done: int) -> None:
        log.debug("%s: %s done", competition_id, PREPARE_STEPS[done - 1])
        if progress is not None:
            progress(f"{competition_id}: {PREPARE_STEPS[done - 1]}", done, len(PREPARE_STEPS))

    log.info("preparing %s from %s into %s", competition_id, raw or "the Kaggle API", out_dir)
    try:
        tmp.mkdir()
        raw_dir = acquire(competition_id, raw, tmp / "work", api=kaggle_api)
        step(1)
        raw_files = checksum_tree(raw_dir)
        step(2)
        provenance = _provenance(spec, preparer, raw, raw_files)
        existing = load_prepared(out_dir, spec)
        if existing is not None and not overwrite and existing.provenance.get("raw_sha256") == provenance["raw_sha256"] \
                and existing.provenance.get("preparer_version") == provenance["preparer_version"]:
            log.info("%s: %s already holds a preparation of the same raw data (--force prepares again)",
                     competition_id, out_dir)
            return existing
        preparer.check_raw(raw_dir)
        step(3)
        _run_preparer(preparer, competition_id, raw_dir, tmp)
        step(4)
        shutil.rmtree(tmp / "work", ignore_errors=True)
        _write_description(spec, tmp / "public")
        from schemas.prepared import check_prepared

        try:
            check_prepared(tmp, spec)
        except PreparedContractError as err:
            if isinstance(err, PreparedDataError):
                raise
            raise PreparedDataError(str(err)) from None
        step(5)
        (tmp / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        _swap_in(tmp, out_dir)
        log.info("%s prepared into %s (%d raw file(s))", competition_id, out_dir, len(raw_files))
    except OSError as err:
        raise StoreError(f"preparing {competition_id} into {out_dir} failed: {err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _prepared(spec, out_dir, provenance)


def _run_preparer(preparer: Any, competition_id: str, raw_dir: Path, tmp: Path) -> None:
    try:
        preparer.run(raw_dir, tmp / "public", tmp / "private")
    except (DataError, OSError):
        raise
    except Exception as err:  # a preparer's own bug or data it did not expect: say which competition
        raise PreparedDataError(
            f"the preparer of {competition_id} failed on this raw data: {type(err).__name__}: {err}"
        ) from err


def _provenance(spec: Competition, preparer: Any, raw: Any, raw_files: dict[str, str]) -> dict[str, Any]:
    source = "kaggle" if raw is None else ("zip" if Path(raw).is_file() else "folder")
    prov = {
        "competition_id": spec.id,
        "spec_version": spec.version,
        "preparer_version": str(getattr(preparer, "version", "1")),
        "tool_version": tool_version(),
        "raw_source": source,
        "raw_files": raw_files,
        "raw_sha256": raw_digest(raw_files),
    }
    split_rule = getattr(preparer, "split_rule", None)
    if split_rule:
        prov["split_rule"] = str(split_rule)
    if source == "zip":
        prov["raw_zip_sha256"] = sha256_file(raw)
    return prov


def _write_description(spec: Competition, public_dir: Path) -> None:
    from mle_datasets.cards import description_markdown

    files = [f for f in list_files(public_dir) if f != "description.md"]
    (public_dir / "description.md").write_text(description_markdown(spec, files), encoding="utf-8")


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Rename the finished ``tmp`` to ``out_dir``, replacing an older preparation (kept until the swap is done)."""
    if out_dir.exists():
        trash = out_dir.parent / f".{out_dir.name}.old"
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(out_dir, trash)
        os.replace(tmp, out_dir)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out_dir)
