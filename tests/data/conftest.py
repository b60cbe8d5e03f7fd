"""Fixtures of the data tests: a session store served over HTTP by a local Hub-compatible server (olah).

Nothing reaches the internet: olah runs offline on a free loopback port and serves the store's git
repositories (``<store>/hub/datasets/<org>/<id>``) and their tags; clients reach it through ``HF_ENDPOINT``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mle_datasets.store import Store

_HUB_SCRIPT = r"""
import json, sys
from concurrent.futures import ThreadPoolExecutor
import datasets
import mle_datasets
datasets.disable_progress_bars()


def load(request):
    repo, config, revision = request
    try:
        if repo.startswith("ours:"):  # through mle_datasets.load_dataset(..., repo=...)
            version = revision[1:] if revision else None
            ds = mle_datasets.load_dataset("unused", split=config, version=version, repo=repo[5:])
        else:
            ds = datasets.load_dataset(repo, config, split=config, revision=revision)
        return {"columns": ds.column_names, "rows": ds.to_pandas().astype(str).values.tolist()}
    except Exception as err:
        return {"error": f"{type(err).__name__}: {err}"}


requests = json.loads(sys.argv[1])
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(load, requests))
print("RESULT" + json.dumps({"|".join(map(str, r)): res for r, res in zip(requests, results)}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hub_store(tmp_path_factory) -> Store:
    """A store shared by the tests that read it back through the local Hub server."""
    return Store(tmp_path_factory.mktemp("hub-store"))


@pytest.fixture(scope="session")
def hub_server(hub_store, tmp_path_factory):
    """Start olah (offline, mirrors-path = the session store's hub folder); yield its endpoint URL."""
    work = tmp_path_factory.mktemp("olah")
    port = _free_port()
    hub_store.hub_dir.mkdir(parents=True, exist_ok=True)
    (work / "olah.toml").write_text(
        "[basic]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        f'repos-path = "{work / "repos"}"\n'
        f'mirrors-path = ["{hub_store.hub_dir}"]\n'
        "metadata-cache-ttl = 0\n"
        "[accessibility]\noffline = true\n"
    )
    log = open(work / "olah.out", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "olah.server", "-c", str(work / "olah.toml"),
                             "--log-path", str(work / "logs")], cwd=work, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/api/datasets/none/none", timeout=1)
            except urllib.error.HTTPError:
                break  # the server answers (404 for a repo it does not have)
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"olah did not start: {(work / 'olah.out').read_text()[-2000:]}")
                time.sleep(0.2)
            else:
                break
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def hub_load(hub_server, tmp_path_factory):
    """``hub_load([(repo, config, revision), ...]) -> {key: {"columns", "rows"} or {"error"}}``.

    Runs ``datasets.load_dataset`` in a fresh interpreter whose ``HF_ENDPOINT`` is the local server (the
    Hub client reads it at import), with its own empty cache.
    """
    home = tmp_path_factory.mktemp("hf-home")

    def load(requests: list[tuple[str, str, str | None]]) -> dict:
        env = {**os.environ, "HF_ENDPOINT": hub_server, "HF_HOME": str(home), "HF_HUB_OFFLINE": "0",
               "HF_DATASETS_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1",
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        proc = subprocess.run([sys.executable, "-c", _HUB_SCRIPT, json.dumps(requests)], env=env,
                              capture_output=True, text=True, timeout=300)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
        assert lines, f"hub loader failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        return json.loads(lines[-1][len("RESULT"):])

    return load


def local_rows(ds) -> dict:
    """A dataset in the same comparable form as ``hub_load`` returns."""
    return {"columns": ds.column_names, "rows": ds.to_pandas().astype(str).values.tolist()}


@pytest.fixture(scope="session")
def hf_cache(tmp_path_factory) -> str:
    """A ``cache_dir`` for the local ``datasets.load_dataset`` calls, out of the user's home."""
    return str(tmp_path_factory.mktemp("hf-datasets-cache"))


def repo_path(store: Store, competition_id: str) -> Path:
    """The public repository of a competition in ``store``."""
    return store.repo_dir(competition_id)


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty store of the test's own."""
    return Store(tmp_path / "store")
