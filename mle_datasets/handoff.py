"""The one hand-off from the data layer to its consumers: ``resolve(id, version) -> PreparedRef``.

``run``, ``grade``, ``grade-sample``, the validation service and the demo take a competition's files from here,
never from a path of their own. Where the data comes from, in order:

1. ``data_dir`` (or, when neither it nor a store is given, ``$MLE_BENCH_DATA``): a folder in MLE-bench's layout, ``<dir>/<id>/prepared/{public,private}``,
   used as it is and recorded as ``unversioned`` (no manifest to check it against);
2. the versioned store: the version asked for (the latest when None) is rebuilt once from its git repositories
   into ``<store>/materialized/<id>/v<version>/{public,private}`` and every file used is checked against the
   sha256 the store's manifests recorded at preparation; the dataset revision is the public commit sha;
3. MLE-bench's own default folder, ``~/.cache/mle-bench/data/<id>/prepared`` (``$XDG_CACHE_HOME`` honoured),
   recorded as ``unversioned``.

Nothing prepared anywhere is a :class:`NotPreparedError` naming the command that fixes it.

Checking every byte of a large public folder on each call would cost minutes, so a file whose size, mtime and
inode are those recorded when it was last hashed is not hashed again (``.verified.json`` beside the folders);
any other change, an added file or a removed one is a :class:`ChecksumError`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mle_datasets.errors import ChecksumError, NotPreparedError, StoreError, UnknownVersionError
from mle_datasets.prepare import get_spec
from mle_datasets.raw import list_files
from schemas import sha256_file
from mle_datasets.store import Store

__all__ = ["PreparedRef", "resolve", "UNVERSIONED", "mle_bench_data_dir"]

#: the version and revision recorded for data that did not come from the store
UNVERSIONED = "unversioned"
_STAMP = ".verified.json"


@dataclass(frozen=True)
class PreparedRef:
    """A competition's prepared files, checked, and what they are.

    Attributes
    ----------
    competition_id : str
        The competition.
    competition_version : str
        The spec's version (grading semantics).
    version : str
        The dataset version, e.g. ``1.0.0``, or ``unversioned`` for an MLE-bench data folder.
    dataset_revision : str
        The public repository's commit sha of that version (``unversioned`` outside the store).
    public_dir, private_dir : Path
        What an agent sees, and the answers.
    answers, sample_submission : Path
        The answers file and the public sample submission.
    source : str
        ``store`` or ``data-dir``.
    """

    competition_id: str
    competition_version: str
    version: str
    dataset_revision: str
    public_dir: Path
    private_dir: Path
    answers: Path
    sample_submission: Path
    source: str

    @property
    def versioned(self) -> bool:
        """Whether the files came from the versioned store (and were checked against its manifests)."""
        return self.source == "store"


def mle_bench_data_dir() -> Path:
    """MLE-bench's own default data folder: ``<user cache>/mle-bench/data``.

    >>> mle_bench_data_dir().parts[-2:]
    ('mle-bench', 'data')
    """
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mle-bench" / "data"


def resolve(competition_id: str, version: str | None = None, *, store: Store | None = None,
            data_dir: str | os.PathLike | None = None) -> PreparedRef:
    """Find and check the prepared files of ``competition_id`` (see the module docstring for the order).

    Parameters
    ----------
    competition_id : str
        The competition id.
    version : str, optional
        A stored dataset version (the latest when None). Not allowed with a data folder, which has none.
    store : Store, optional
        The store (default: ``$MLE_BENCH_HOME`` or ``~/.cache/open-mle-bench``).
    data_dir : path-like, optional
        A folder in MLE-bench's layout to use instead of the store.

    Raises
    ------
    NotPreparedError
        Nothing prepared is found; the message names the command to run.
    ChecksumError
        A file differs from the store's manifest (tampered or corrupted).
    UnknownVersionError
        The version is not stored.

    >>> import tempfile
    >>> resolve("spooky-author-identification", store=Store(tempfile.mkdtemp()),
    ...         data_dir=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    mle_datasets.errors.NotPreparedError: spooky-author-identification is not prepared in ...: expected .../spooky-author-identification/prepared/public; run `mle-bench prepare -c spooky-author-identification --data-dir ...` or leave out --data-dir to use the store
    """
    spec = get_spec(competition_id)
    explicit = data_dir if data_dir is not None or store is not None else os.environ.get("MLE_BENCH_DATA") or None
    if explicit is not None:
        if version is not None:
            raise UnknownVersionError(
                f"a data folder holds no versions; leave out the version, or use the store for {competition_id} "
                f"v{version}"
            )
        return _from_data_dir(spec, Path(explicit).expanduser(), explicit=True)
    store = store or Store()
    if store.versions(competition_id) or version is not None:
        return _from_store(spec, store, version)
    legacy = mle_bench_data_dir()
    if (legacy / competition_id / "prepared").is_dir():
        return _from_data_dir(spec, legacy, explicit=False)
    raise NotPreparedError(
        f"{competition_id} is not prepared: it is neither in the store at {store.root} nor in MLE-bench's data "
        f"folder {legacy}; run `mle-bench prepare -c {competition_id} --raw <its Kaggle zip or folder>` "
        "(or without --raw to download it with the Kaggle API)"
    )


def _from_data_dir(spec: Any, data_dir: Path, explicit: bool) -> PreparedRef:
    root = data_dir / spec.id / "prepared"
    fix = (f"run `mle-bench prepare -c {spec.id} --data-dir {data_dir}` or leave out --data-dir to use the store"
           if explicit else f"run `mle-bench prepare -c {spec.id}`")
    for required in (root / "public", root / "private", root / spec.answers):
        if not required.exists():
            raise NotPreparedError(f"{spec.id} is not prepared in {data_dir}: expected {required}; {fix}")
    return PreparedRef(
        competition_id=spec.id, competition_version=spec.version, version=UNVERSIONED,
        dataset_revision=UNVERSIONED, public_dir=root / "public", private_dir=root / "private",
        answers=root / spec.answers, sample_submission=root / spec.sample_submission, source="data-dir",
    )


def _from_store(spec: Any, store: Store, version: str | None) -> PreparedRef:
    version = store.resolve_version(spec.id, version)
    store.resolve_version(spec.id, version, private=True)
    root = store.root / "materialized" / spec.id / f"v{version}"
    expected = _expected_files(store, spec.id, version)
    if not root.is_dir():
        _build(store, spec.id, version, root)
    _check(root, expected, spec.id, version)
    return PreparedRef(
        competition_id=spec.id, competition_version=spec.version, version=version,
        dataset_revision=store.revision(spec.id, version), public_dir=root / "public",
        private_dir=root / "private", answers=root / spec.answers, sample_submission=root / spec.sample_submission,
        source="store",
    )


def _expected_files(store: Store, competition_id: str, version: str) -> dict[str, str]:
    """``{public/<file> or private/<file>: sha256}`` of the prepared files, as the manifests recorded them."""
    expected = {}
    for kind, private in (("public", False), ("private", True)):
        originals = store.manifest(competition_id, version, private).get("originals")
        if originals is None:
            raise ChecksumError(
                f"{competition_id} v{version}'s {kind} manifest records no file checksums; "
                f"re-run `mle-bench prepare -c {competition_id} --force`"
            )
        expected.update({f"{kind}/{name}": digest for name, digest in originals.items()})
    return expected


def _build(store: Store, competition_id: str, version: str, root: Path) -> None:
    """Rebuild the prepared folders of a stored version into ``root`` (verified against the repositories first)."""
    from mle_datasets.load import rebuild_files

    tmp = root.with_name(f".{root.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        for kind, private in (("public", False), ("private", True)):
            folder = store.verify(competition_id, version, private)
            rebuild_files(folder, store.manifest(competition_id, version, private), tmp / kind)
        for path in tmp.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        try:
            os.rename(tmp, root)
        except OSError:
            if not root.is_dir():  # not a concurrent builder that got there first
                raise
    except OSError as err:
        raise StoreError(f"cannot rebuild {competition_id} v{version} into {root}: {err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check(root: Path, expected: dict[str, str], competition_id: str, version: str) -> None:
    """Every expected file present with its sha256 and nothing else, hashing only what changed since last time."""
    stamp_path = root / _STAMP
    try:
        stamps = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamps = {}
    present = [f for f in list_files(root) if f != _STAMP]
    missing = sorted(set(expected) - set(present))
    extra = sorted(set(present) - set(expected))
    changed, fresh = [], {}
    for name in sorted(set(present) & set(expected)):
        st = (root / name).stat()
        key = [st.st_size, st.st_mtime_ns, st.st_ino]
        if stamps.get(name, {}).get("stat") == key and stamps[name].get("sha256") == expected[name]:
            fresh[name] = stamps[name]
            continue
        digest = sha256_file(root / name)
        if digest != expected[name]:
            changed.append(name)
        else:
            fresh[name] = {"stat": key, "sha256": digest}
    if missing or extra or changed:
        problems = ([f"{n} (missing)" for n in missing[:3]] + [f"{n} (not in the manifest)" for n in extra[:3]]
                    + [f"{n} (sha256 differs)" for n in changed[:3]])
        raise ChecksumError(
            f"{competition_id} v{version}: the prepared files in {root} differ from the store's manifest in "
            f"{len(missing) + len(extra) + len(changed)} file(s), e.g. {', '.join(problems)}; they were changed "
            f"after preparation. Remove {root} and it is rebuilt from the store on next use"
        )
    if fresh != stamps:
        tmp = stamp_path.with_name(f"{_STAMP}.{os.getpid()}-{uuid.uuid4().hex[:6]}")
        try:
            tmp.write_text(json.dumps(fresh, sort_keys=True), encoding="utf-8")
            os.replace(tmp, stamp_path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a read-only store still resolves; it just hashes again next time
