"""The versioned store: each competition version as two git repositories in the Hugging Face Hub layout.

Layout under the store root (``$MLE_BENCH_HOME``, default ``~/.cache/open-mle-bench``)::

    hub/datasets/open-mle-bench/<id>/           public repository (git; work tree = last added version)
    hub/datasets/open-mle-bench-private/<id>/   answers repository (git)
    checkouts/<org>/<id>/<version>/             older versions, exported from git on demand
    locks/<id>.lock                             held while a version is being added

``hub/`` can be served as it is by a Hub-compatible server (``olah`` with ``mirrors-path``). Each repository
holds a ``README.md`` dataset card (YAML ``configs``: one config per table, the train table's the default),
``data/<config>/*.parquet`` shards, ``files/`` (the prepared files that are not media, byte for byte) and
``manifest.json`` (sha256 and size of every file, the tables, the zip recipes, the provenance). Media (files
under folders, members of zips) are parquet rows with typed ``Image``/``Audio``/file columns, beside the
table that names them or in a ``files_<folder>`` config (:mod:`mle_datasets.media`); ``materialize`` writes
them back, zips rebuilt byte for byte. A version is one commit with
fixed author and date, tagged ``v<version>``, so the same raw data gives the same bytes and the same commit
sha: the ``dataset_revision`` of every grading report.

A new version is built in a hidden clone beside the repository and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mle_datasets.errors import ChecksumError, DataError, StoreError, UnknownVersionError
from mle_datasets.media import config_name, plan_media, write_files_config, write_media_table
from mle_datasets.prepare import remove_stale
from mle_datasets.raw import checksum_files, list_files
from schemas import sha256_file

log = logging.getLogger(__name__)
#: ``progress(what, done, total)``, told as each file of a version is written
Progress = Callable[[str, int, int], None]

if TYPE_CHECKING:
    from competitions.spec import Competition
    from mle_datasets.prepare import Prepared

__all__ = ["Store", "store_root", "ORG", "PRIVATE_ORG", "MANIFEST", "StoredVersion"]

ORG = "open-mle-bench"
PRIVATE_ORG = "open-mle-bench-private"
MANIFEST = "manifest.json"
#: rows per parquet shard
SHARD_ROWS = 5_000_000
#: bytes of CSV parsed per block when converting tables (larger blocks let memory grow with the file)
CSV_BLOCK = 1 << 22
#: rows per parquet row group (batches are gathered up to this many before writing)
ROW_GROUP_ROWS = 1 << 18
_DATE = "2024-01-01T00:00:00+0000"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "open-mle-bench", "GIT_AUTHOR_EMAIL": "store@open-mle-bench.invalid",
    "GIT_COMMITTER_NAME": "open-mle-bench", "GIT_COMMITTER_EMAIL": "store@open-mle-bench.invalid",
    "GIT_AUTHOR_DATE": _DATE, "GIT_COMMITTER_DATE": _DATE, "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
}
_GIT_OPTS = ("-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
             "-c", "core.compression=1", "-c", "gc.auto=0", "-c", "core.fsync=none", "-c", "init.defaultBranch=main")
#: provenance kept in a stored version: what the bytes depend on (not whether the raw came zipped or not)
STORED_PROVENANCE = ("spec_version", "preparer_version", "tool_version", "raw_files", "raw_sha256", "split_rule")
_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")


def is_version(text: str) -> bool:
    """Dotted numbers such as ``1.0.0``.

    >>> is_version("1.10.0"), is_version("1..2"), is_version("v1")
    (True, False, False)
    """
    return bool(_VERSION_RE.match(text))


def versions_of_tags(tags) -> list[str]:
    """The versions among tags spelled ``v<dotted numbers>``, oldest first.

    >>> versions_of_tags(["v1.10.0", "v1.2.0", "draft", "v1..2"])
    ['1.2.0', '1.10.0']
    """
    return sorted((t[1:] for t in tags if t.startswith("v") and is_version(t[1:])), key=_version_key)


def store_root(root: str | os.PathLike | None = None) -> Path:
    """Return the store's root: ``root``, else the home folder (``$MLE_BENCH_HOME``, else
    ``<user cache>/open-mle-bench``; :func:`competitions.paths.home`).

    Parameters
    ----------
    root : path-like, optional
        An explicit root.

    >>> store_root("/data/store")
    PosixPath('/data/store')
    """
    from competitions.paths import home

    return Path(root) if root is not None else home()


def _git(repo: Path, *args: str, binary: bool = False) -> Any:
    env = {**os.environ, **_GIT_ENV}
    try:
        proc = subprocess.run(["git", *_GIT_OPTS, "-C", str(repo), *args], capture_output=True,
                              env=env, check=False)
    except FileNotFoundError:
        raise StoreError("the git program is not installed; the store needs it (apt-get install git)") from None
    if proc.returncode != 0:
        raise StoreError(f"git {' '.join(args[:2])} failed in {repo}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout if binary else proc.stdout.decode().strip()


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


class StoredVersion(dict):
    """What :meth:`Store.add` stored: ``competition_id``, ``version``, ``revision`` (public commit sha),
    ``private_revision``, ``public_dir``, ``private_dir``."""


class Store:
    """The versioned store under ``root`` (see the module docstring for the layout).

    Parameters
    ----------
    root : path-like, optional
        The store's root (default: :func:`store_root`).

    >>> import tempfile, pathlib
    >>> from competitions.spec import parse_spec
    >>> from mle_datasets.prepare import Prepared
    >>> spec = parse_spec({"id": "toy", "name": "Toy", "category": "Tabular", "split": "dev",
    ...     "awards_medals": False, "metric": "auc", "lower_is_better": False, "id_columns": ["id"],
    ...     "submission_columns": [{"name": "id"}, {"name": "y", "dtype": "float"}],
    ...     "answers": "private/test.csv", "sample_submission": "public/sample_submission.csv",
    ...     "grader": "binary_auc", "version": "1.0.0", "description": "Toy."})
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "public").mkdir(); (d / "private").mkdir()
    >>> _ = (d / "public/sample_submission.csv").write_text("id,y\\n007,0.5\\n")
    >>> _ = (d / "private/test.csv").write_text("id,y\\n007,1\\n")
    >>> prepared = Prepared("toy", d, d / "public", d / "private", d / "private/test.csv",
    ...                     d / "public/sample_submission.csv", {"raw_sha256": "0" * 64, "raw_files": {}})
    >>> s = Store(d / "store")
    >>> s.versions("toy")
    []
    >>> stored = s.add(prepared, spec=spec)
    >>> s.versions("toy"), len(s.revision("toy")), stored["revision"] == s.revision("toy", "1.0.0")
    (['1.0.0'], 40, True)
    >>> sorted(s.manifest("toy")["tables"]), sorted(s.manifest("toy", private=True)["tables"])
    (['sample_submission'], ['test'])
    >>> s.verify("toy") == s.repo_dir("toy")
    True
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = store_root(root)

    # -- paths -------------------------------------------------------------------------------------------------
    @property
    def hub_dir(self) -> Path:
        """The folder holding ``datasets/<org>/<id>`` repositories (a Hub mirror's ``mirrors-path``)."""
        return self.root / "hub"

    def repo_id(self, competition_id: str, private: bool = False) -> str:
        """The repository id ``<org>/<competition id>`` under which the store (and a mirror) serves it."""
        return f"{PRIVATE_ORG if private else ORG}/{competition_id}"

    def repo_dir(self, competition_id: str, private: bool = False) -> Path:
        """The git repository of a competition's public (or private) data."""
        path = self.hub_dir / "datasets" / self.repo_id(competition_id, private)
        _recover(path, self._lock_path(competition_id))
        return path

    def _lock_path(self, competition_id: str) -> Path:
        return self.root / "locks" / f"{competition_id}.lock"

    # -- reading -----------------------------------------------------------------------------------------------
    def versions(self, competition_id: str, private: bool = False) -> list[str]:
        """The stored versions of a competition, oldest first."""
        repo = self.repo_dir(competition_id, private)
        if not (repo / ".git").is_dir():
            return []
        return versions_of_tags(_git(repo, "tag", "--list", "v*").split())

    def resolve_version(self, competition_id: str, version: str | None = None, private: bool = False) -> str:
        """``version`` checked to exist (the latest when None); :class:`UnknownVersionError` otherwise."""
        known = self.versions(competition_id, private)
        if not known:
            raise UnknownVersionError(
                f"{competition_id} is not in the store at {self.root}; run `mle-bench prepare -c {competition_id}` "
                "(or set MLE_BENCH_HOME to the store that has it)"
            )
        if version is None:
            return known[-1]
        version = version.removeprefix("v")
        if version not in known:
            raise UnknownVersionError(
                f"{competition_id} has no version {version!r} in the store; stored: {', '.join(known)}"
            )
        return version

    def revision(self, competition_id: str, version: str | None = None, private: bool = False) -> str:
        """The commit sha of a stored version (the ``dataset_revision`` recorded in grading reports)."""
        version = self.resolve_version(competition_id, version, private)
        return _git(self.repo_dir(competition_id, private), "rev-parse", f"v{version}^{{commit}}")

    def version_dir(self, competition_id: str, version: str | None = None, private: bool = False) -> Path:
        """A folder holding exactly the files of a version (the repository itself for its checked-out one)."""
        version = self.resolve_version(competition_id, version, private)
        repo = self.repo_dir(competition_id, private)
        if _git(repo, "rev-parse", "HEAD") == _git(repo, "rev-parse", f"v{version}^{{commit}}"):
            return repo
        return self.checkout_dir(competition_id, version, private)

    def checkout_dir(self, competition_id: str, version: str | None = None, private: bool = False) -> Path:
        """``checkouts/<org>/<id>/<version>/``: the files of tag ``v<version>``, exported from git once.

        Plain ``datasets.load_dataset`` ignores ``revision=`` for a local folder; this folder is how it
        reads one version: ``datasets.load_dataset(str(store.checkout_dir(id, "1.0.0")))``.
        """
        version = self.resolve_version(competition_id, version, private)
        repo = self.repo_dir(competition_id, private)
        org = PRIVATE_ORG if private else ORG
        dest = self.root / "checkouts" / org / competition_id / version
        if not dest.is_dir():
            tmp = dest.with_name(f".{version}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
            try:
                tmp.mkdir(parents=True)
                data = _git(repo, "archive", "--format=tar", f"v{version}", binary=True)
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    tar.extractall(tmp, filter="data")
                os.replace(tmp, dest)
            except OSError as err:
                raise StoreError(f"cannot export {competition_id} v{version} to {dest}: {err}") from None
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return dest

    def manifest(self, competition_id: str, version: str | None = None, private: bool = False) -> dict[str, Any]:
        """The manifest of a stored version."""
        path = self.version_dir(competition_id, version, private) / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ChecksumError(
                f"the manifest {path} is missing or corrupt ({err}); re-run `mle-bench prepare -c {competition_id}`"
            ) from None

    def verify(self, competition_id: str, version: str | None = None, private: bool = False,
               paths: list[str] | None = None) -> Path:
        """Check files of a version against their manifest sha256 (all, or ``paths``); return the version folder.

        Raises :class:`ChecksumError` naming the files that are missing or differ.
        """
        folder = self.version_dir(competition_id, version, private)
        manifest = self.manifest(competition_id, version, private)
        names = sorted(manifest["files"]) if paths is None else paths
        missing, bad = _mismatches(folder, manifest["files"], names)
        if missing or bad:
            raise ChecksumError(
                f"{competition_id} v{manifest['version']} in {folder} does not match its manifest: "
                f"{_mismatch_text(missing, bad)}; the stored data was changed or "
                f"corrupted: restore it with `git -C {folder} checkout -- .` or re-run "
                f"`mle-bench prepare -c {competition_id} --force`"
            )
        return folder

    # -- writing -----------------------------------------------------------------------------------------------
    def add(self, prepared: Prepared, spec: Competition | None = None, version: str | None = None,
            split_rule: str | None = None, progress: Progress | None = None) -> StoredVersion:
        """Store a prepared competition as version ``version`` (the spec's version when None).

        Adding the same data again is a no-op; adding different data under an existing version raises
        :class:`StoreError` (a version never changes). ``progress(what, done, total)`` is told as each file
        is written (tables converted to parquet, files copied, folders archived).
        """
        from mle_datasets.prepare import get_spec

        spec = spec or get_spec(prepared.competition_id)
        version = (version or spec.version).removeprefix("v")
        if not is_version(version):
            raise StoreError(f"version {version!r} is not dotted numbers such as 1.0.0")
        provenance = {"spec_version": spec.version, "preparer_version": "unknown", "raw_files": {},
                      "raw_sha256": "", **prepared.provenance}
        fills = [(private, functools.partial(write_version, source=source, spec=spec, version=version,
                                             provenance=provenance, private=private, split_rule=split_rule,
                                             progress=progress))
                 for private, source in ((False, prepared.public_dir), (True, prepared.private_dir))]
        return self._commit_versions(prepared.competition_id, version, provenance.get("raw_sha256", ""), fills)

    def add_repo(self, competition_id: str, version: str, public_dir: Path, private_dir: Path) -> StoredVersion:
        """Store two repository folders (a version's files, e.g. downloaded from the Hub) as version ``version``.

        Every file of each folder's ``manifest.json`` is checked against its sha256 first (:class:`ChecksumError`
        naming the files otherwise) and only those files are committed, with the commit the store would have
        made itself: on a store holding no older version the commit sha equals the publisher's.

        Parameters
        ----------
        competition_id : str
            The competition id.
        version : str
            The version (``1.0.0`` or ``v1.0.0``); it must be the one both manifests record.
        public_dir, private_dir : Path
            Folders holding the public and the answers repository's files (``.git`` ignored).
        """
        version = version.removeprefix("v")
        fills, raw_sha = [], ""
        for private, folder in ((False, Path(public_dir)), (True, Path(private_dir))):
            manifest = _checked_manifest(folder, competition_id, version, private)
            raw_sha = raw_sha or manifest.get("provenance", {}).get("raw_sha256", "")
            fills.append((private, functools.partial(_copy_listed, folder, [*manifest["files"], MANIFEST])))
        return self._commit_versions(competition_id, version, raw_sha, fills)

    def _commit_versions(self, competition_id: str, version: str, raw_sha256: str,
                         fills: list[tuple[bool, Callable[[Path], Any]]]) -> StoredVersion:
        """Commit the public and private work trees that ``fills`` write (``fill(work_tree)``) as ``version``,
        under the competition's lock, and swap both repositories in together."""
        self._check_writable()
        built: list[tuple[Path, Path]] = []
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(_locked(self._lock_path(competition_id)))
            revisions = []
            for private, fill in fills:
                repo = self.repo_dir(competition_id, private)
                if repo.parent.is_dir():
                    remove_stale(repo)  # under the lock: every hidden clone left here is a dead writer's
                tmp, rev = self._build(repo, fill, competition_id, version, raw_sha256, private)
                if tmp is not None:
                    built.append((tmp, repo))
                revisions.append(rev)
            for tmp, repo in built:
                _swap(tmp, repo)
            log.info("stored %s v%s in %s (revision %s%s)", competition_id, version, self.root, revisions[0][:12],
                     "" if built else ", already stored")
        except OSError as err:
            raise StoreError(
                f"cannot write {competition_id} v{version} to the store at {self.root}: {err}; free disk "
                "space or set MLE_BENCH_HOME to a writable folder"
            ) from None
        finally:
            for tmp, _ in built:
                shutil.rmtree(tmp, ignore_errors=True)
            stack.close()
        return StoredVersion(
            competition_id=competition_id, version=version, revision=revisions[0],
            private_revision=revisions[1], public_dir=self.repo_dir(competition_id),
            private_dir=self.repo_dir(competition_id, private=True),
        )

    def _check_writable(self) -> None:
        try:
            self.hub_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(
                f"cannot create the store at {self.root}: {err}; set MLE_BENCH_HOME to a writable folder"
            ) from None
        if not os.access(self.hub_dir, os.W_OK):
            raise StoreError(f"the store at {self.root} is read-only; set MLE_BENCH_HOME to a writable folder")

    def _build(self, repo: Path, fill: Callable[[Path], Any], competition_id: str, version: str,
               raw_sha256: str, private: bool) -> tuple[Path | None, str]:
        """Commit what ``fill`` writes as ``version`` in a hidden clone of ``repo``; return (clone or None, sha)."""
        repo.parent.mkdir(parents=True, exist_ok=True)
        tmp = repo.parent / f".{repo.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            if (repo / ".git").is_dir():
                _git(repo.parent, "clone", "--quiet", "--no-checkout", "--local", repo.name, tmp.name)
                _git(tmp, "remote", "remove", "origin")
            else:
                tmp.mkdir()
                _git(tmp, "init", "--quiet", "--initial-branch=main")
            fill(tmp)
            _git(tmp, "add", "--all")
            tree = _git(tmp, "write-tree")
            tag = f"v{version}"
            if _git(tmp, "tag", "--list", tag):
                if _git(tmp, "rev-parse", f"{tag}^{{tree}}") != tree:
                    raise StoreError(
                        f"{competition_id} v{version} is already stored with different content, and a version never "
                        "changes; bump the spec's version, or delete the store's copy to rebuild it"
                    )
                shutil.rmtree(tmp, ignore_errors=True)
                return None, _git(repo, "rev-parse", f"{tag}^{{commit}}")
            kind = "answers" if private else "public data"
            message = f"{competition_id} {kind} v{version}\n\nraw sha256 {raw_sha256}\n"
            _git(tmp, "commit", "--quiet", "--allow-empty", "-m", message)
            _git(tmp, "tag", tag)
            return tmp, _git(tmp, "rev-parse", "HEAD")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _mismatches(folder: Path, files: dict[str, Any], names: list[str]) -> tuple[list[str], list[str]]:
    """The ``names`` missing from ``folder`` and those whose sha256 differs from ``files`` (manifest entries)."""
    missing = [n for n in names if not (folder / n).is_file()]
    present = [n for n in names if n not in missing]
    digests = checksum_files(folder, present)
    return missing, [n for n in present if digests[n] != files[n]["sha256"]]


def _mismatch_text(missing: list[str], bad: list[str]) -> str:
    problems = [f"{n} (missing)" for n in missing[:3]] + [f"{n} (sha256 differs)" for n in bad[:3]]
    return f"{len(missing) + len(bad)} file(s), e.g. {', '.join(problems)}"


def _checked_manifest(folder: Path, competition_id: str, version: str, private: bool) -> dict[str, Any]:
    """The manifest of a repository folder from outside the store, after checking that it is ``competition_id``
    ``version`` of the right kind and that every file it lists has its sha256."""
    kind = "private" if private else "public"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ChecksumError(f"{folder} has no readable {MANIFEST} ({err}); it is not a stored version") from None
    found = (manifest.get("competition_id"), manifest.get("version"), manifest.get("kind"))
    if found != (competition_id, version, kind):
        raise StoreError(f"{folder} holds {found[0]} v{found[1]} ({found[2]}), not {competition_id} v{version} "
                         f"({kind})")
    missing, bad = _mismatches(folder, manifest["files"], sorted(manifest["files"]))
    if missing or bad:
        raise ChecksumError(f"{competition_id} v{version} in {folder} does not match its manifest: "
                            f"{_mismatch_text(missing, bad)}")
    return manifest


def _copy_listed(source: Path, names: list[str], dest: Path) -> None:
    """Make the work tree ``dest`` (``.git`` kept) hold exactly the files ``names`` of ``source``."""
    for child in dest.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, dest / name)


def _recover(repo: Path, lock: Path) -> None:
    """Finish a swap that was interrupted between its two renames and drop dead writers' hidden clones, but
    only while no writer holds the competition's lock: a live writer's clone and swap are not leftovers."""
    if not repo.parent.is_dir():
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a writer is at work (in this process or another); it recovers under its lock
        try:
            remove_stale(repo)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created) so two processes never add to one repository at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap(tmp: Path, repo: Path) -> None:
    if repo.exists():
        trash = repo.with_name(f".{repo.name}.old")
        os.replace(repo, trash)
        os.replace(tmp, repo)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, repo)


# -- building one version's files --------------------------------------------------------------------------------
def write_version(dest: Path, source: Path, spec: Competition, version: str, provenance: dict[str, Any],
                  private: bool, split_rule: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Fill ``dest`` (a work tree) with one version of ``source`` in the Hub layout; return its manifest.

    Parameters
    ----------
    dest : Path
        The folder to fill; everything but ``.git`` is replaced.
    source : Path
        The prepared ``public/`` (or ``private/``) folder.
    spec : Competition
        The competition's spec.
    version : str
        The version being written.
    provenance : dict
        Raw checksums and versions, from the preparation.
    private : bool
        True for the answers repository.
    split_rule : str, optional
        Text for the card.
    progress : callable, optional
        ``progress(what, done, total)`` after each table converted, file copied or folder archived.
    """
    from mle_datasets.cards import dataset_card

    for child in dest.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    files = list_files(source)
    kind = "answers" if private else "public"
    table_names = [name for name in files if is_table_file(name, source)]
    done = 0

    def tick(what: str, total: int) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(f"{spec.id}: {kind} {what}", done, total)

    tables: dict[str, Any] = {}
    table_files: dict[str, str] = {}
    for name in table_names:
        config = config_name(name)
        if config in tables:
            config = config_name(name.replace(".", "_"))
        tables[config] = write_table(source / name, dest / "data" / config, config, tuple(spec.id_columns))
        table_files[config] = name
        tick("tables to parquet", len(table_names))
    plan = plan_media(source, files, table_files, tables, dest)
    total = len(table_names) + len(plan.links) + len(plan.groups) + len(plan.plain)
    for config, link in plan.links.items():
        tables[config] = write_media_table(tables[config], link, plan, source, dest, config)
        tick("media tables", total)
    for config, members in plan.groups.items():
        tables[config] = write_files_config(config, members, plan, source, dest)
        tick("media configs", total)
    for name in plan.plain:
        target = dest / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target)
        tick("files copied", total)
    log.debug("%s v%s %s: %d table(s), %d media config(s), %d file(s) written", spec.id, version, kind,
              len(table_names), len(plan.links) + len(plan.groups), len(plan.plain))
    manifest: dict[str, Any] = {
        "format": 2,
        "competition_id": spec.id,
        "kind": "private" if private else "public",
        "version": version,
        "tables": tables,
        "zips": plan.zips,
        "provenance": {k: v for k, v in provenance.items() if k in STORED_PROVENANCE},
        "originals": {name: sha256_file(source / name) for name in files},
    }
    (dest / "README.md").write_text(dataset_card(spec, manifest, private, split_rule, folder=dest), encoding="utf-8")
    names = [r for r in list_files(dest) if not r.startswith(".git/") and r != MANIFEST]
    digests = checksum_files(dest, names)
    manifest["files"] = {n: {"sha256": digests[n], "size": (dest / n).stat().st_size} for n in names}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def is_table_file(name: str, folder: Path | None = None) -> bool:
    """Whether a top-level file of a prepared folder is stored as a table (parquet config).

    Parameters
    ----------
    name : str
        The file name.
    folder : Path, optional
        The folder holding it: a ``.json`` file is a table only when it holds a list of records (read from here).

    >>> [is_table_file(n) for n in ("train.csv", "en_train.csv.zip", "images.zip", "notes.txt")]
    [True, True, False, False]
    """
    from schemas.prepared import TABLE_SUFFIXES, is_table

    lower = name.lower()
    if "/" in name or not (lower.endswith(TABLE_SUFFIXES) or lower.endswith(".csv.zip")):
        return False
    return folder is None or not lower.endswith(".json") or is_table(folder / name)


def _open_csv_source(path: Path):
    """A binary file object of the CSV in ``path`` (a plain CSV, or a zip holding exactly one CSV)."""
    if not path.name.lower().endswith(".zip"):
        return open(path, "rb")
    zf = zipfile.ZipFile(path)
    members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
    if len(members) != 1:
        zf.close()
        raise DataError(f"{path.name} holds {len(members)} CSV files; a zipped table must hold exactly one")
    return zf.open(members[0])


def _csv_batches(path: Path, types: dict[str, pa.DataType]) -> Iterator[pa.RecordBatch]:
    read = pacsv.ReadOptions(block_size=CSV_BLOCK)
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    with _open_csv_source(path) as source:
        reader = pacsv.open_csv(source, read_options=read, convert_options=convert)
        yield pa.RecordBatch.from_pylist([], schema=reader.schema)
        for batch in reader:
            yield batch


_BAD_COLUMN = re.compile(r"In CSV column #(\d+): .*conversion error to (\w+)")


def write_table(path: Path, out_dir: Path, config: str, id_columns: tuple[str, ...]) -> dict[str, Any]:
    """Convert a table file to parquet shards ``<config>-0000i-of-0000N.parquet``, streaming; return its entry.

    CSV files are read block by block (memory stays bounded whatever the size); id columns stay strings; a
    column whose type guessed from the first block fails later is widened (int -> float -> string).

    Parameters
    ----------
    path : Path
        A CSV, parquet, JSON or JSONL table.
    out_dir : Path
        Folder for the shards (``data/<config>``).
    config : str
        The config name (used in shard names).
    id_columns : tuple of str
        Columns always read as strings.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "t.csv").write_text("id,y\\n007,1\\n008,2.5\\n")
    >>> entry = write_table(d / "t.csv", d / "data" / "t", "t", ("id",))
    >>> entry["rows"], entry["columns"], entry["shards"]
    (2, ['id', 'y'], ['data/t/t-00000-of-00001.parquet'])
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if path.name.lower().endswith((".csv", ".csv.zip")):
        with _open_csv_source(path) as source:
            header = pacsv.open_csv(source).schema.names
        types = {c: pa.string() for c in id_columns if c in header}
        for _ in range(2 * len(header) + 1):
            try:
                return _write_shards(_csv_batches(path, types), out_dir, config, path.name)
            except pa.ArrowInvalid as err:
                match = _BAD_COLUMN.search(str(err))
                if not match:
                    raise DataError(f"{path.name} cannot be read as CSV: {err}") from None
                column = header[int(match.group(1))]
                types[column] = pa.float64() if match.group(2).startswith(("int", "uint")) else pa.string()
        raise DataError(f"{path.name}: column types could not be settled")
    from schemas.prepared import read_table

    table = read_table(path, string_columns=id_columns)
    batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    return _write_shards(iter(batches), out_dir, config, path.name)


def _row_groups(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Gather batches into tables of about ``ROW_GROUP_ROWS`` rows (the first one may be empty: the schema)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if not pending and count == 0 and batch.num_rows == 0:
            yield pa.Table.from_batches([batch])
            count = -1
            continue
        pending.append(batch)
        count = max(count, 0) + batch.num_rows
        if count >= ROW_GROUP_ROWS:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _write_shards(batches: Iterator[pa.RecordBatch], out_dir: Path, config: str, source: str) -> dict[str, Any]:
    for old in [*out_dir.glob("*.parquet"), *out_dir.glob(".part-*")]:
        old.unlink()
    written: list[Path] = []
    writer, rows_in_shard, rows, schema = None, 0, 0, None
    try:
        for table in _row_groups(batches):
            schema = schema or table.schema
            if writer is None or rows_in_shard >= SHARD_ROWS:
                if writer is not None:
                    writer.close()
                written.append(out_dir / f".part-{len(written):05d}")
                writer = pq.ParquetWriter(written[-1], table.schema, compression="zstd")
                rows_in_shard = 0
            if table.num_rows:
                writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            rows_in_shard += table.num_rows
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    shards = []
    for i, part in enumerate(written):
        final = out_dir / f"{config}-{i:05d}-of-{len(written):05d}.parquet"
        os.replace(part, final)
        shards.append(f"data/{out_dir.name}/{final.name}")
    return {"source": source, "rows": rows, "columns": list(schema.names) if schema else [], "shards": shards}
