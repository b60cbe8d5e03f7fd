"""Fixtures for the runner tests: prepared competitions made from synthetic cases, and a real Docker engine."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import competitions
from competitions.graders import get_grader
from runner.rungroup import CompetitionData

SECRET_MARKER = "ANSWER-SECRET-4f1c"
TWO_COMPETITIONS = ("leaf-classification", "spooky-author-identification")


def write_prepared(data_dir: Path, competition_id: str, n_rows: int = 40) -> CompetitionData:
    """Write a synthetic prepared competition in MLE-bench's layout and return where its files are."""
    comp = competitions.get(competition_id)
    case = get_grader(comp.grader).synthetic(comp, n_rows, np.random.default_rng(0))
    prepared = data_dir / competition_id / "prepared"
    answers = prepared / comp.answers
    sample = prepared / comp.sample_submission
    answers.parent.mkdir(parents=True, exist_ok=True)
    sample.parent.mkdir(parents=True, exist_ok=True)
    (prepared / "public").mkdir(parents=True, exist_ok=True)
    (prepared / "private").mkdir(parents=True, exist_ok=True)
    case.answers.to_csv(answers, index=False)
    # A marker only the private folder holds, so tests can prove answers never reach an agent.
    (prepared / "private" / "secret.txt").write_text(SECRET_MARKER)
    case.sample_submission.to_csv(sample, index=False)
    (prepared / "public" / "description.md").write_text(f"# {comp.name}\n")
    (prepared / "revision").write_text("test\n")
    return CompetitionData(competition_id, prepared / "public", answers, sample, dataset_revision="test")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    for cid in TWO_COMPETITIONS:
        write_prepared(folder, cid)
    return folder


@pytest.fixture(scope="session")
def docker_client():
    """A client for a real Docker engine (CI starts one and sets DOCKER_HOST); skipped elsewhere."""
    from runner.backends.docker import DockerUnavailable, docker_client as connect

    try:
        client = connect()
    except DockerUnavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Docker engine: {err}")
        pytest.skip(f"no Docker engine: {err}")
    return client


@pytest.fixture(scope="session")
def busybox_image(docker_client) -> str:
    from runner.images import BUSYBOX_IMAGE, build_busybox_image

    build_busybox_image(docker_client)
    return BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def python_image(docker_client) -> str:
    from runner.images import PYTHON_IMAGE, build_python_image

    cache = Path(os.environ.get("MLE_BENCH_IMAGE_CACHE", Path.home() / ".cache" / "open-mle-bench" / "images"))
    build_python_image(docker_client, cache)
    return PYTHON_IMAGE
