"""Leaderboard lookup (env folder, then the store with sha256) and the Kaggle download path."""

from __future__ import annotations

import io
import sys
import types
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import competitions
from competitions import leaderboards as lb
from mlebench.cli import main
from schemas.checksums import sha256_file


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLE_BENCH_LEADERBOARDS", raising=False)
    return tmp_path / "home"


def _board(folder: Path, cid: str, scores) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{cid}.csv"
    pd.DataFrame({"rank": range(1, len(scores) + 1), "score": scores}).to_csv(path, index=False)
    return path


def test_env_folder_comes_before_the_store(home, tmp_path, monkeypatch):
    lb.save_leaderboard("x", [0.1, 0.2])
    _board(tmp_path / "env", "x", [0.9, 0.8, 0.7])
    assert competitions.leaderboard("x")["score"].tolist() == [0.1, 0.2]
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(tmp_path / "env"))
    board = competitions.leaderboard("x")
    assert board["score"].tolist() == [0.9, 0.8, 0.7]
    assert board["rank"].tolist() == [1, 2, 3]


def test_falls_back_to_the_store_when_the_folder_lacks_the_file(home, tmp_path, monkeypatch):
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(tmp_path / "env"))
    lb.save_leaderboard("x", [5.0, 6.0])
    assert competitions.leaderboard("x")["score"].tolist() == [5.0, 6.0]


def test_missing_leaderboard_names_folders_and_command(home):
    with pytest.raises(lb.LeaderboardNotFound) as info:
        competitions.leaderboard("nowhere")
    text = str(info.value)
    assert "nowhere.csv" in text and str(home / "leaderboards") in text
    assert "mle-bench leaderboards download -c nowhere" in text


def test_a_folder_in_mle_benchs_layout(home, tmp_path, monkeypatch):
    folder = tmp_path / "mle-bench"
    (folder / "x").mkdir(parents=True)
    (folder / "x" / "leaderboard.csv").write_text("teamId,score\n7,0.9\n8,0.4\n")
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(folder))
    assert competitions.leaderboard("x")["score"].tolist() == [0.9, 0.4]
    assert lb.find_leaderboard("x") == folder / "x" / "leaderboard.csv"


def test_our_layout_wins_when_a_folder_holds_both(tmp_path):
    _board(tmp_path, "x", [0.1])
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "leaderboard.csv").write_text("score\n0.9\n")
    assert lb.leaderboard("x", folder=tmp_path)["score"].tolist() == [0.1]


def test_a_folder_with_neither_layout_says_both_were_looked_for(home, tmp_path):
    (tmp_path / "x").mkdir()  # a folder for the competition, but no leaderboard.csv in it
    with pytest.raises(lb.LeaderboardNotFound) as info:
        lb.leaderboard("x", folder=tmp_path)
    text = str(info.value)
    assert "x.csv and x/leaderboard.csv" in text and str(tmp_path) in text
    assert "mle-bench leaderboards download -c x" in text


def test_the_leaderboard_store_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("MLE_BENCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert lb.store_dir() == tmp_path / "cache" / "open-mle-bench" / "leaderboards"
    assert lb.save_leaderboard("x", [0.5]).parent == lb.store_dir()


def test_store_files_are_checked_against_their_sha256(home):
    path = lb.save_leaderboard("x", [0.9, 0.5])
    assert path.with_suffix(".sha256").read_text().split()[0] == sha256_file(path)
    path.write_text("rank,score\n1,0.99\n2,0.5\n")
    with pytest.raises(lb.LeaderboardError, match="sha256"):
        competitions.leaderboard("x")


def test_malformed_leaderboards(tmp_path):
    (tmp_path / "a.csv").write_text("rank,points\n1,3\n")
    (tmp_path / "b.csv").write_text("rank,score\n")
    (tmp_path / "c.csv").write_text("rank,score\n1,abc\n")
    for cid, reason in (("a", "no 'score'"), ("b", "no rows"), ("c", "non-numeric")):
        with pytest.raises(lb.LeaderboardError, match=reason):
            lb.leaderboard(cid, folder=tmp_path)


def _kaggle_zip(scores) -> bytes:
    rows = "\n".join(f"{1000 + i},team {i},2020-01-01 00:00:00,{s}" for i, s in enumerate(scores))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("comp-publicleaderboard.csv", "TeamId,TeamName,SubmissionDate,Score\n" + rows + "\n")
    return buf.getvalue()


class _Network:
    """Stands in for Kaggle's HTTP download only: writes the zip Kaggle would send into ``path``."""

    def __init__(self, scores):
        self.scores = scores
        self.calls = []

    def __call__(self, competition, path, quiet=True):
        self.calls.append(competition)
        Path(path, f"{competition}.zip").write_bytes(_kaggle_zip(self.scores))


def test_download_keeps_scores_in_kaggle_order(home):
    network = _Network([0.91, 0.95, 0.5])
    api = types.SimpleNamespace(competition_leaderboard_download=network)
    path = lb.download("x", api=api)
    assert network.calls == ["x"]
    assert path == home / "leaderboards" / "x.csv"
    assert competitions.leaderboard("x")["score"].tolist() == [0.91, 0.95, 0.5]


def test_download_with_the_real_client(home, monkeypatch):
    kaggle_ext = pytest.importorskip("kaggle.api.kaggle_api_extended")
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "0" * 32)
    network = _Network([0.3, 0.2, 0.1])
    monkeypatch.setattr(kaggle_ext.KaggleApi, "competition_leaderboard_download",
                        lambda self, competition, path, quiet=True: network(competition, path, quiet))
    lb.download("y")
    assert competitions.leaderboard("y")["score"].tolist() == [0.3, 0.2, 0.1]


def test_download_failure_is_a_clear_error(home):
    def refuse(competition, path, quiet=True):
        raise RuntimeError("403 Forbidden: accept the competition rules")

    api = types.SimpleNamespace(competition_leaderboard_download=refuse)
    with pytest.raises(lb.LeaderboardError, match="403"):
        lb.download("x", api=api)
    assert not (home / "leaderboards" / "x.csv").exists()


def test_without_credentials(home, monkeypatch):
    class NoCredentials:
        def authenticate(self):
            raise OSError("Could not find kaggle.json. Make sure it's located in /root/.kaggle")

    fake = types.ModuleType("kaggle.api.kaggle_api_extended")
    fake.KaggleApi = NoCredentials
    monkeypatch.setitem(sys.modules, "kaggle", types.ModuleType("kaggle"))
    monkeypatch.setitem(sys.modules, "kaggle.api", types.ModuleType("kaggle.api"))
    monkeypatch.setitem(sys.modules, "kaggle.api.kaggle_api_extended", fake)
    with pytest.raises(lb.LeaderboardError, match="KAGGLE_USERNAME"):
        lb.download("x")


def test_without_the_kaggle_package(home, monkeypatch):
    for name in ("kaggle", "kaggle.api", "kaggle.api.kaggle_api_extended"):  # even if a test imported it
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(lb.LeaderboardError, match="pip install"):
        lb.download("x")


def test_cli_download(home, monkeypatch, capsys):
    cid = competitions.ids()[0] if competitions.ids() else pytest.skip("no specs yet")
    network = _Network([1.0, 0.5])
    monkeypatch.setattr(lb, "_kaggle_api",
                        lambda: types.SimpleNamespace(competition_leaderboard_download=network))
    assert main(["leaderboards", "download", "-c", cid]) == 0
    assert f"{cid}: saved" in capsys.readouterr().out
    assert competitions.leaderboard(cid)["score"].tolist() == [1.0, 0.5]
    assert main(["leaderboards", "download", "-c", "no-such-competition"]) == 2
    assert main(["leaderboards", "download"]) == 2
