"""A local Hub write endpoint for the publish tests: the part of the Hub's HTTP API that ``HfApi.create_repo``,
``upload_folder`` (regular, non-LFS uploads) and ``create_tag`` call, kept in plain git repositories.

No Hub-compatible server that accepts uploads runs here (olah is a read mirror), so the tests publish through
this one and read the result back through olah, which serves the same folder (``<root>/datasets/<org>/<name>``).
Each request is answered the way the Hub answers it (JSON shapes, 409 for an existing repo or tag, 400 with
``errors`` for a card whose metadata ``huggingface_hub`` / ``datasets`` cannot parse).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ENV = {"GIT_AUTHOR_NAME": "hub", "GIT_AUTHOR_EMAIL": "hub@localhost", "GIT_COMMITTER_NAME": "hub",
        "GIT_COMMITTER_EMAIL": "hub@localhost", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-C", str(repo),
                           *args], capture_output=True, text=True, env={**os.environ, **_ENV})
    if proc.returncode != 0:
        raise RuntimeError(f"git {args[0]}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def make_app(root: Path, base_url: str) -> Starlette:
    """The app serving write requests for repositories under ``root``."""
    lock = threading.Lock()

    def repo_path(request: Request) -> Path:
        p = request.path_params
        return root / p["kind"] / p["org"] / p["name"]

    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        kind = f"{body.get('type') or 'model'}s"
        repo = root / kind / body["organization"] / body["name"]
        url = f"{base_url}/{kind}/{body['organization']}/{body['name']}"
        with lock:
            if repo.exists():
                return JSONResponse({"error": "You already created this dataset repo", "url": url}, status_code=409)
            repo.mkdir(parents=True)
            _git(repo, "init", "--quiet")
            _git(repo, "config", "hub.visibility", body.get("visibility") or "public")
            (repo / ".gitattributes").write_text("")
            _git(repo, "add", "--all")
            _git(repo, "commit", "--quiet", "-m", "initial commit")
        return JSONResponse({"url": url, "name": f"{body['organization']}/{body['name']}"})

    async def validate_yaml(request: Request) -> JSONResponse:
        from mle_datasets.cards import check_card
        from mle_datasets.errors import DataError

        body = await request.json()
        try:
            check_card(body["content"])
        except DataError as err:
            return JSONResponse({"errors": [{"message": str(err)}], "warnings": []}, status_code=400)
        return JSONResponse({"errors": [], "warnings": []})

    async def preupload(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                       for f in body["files"]]})

    async def tree(request: Request) -> JSONResponse:
        repo = repo_path(request)
        if not repo.is_dir():
            return JSONResponse({"error": "Repository not found"}, status_code=404)
        rev = request.path_params["rev"]
        lines = _git(repo, "ls-tree", "-r", "-l", rev).splitlines()
        entries = []
        for line in lines:
            meta, path = line.split("\t", 1)
            _, _, oid, size = meta.split()
            entries.append({"type": "file", "oid": oid, "size": int(size), "path": path})
        return JSONResponse(entries)

    async def commit(request: Request) -> JSONResponse:
        repo = repo_path(request)
        if not repo.is_dir():
            return JSONResponse({"error": "Repository not found"}, status_code=404)
        items = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        header = next(i["value"] for i in items if i["key"] == "header")
        with lock:
            for item in items:
                value = item["value"]
                if item["key"] == "file":
                    target = repo / value["path"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(base64.b64decode(value["content"]))
                elif item["key"] == "deletedFile":
                    (repo / value["path"]).unlink(missing_ok=True)
                elif item["key"] == "deletedFolder":
                    shutil.rmtree(repo / value["path"], ignore_errors=True)
                elif item["key"] != "header":
                    return JSONResponse({"error": f"unsupported operation {item['key']}"}, status_code=400)
            _git(repo, "add", "--all")
            message = header["summary"] + (f"\n\n{header['description']}" if header.get("description") else "")
            _git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
            sha = _git(repo, "rev-parse", "HEAD")
        p = request.path_params
        return JSONResponse({"commitUrl": f"{base_url}/{p['kind']}/{p['org']}/{p['name']}/commit/{sha}",
                             "commitOid": sha})

    async def tag(request: Request) -> JSONResponse:
        repo = repo_path(request)
        body = await request.json()
        with lock:
            if _git(repo, "tag", "--list", body["tag"]):
                return JSONResponse({"error": f"Tag {body['tag']} already exists"}, status_code=409)
            _git(repo, "tag", body["tag"], request.path_params["rev"])
        return JSONResponse({})

    repo_route = "/api/{kind}/{org}/{name}"
    return Starlette(routes=[
        Route("/api/repos/create", create, methods=["POST"]),
        Route("/api/validate-yaml", validate_yaml, methods=["POST"]),
        Route(repo_route + "/preupload/{rev}", preupload, methods=["POST"]),
        Route(repo_route + "/tree/{rev}", tree, methods=["GET"]),
        Route(repo_route + "/commit/{rev}", commit, methods=["POST"]),
        Route(repo_route + "/tag/{rev}", tag, methods=["POST"]),
    ])


def visibility(repo: Path) -> str:
    """``public`` or ``private``: what ``create_repo`` asked for the repository at ``repo``."""
    return _git(repo, "config", "hub.visibility")


def tags(repo: Path) -> dict[str, str]:
    """The tags of a repository and their commits."""
    return {t: _git(repo, "rev-parse", f"{t}^{{commit}}") for t in _git(repo, "tag", "--list").split()}


def files(repo: Path, rev: str = "HEAD") -> set[str]:
    """The files of a commit."""
    return set(_git(repo, "ls-tree", "-r", "--name-only", rev).splitlines())


class HubWriter:
    """``with HubWriter(root) as url:`` serves :func:`make_app` on a free loopback port in a thread."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(make_app(self.root, url), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the hub writer did not start")
            time.sleep(0.05)
        return url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
