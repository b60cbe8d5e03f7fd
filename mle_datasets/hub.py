"""Competitions on a Hugging Face Hub: the published versions of a repository, and preparing a competition from
its published repositories alone (``mle-bench prepare -c ID --from-hub ORG``), with no Kaggle account.

A competition published by :func:`mle_datasets.publish` lives in ``ORG/<id>`` (public data, a ``leaderboard``
config beside the tables) and ``ORG/<id>-private`` (answers), one tag ``v<version>`` per version. ``HF_ENDPOINT``
(or ``endpoint``) selects the server.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mle_datasets.errors import DataError, UnknownVersionError
from mle_datasets.store import Store, is_version, versions_of_tags

__all__ = ["LEADERBOARD_CONFIG", "LEADERBOARD_PATH", "FromHub", "hub_tags", "hub_versions", "tag_commit", "prepare_from_hub",
           "private_repo_name"]

#: the public repository's config holding the competition's final Kaggle leaderboard
LEADERBOARD_CONFIG = "leaderboard"
LEADERBOARD_PATH = "data/leaderboard/leaderboard-00000-of-00001.parquet"


def private_repo_name(repo_id: str) -> str:
    """The answers repository beside a public one.

    >>> private_repo_name("org/spooky-author-identification")
    'org/spooky-author-identification-private'
    """
    return f"{repo_id}-private"


def _api(api: Any = None, endpoint: str | None = None, token: str | None = None) -> Any:
    if api is not None:
        return api
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint, token=token)


def hub_tags(repo_id: str, api: Any = None) -> dict[str, str]:
    """The tags of a Hub dataset repository and the commit each points at.

    Raises :class:`DataError` when the repository cannot be reached or does not exist.
    """
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    missing = DataError(f"no dataset repository {repo_id!r} on the Hub at this endpoint (or it is private: log in)")
    try:
        refs = _api(api).list_repo_refs(repo_id, repo_type="dataset")
    except RepositoryNotFoundError:
        raise missing from None
    except HfHubHTTPError as err:
        if getattr(err.response, "status_code", None) == 404:  # a mirror answers 404 for refs it does not have
            raise missing from None
        raise DataError(f"cannot list the versions of {repo_id} on the Hub: {err}") from None
    except OSError as err:
        raise DataError(f"cannot reach the Hub to list the versions of {repo_id}: {err}") from None
    return {t.name: t.target_commit for t in refs.tags}


def hub_versions(tags: dict[str, str]) -> list[str]:
    """The versions among a repository's tags (``v<dotted numbers>``), oldest first.

    >>> hub_versions({"v1.10.0": "a", "v1.2.0": "b", "draft": "c"})
    ['1.2.0', '1.10.0']
    """
    return versions_of_tags(tags)


def tag_commit(repo_id: str, version: str | None, api: Any = None) -> tuple[str, str]:
    """``(version, commit)`` of tag ``v<version>`` in a Hub repository (the latest version when None).

    Raises :class:`UnknownVersionError` naming the published versions when the tag is missing.
    """
    tags = hub_tags(repo_id, api)
    known = hub_versions(tags)
    if version is None:
        if not known:
            raise UnknownVersionError(f"{repo_id} has no version tag (v<version>) on the Hub")
        version = known[-1]
    tag = f"v{version.removeprefix('v')}"
    if tag not in tags:
        raise UnknownVersionError(f"{repo_id} has no version {tag!r} on the Hub; published: {', '.join(known) or 'none'}")
    return tag[1:], tags[tag]


@dataclass(frozen=True)
class FromHub:
    """What :func:`prepare_from_hub` stored: the version, the local commits, the Hub commits, the leaderboard."""

    competition_id: str
    version: str
    revision: str
    private_revision: str
    hub_revision: str
    leaderboard: Path | None


def prepare_from_hub(competition_id: str, org: str, version: str | None = None, *, store: Store | None = None,
                     endpoint: str | None = None, token: str | None = None, api: Any = None) -> FromHub:
    """Download a published competition (``ORG/<id>`` and ``ORG/<id>-private`` at tag ``v<version>``), check
    every file against its manifest's sha256, and add it to the local store as that version; the public repo's
    ``leaderboard`` config becomes the competition's leaderboard file.

    Parameters
    ----------
    competition_id : str
        The competition id.
    org : str
        The Hub organisation (or user) it was published under.
    version : str, optional
        The version (the latest tag when None).
    store : Store, optional
        The local store.
    endpoint : str, optional
        The Hub server (default ``HF_ENDPOINT``, else huggingface.co).
    token : str, optional
        A token that can read the private repository.
    api : huggingface_hub.HfApi, optional
        The client (made from ``endpoint`` and ``token`` when omitted).

    >>> prepare_from_hub("toy", "org", "not-a-version")
    Traceback (most recent call last):
    ...
    mle_datasets.errors.UnknownVersionError: 'not-a-version' is not a version such as 1.0.0
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    if version is not None and not is_version(version.removeprefix("v")):
        raise UnknownVersionError(f"{version!r} is not a version such as 1.0.0")
    store = store or Store()
    api = _api(api, endpoint, token)
    repo = f"{org}/{competition_id}"
    version, hub_commit = tag_commit(repo, version, api)
    _, private_commit = tag_commit(private_repo_name(repo), version, api)
    store.root.mkdir(parents=True, exist_ok=True)
    # downloaded beside the store, so a large competition is never held twice on a small /tmp
    with tempfile.TemporaryDirectory(prefix=".from-hub-", dir=store.root) as scratch:
        folders = {}
        for name, commit in ((repo, hub_commit), (private_repo_name(repo), private_commit)):
            dest = Path(scratch) / name.replace("/", "--")
            try:
                snapshot_download(name, repo_type="dataset", revision=commit, local_dir=dest,
                                  endpoint=api.endpoint, token=token, cache_dir=Path(scratch) / "cache")
            except (HfHubHTTPError, OSError) as err:
                raise DataError(f"cannot download {name}@v{version} from the Hub: {err}") from None
            shutil.rmtree(dest / ".cache", ignore_errors=True)
            folders[name] = dest
        scores = _take_leaderboard(folders[repo])
        stored = store.add_repo(competition_id, version, folders[repo], folders[private_repo_name(repo)])
    board = None
    if scores is not None:
        from competitions.leaderboards import save_leaderboard

        board = save_leaderboard(competition_id, scores, dest=store.root / "leaderboards")
    return FromHub(competition_id, version, stored["revision"], stored["private_revision"], hub_commit, board)


def _take_leaderboard(public: Path) -> list[float] | None:
    """Take the published leaderboard out of a downloaded public repository, putting back the README the store
    wrote (the card without the ``leaderboard`` config); return its scores, best first (None: none published)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from competitions.leaderboards import LeaderboardError, read_leaderboard_file
    from mle_datasets.cards import remove_config

    readme = public / "README.md"
    board = public / LEADERBOARD_PATH
    if not readme.is_file() or not board.is_file():
        return None
    readme.write_text(remove_config(readme.read_text(encoding="utf-8"), LEADERBOARD_CONFIG), encoding="utf-8")
    csv_path = public / "leaderboard.csv"
    pacsv.write_csv(pq.read_table(board), csv_path)
    try:
        scores = read_leaderboard_file(csv_path)["score"].tolist()
    except LeaderboardError as err:
        raise DataError(f"the published leaderboard is unusable: {err}") from None
    csv_path.unlink()
    shutil.rmtree(board.parent)
    return scores
