"""The data subcommands of ``mle-bench``: ``prepare``, ``materialize``, ``publish``.

``prepare`` takes each competition from its raw Kaggle download (``--raw``: the zip, the folder it unzips to,
or a folder holding ``<id>.zip`` / ``<id>/`` for several competitions; without ``--raw``, the Kaggle API),
prepares it the MLE-bench v1 way and adds it to the versioned store. One failing competition is reported
and the others go on; the exit code is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from mle_datasets.errors import DataError

__all__ = ["add_commands", "cmd_prepare", "cmd_materialize", "cmd_publish", "competition_ids", "raw_source",
           "IGNORED_PREPARE_FLAGS"]

#: MLE-bench's ``prepare`` options that have no work to do here, and the one line said when one is given
IGNORED_PREPARE_FLAGS = {
    "--keep-raw": "the raw download is never kept; pass --raw DIR to prepare from a folder you keep",
    "--skip-verification": "nothing to skip: the raw files' sha256 are recorded in the store, not compared "
                           "with a list of MLE-bench's",
    "--overwrite-checksums": "nothing to overwrite: each stored version records its own checksums",
    "--overwrite-leaderboard": "leaderboards are not written by prepare; use `leaderboards download --force`",
}


def add_commands(sub: Any) -> None:
    """Add ``prepare``, ``materialize`` and ``publish`` to an argparse subparsers object.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``mle-bench`` subparsers.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_commands(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["prepare", "-c", "spooky-author-identification", "--raw", "x.zip"])
    >>> args.competition_id, args.raw
    ('spooky-author-identification', 'x.zip')
    """
    p = sub.add_parser("prepare", help="prepare competitions from their raw Kaggle data into the store",
                       description="Prepare competitions the MLE-bench v1 way from their raw Kaggle download "
                       "(--raw: the zip, the folder it unzips to, or for several competitions a folder holding "
                       "<id>.zip or <id>/; without --raw, the Kaggle API after accepting each competition's "
                       "rules at https://www.kaggle.com/c/<id>/rules) and add them to the versioned store. "
                       "A failing competition is reported and the others go on (exit code 1).")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("-c", "--competition-id", help="one competition id")
    group.add_argument("--lite", action="store_true", help="the 22 lite competitions")
    group.add_argument("-a", "--all", action="store_true", help="the 75 competitions")
    group.add_argument("-l", "--list", dest="id_list", metavar="FILE", help="a file with one competition id per line")
    p.add_argument("--raw", metavar="PATH", help="the Kaggle zip or its folder (several competitions: a folder "
                   "holding <id>.zip or <id>/); default: a download MLE-bench left in its data folder "
                   "(<data-dir>/<id>/raw or <id>.zip), else the Kaggle API")
    p.add_argument("--data-dir", metavar="DIR", help="keep each prepared folder as DIR/<id>/prepared "
                   "(default: a temporary folder, removed once stored)")
    p.add_argument("--store", metavar="DIR", help="the store (default $MLE_BENCH_HOME or ~/.cache/open-mle-bench)")
    p.add_argument("--force", action="store_true", help="prepare again even when already prepared")
    p.add_argument("--from-hub", metavar="ORG", help="take each competition from the Hub instead of Kaggle: "
                   "ORG/<id> and ORG/<id>-private as `mle-bench publish` made them, every file checked against "
                   "its manifest (HF_ENDPOINT selects the server)")
    p.add_argument("--version", help="with --from-hub: the version to take (default: the latest tag)")
    p.add_argument("--json", action="store_true", help="print JSON")
    for flag, note in IGNORED_PREPARE_FLAGS.items():
        p.add_argument(flag, action="store_true", help=f"MLE-bench's option, accepted: {note}")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("materialize", help="write a stored competition's public folder (what an agent sees)")
    p.add_argument("-c", "--competition-id", required=True, help="the competition id")
    p.add_argument("dest", help="folder to write (must be empty unless --force)")
    p.add_argument("--version", help="the version (default: the latest stored)")
    p.add_argument("--store", metavar="DIR", help="the store")
    p.add_argument("--force", action="store_true", help="replace dest")
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("publish", help="upload a stored version to the Hugging Face Hub (answers to a private repo)")
    p.add_argument("-c", "--competition-id", required=True, help="the competition id")
    p.add_argument("--repo", required=True, metavar="ORG/NAME", help="the public dataset repository")
    p.add_argument("--private-repo", metavar="ORG/NAME", help="the answers repository (default <repo>-private)")
    p.add_argument("--no-answers", action="store_true", help="upload only the public repository")
    p.add_argument("--version", help="the version (default: the latest stored)")
    p.add_argument("--store", metavar="DIR", help="the store")
    p.add_argument("--token", help="a Hub token with write access (default: the logged-in one)")
    p.set_defaults(func=cmd_publish)


def competition_ids(args: argparse.Namespace) -> list[str]:
    """The competition ids a ``prepare`` command line asks for.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``prepare`` arguments.

    >>> competition_ids(argparse.Namespace(competition_id="a", lite=False, all=False, id_list=None))
    ['a']
    """
    if args.competition_id:
        return [args.competition_id]
    if args.id_list:
        try:
            text = Path(args.id_list).read_text(encoding="utf-8")
        except OSError as err:
            raise DataError(f"cannot read the id list {args.id_list}: {err}") from None
        return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    import competitions

    return competitions.ids("lite" if args.lite else "all")


def raw_source(raw: str | None, competition_id: str, several: bool, data_dir: str | None = None) -> Path | None:
    """The raw data of one competition, or None to download it with the Kaggle API.

    With ``--raw``: that zip or folder itself, or (several competitions) its ``<id>.zip`` / ``<id>/`` inside it.
    Without: a download MLE-bench already left in its data folder (``--data-dir``, else
    ``~/.cache/mle-bench/data``): ``<id>/raw/`` if it holds files, else ``<id>/<id>.zip``.

    Parameters
    ----------
    raw : str or None
        The ``--raw`` argument.
    competition_id : str
        The competition.
    several : bool
        Whether the command prepares several competitions.
    data_dir : str, optional
        The ``--data-dir`` argument.

    >>> import tempfile
    >>> raw_source(None, "x", several=True, data_dir=tempfile.mkdtemp()) is None
    True
    """
    if raw is None:
        from mle_datasets.handoff import mle_bench_data_dir

        folder = (Path(data_dir) if data_dir else mle_bench_data_dir()) / competition_id
        if (folder / "raw").is_dir() and any((folder / "raw").iterdir()):
            return folder / "raw"
        if (folder / f"{competition_id}.zip").is_file():
            return folder / f"{competition_id}.zip"
        return None
    base = Path(raw)
    if not several:
        return base
    for candidate in (base / f"{competition_id}.zip", base / competition_id / "raw", base / competition_id):
        if candidate.exists():
            return candidate
    raise DataError(f"no raw data for {competition_id} in {base}: expected {competition_id}.zip or {competition_id}/")


def _progress(items: list[str], enabled: bool):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with datasets
        return items
    return tqdm(items, desc="prepare", unit="competition", disable=not enabled, file=sys.stderr)


def cmd_prepare(args: argparse.Namespace) -> int:
    """Prepare and store each competition asked for; print one line (or JSON record) per competition."""
    import json

    import importlib

    from mle_datasets.store import Store

    prep = importlib.import_module("mle_datasets.prepare")  # the module (the package exports the function)
    store = Store(args.store)
    for flag, note in IGNORED_PREPARE_FLAGS.items():
        if getattr(args, flag.lstrip("-").replace("-", "_"), False):
            print(f"note: {flag} is accepted for MLE-bench's sake: {note}", file=sys.stderr)
    try:
        ids = competition_ids(args)
    except DataError as err:
        print(f"mle-bench prepare: error: {err}", file=sys.stderr)
        return 2
    results, failed = [], 0
    bar = _progress(ids, enabled=len(ids) > 1 and not args.json)
    write = getattr(bar, "write", None)  # tqdm prints lines above its bar
    for cid in bar:
        record: dict[str, Any] = {"competition_id": cid}
        try:
            prep.get_spec(cid)
            if args.from_hub:
                record.update(_from_hub(cid, args, store))
            else:
                source = raw_source(args.raw, cid, several=len(ids) > 1, data_dir=args.data_dir)
                with tempfile.TemporaryDirectory(prefix="mle-bench-prepare-") as scratch:
                    out = Path(args.data_dir) / cid / "prepared" if args.data_dir else Path(scratch) / cid
                    prepared = prep.prepare(cid, source, out, overwrite=args.force)
                    stored = store.add(prepared)
                record.update(status="ok", version=stored["version"], revision=stored["revision"])
        except DataError as err:
            failed += 1
            record.update(status="failed", error=str(err))
        results.append(record)
        if not args.json:
            line = (f"{cid}: v{record['version']} stored (revision {record['revision'][:12]})"
                    if record["status"] == "ok" else f"{cid}: FAILED: {record['error']}")
            stream = sys.stdout if record["status"] == "ok" else sys.stderr
            if write is not None and len(ids) > 1:
                write(line, file=stream)
            else:
                print(line, file=stream)
    if args.json:
        print(json.dumps(results, indent=1))
    return 1 if failed else 0


def _from_hub(cid: str, args: argparse.Namespace, store: Any) -> dict[str, Any]:
    from mle_datasets.hub import prepare_from_hub

    got = prepare_from_hub(cid, args.from_hub, args.version, store=store)
    return {"status": "ok", "version": got.version, "revision": got.revision, "hub_revision": got.hub_revision,
            "leaderboard": str(got.leaderboard or "")}


def cmd_materialize(args: argparse.Namespace) -> int:
    """Write a stored competition's public folder to ``args.dest``."""
    from mle_datasets.load import materialize
    from mle_datasets.store import Store

    try:
        dest = materialize(args.competition_id, args.dest, args.version, store=Store(args.store), overwrite=args.force)
    except DataError as err:
        print(f"mle-bench materialize: error: {err}", file=sys.stderr)
        return 1
    print(f"{args.competition_id}: public folder written to {dest}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Upload a stored version to the Hub."""
    from mle_datasets.publish import publish
    from mle_datasets.store import Store

    try:
        result = publish(args.competition_id, args.repo, args.version, private_repo_id=args.private_repo,
                         answers=not args.no_answers, store=Store(args.store), token=args.token)
    except DataError as err:
        print(f"mle-bench publish: error: {err}", file=sys.stderr)
        return 1
    print(f"{args.competition_id}: published {result['tag']} to {result['repo_id']}"
          + (f", answers to {result['private_repo_id']}" if "private_repo_id" in result else ""))
    return 0
