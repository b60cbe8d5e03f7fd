"""Publishing a stored version to the Hugging Face Hub: the public repository, and the answers apart.

The public and private data are separate git repositories in the store, so the public upload can only
carry public files; before uploading we still check that no public file is a copy of an answers file.
"""

from __future__ import annotations

from typing import Any

from mle_datasets.errors import DataError, StoreError
from mle_datasets.store import Store

__all__ = ["publish"]

_IGNORE = [".git", ".git/*", ".git/**"]
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
            answers: bool = True, store: Store | None = None, api: Any = None, token: str | None = None) -> dict[str, str]:
    """Upload a stored version to the Hub: files and a ``v<version>`` tag; the answers to a private repository.

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

    Returns
    -------
    dict
        ``repo_id``, ``revision`` (public commit on the Hub), ``tag`` and, with answers, ``private_repo_id``.

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
        _check_no_answers(public, store.manifest(competition_id, version, private=True), competition_id)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    result["revision"] = _upload(api, repo_id, public_dir, tag, private=False,
                                 message=f"{competition_id} public data {tag}")
    if answers:
        private_repo_id = private_repo_id or f"{repo_id}-private"
        _upload(api, private_repo_id, private_dir, tag, private=True, message=f"{competition_id} answers {tag}")
        result["private_repo_id"] = private_repo_id
    return result


def _upload(api: Any, repo_id: str, folder: Any, tag: str, private: bool, message: str) -> str:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=str(folder),
                                 commit_message=message, ignore_patterns=_IGNORE)
        api.create_tag(repo_id, tag=tag, repo_type="dataset", revision=getattr(info, "oid", None), exist_ok=True)
    except HfHubHTTPError as err:
        raise StoreError(f"publishing to {repo_id} failed: {err}; check the token's write access") from None
    return str(getattr(info, "oid", ""))
