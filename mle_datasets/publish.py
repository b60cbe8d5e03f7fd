"""Publishing a stored version to the Hugging Face Hub: the public repository, and the answers apart.

The public and private data are separate git repositories in the store, so the public upload can only
carry public files; before uploading we still check that no public file is a copy of an answers file.
The public repository gets the version's files as stored plus the competition's final leaderboard as its own
config (``leaderboard``), so that :func:`mle_datasets.hub.prepare_from_hub` needs nothing but the Hub.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from mle_datasets.errors import DataError, StoreError
from mle_datasets.hub import LEADERBOARD_CONFIG, LEADERBOARD_PATH, private_repo_name
from mle_datasets.store import MANIFEST, Store

__all__ = ["publish"]

_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of no bytes


def _check_no_answers(public: dict[str, Any], private: dict[str, Any], competition_id: str) -> None:
    public_sums = {entry["sha256"] for entry in public["files"].values()} | set(public["originals"].values())
    leaked = [name for name, sha in private["originals"].items() if sha in public_sums and sha != _EMPTY]
    if leaked:
        raise DataError(
            f"refusing to publish {competition_id}: public files equal the private file(s) {leaked}; "
            "re-prepare the competition"
        )


def publish(competition_id: str, repo_id: str, version: str | None = None, *, private_repo_id: str | None = None,
            answers: bool = True, store: Store | None = None, api: Any = None, token: str | None = None,
            leaderboards: str | Path | None = None) -> dict[str, str]:
    """Upload a stored version to the Hub: files, the leaderboard config and a ``v<version>`` tag; the answers
    to a private repository.

    Each version is one commit on ``main``: files a version no longer has are deleted, so the ``data/*``
    patterns of the card match the version's shards only.

    Parameters
    ----------
    competition_id : str
        The competition id.
    repo_id : str
        The public dataset repository (``ORG/NAME``), created when missing.
    version : str, optional
        The stored version (the latest when None).
    private_repo_id : str, optional
        The answers repository, created private (default ``<repo_id>-private``).
    answers : bool
        Also upload the answers repository.
    store : Store, optional
        The local store.
    api : huggingface_hub.HfApi, optional
        The client (made with ``token`` when omitted; ``HF_ENDPOINT`` selects the server).
    token : str, optional
        A Hub token with write access.
    leaderboards : path-like, optional
        The folder holding the leaderboard (default: where :func:`competitions.leaderboard` looks); a
        competition without one is published without the ``leaderboard`` config (``leaderboard`` is then '').

    Returns
    -------
    dict
        ``repo_id``, ``revision`` (public commit on the Hub), ``tag``, ``leaderboard`` (the file published)
        and, with answers, ``private_repo_id`` and ``private_revision``.

    >>> import tempfile
    >>> publish("spaceship-titanic", "me/spaceship", store=Store(tempfile.mkdtemp()), api=object())
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownVersionError: spaceship-titanic is not in the store at ...
    """
    store = store or Store()
    version = store.resolve_version(competition_id, version)
    public_dir = store.verify(competition_id, version)
    public = store.manifest(competition_id, version)
    if public.get("kind") != "public":
        raise StoreError(f"{public_dir} is not a public repository; refusing to publish it")
    tag = f"v{version}"
    result = {"repo_id": repo_id, "tag": tag}
    if answers:
        private_dir = store.verify(competition_id, version, private=True)
        private = store.manifest(competition_id, version, private=True)
        _check_no_answers(public, private, competition_id)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    board = _find_board(competition_id, leaderboards)
    result["leaderboard"] = str(board or "")
    with tempfile.TemporaryDirectory(prefix="mle-bench-publish-") as scratch:
        staged = _stage(public_dir, public, board, Path(scratch) / "public")
        result["revision"] = _upload(api, repo_id, staged, tag, private=False,
                                     message=f"{competition_id} public data {tag}")
        if answers:
            private_repo_id = private_repo_id or private_repo_name(repo_id)
            staged = _stage(private_dir, private, None, Path(scratch) / "private")
            result["private_revision"] = _upload(api, private_repo_id, staged, tag, private=True,
                                                 message=f"{competition_id} answers {tag}")
            result["private_repo_id"] = private_repo_id
    return result


def _find_board(competition_id: str, folder: str | Path | None) -> Path | None:
    from competitions.leaderboards import LeaderboardNotFound, find_leaderboard

    try:
        return find_leaderboard(competition_id, folder)
    except LeaderboardNotFound:
        return None


def _stage(folder: Path, manifest: dict[str, Any], board: Path | None, dest: Path) -> Path:
    """The folder uploaded as a repository: the version's files (hard links where possible) and, with a
    leaderboard, its table as the ``leaderboard`` config (the card gains that config, nothing else)."""
    from mle_datasets.cards import add_config
    from mle_datasets.store import write_table

    for name in [*manifest["files"], MANIFEST]:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.hardlink_to(folder / name)
        except OSError:
            shutil.copyfile(folder / name, target)
    if board is not None:
        out = dest / Path(LEADERBOARD_PATH).parent
        entry = write_table(board, out, LEADERBOARD_CONFIG, ())
        if entry["shards"] != [LEADERBOARD_PATH]:
            raise StoreError(f"the leaderboard {board} became {entry['shards']}, expected one shard")
        readme = dest / "README.md"
        text = readme.read_text(encoding="utf-8")
        readme.unlink()  # a hard link to the store's card: replace it, never write through it
        readme.write_text(add_config(text, LEADERBOARD_CONFIG, f"{Path(LEADERBOARD_PATH).parent}/*.parquet"),
                          encoding="utf-8")
    return dest


def _upload(api: Any, repo_id: str, folder: Any, tag: str, private: bool, message: str) -> str:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=str(folder),
                                 commit_message=message, delete_patterns=["*", "**/*"])
        api.create_tag(repo_id, tag=tag, repo_type="dataset", revision=info.oid, exist_ok=True)
    except HfHubHTTPError as err:
        raise StoreError(f"publishing to {repo_id} failed: {err}; check the token's write access") from None
    except ValueError as err:  # the server refused the card's metadata
        raise StoreError(f"publishing to {repo_id} failed: {err}") from None
    return str(info.oid)
