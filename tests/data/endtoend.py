"""One competition end to end, shared by the per-split data tests.

``check_end_to_end(cid, work, store, perfect)``: raw fixture -> prepare -> store -> load_dataset -> materialize
-> validate the sample submission -> grade the sample and a perfect submission -> the agent's folder holds no
answer. ``perfect(answers_path, sample_path) -> DataFrame`` turns the private answers into the submission that
scores best; it is the only per-competition piece a test supplies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

import competitions
import mle_datasets
import schemas
from mle_datasets.raw import checksum_tree

PerfectSubmission = Callable[[Path, Path], pd.DataFrame]


def check_end_to_end(cid: str, work: Path, store: mle_datasets.Store, perfect: PerfectSubmission,
                     size: str | None = None, reaches_best: bool = True) -> None:
    """Run the whole data path of ``cid`` in ``work`` with ``store``; fail with a clear assertion where it breaks.

    ``reaches_best=False`` for a competition whose v1 grading keeps even the answers below the metric's bound
    (a listed known issue): the perfect submission must then only beat the sample.
    """
    spec = competitions.get(cid)
    kwargs = {} if size is None else {"size": size}
    raw = mle_datasets.make_raw_fixture(cid, work / "raw", **kwargs)
    prepared = mle_datasets.prepare(cid, raw, work / "prepared")
    stored = store.add(prepared)
    assert stored["revision"] == store.revision(cid)

    for table in mle_datasets.tables(cid, store=store):  # none when public/ holds only archives and media
        ds = mle_datasets.load_dataset(cid, table, store=store, cache_dir=str(work / "hf-cache"))
        assert ds.num_rows == store.manifest(cid)["tables"][table]["rows"]

    public = mle_datasets.materialize(cid, work / "agent" / "data", store=store)
    assert checksum_tree(public) == checksum_tree(prepared.public_dir), f"{cid}: materialize differs from prepare"
    assert_no_answers(public, prepared.private_dir)

    sample = prepared.sample_submission
    report = schemas.validate(cid, sample, sample)
    assert report.valid, f"{cid}: the sample submission is invalid: {report.errors}"
    graded = competitions.grade(cid, sample, prepared.answers, sample)
    assert graded.valid_submission, f"{cid}: grading the sample failed: {graded.error}"

    best = work / "perfect.csv"
    perfect(prepared.answers, sample).to_csv(best, index=False)
    graded_best = competitions.grade(cid, best, prepared.answers, sample)
    assert graded_best.valid_submission, f"{cid}: grading the perfect submission failed: {graded_best.error}"
    bound = competitions.get(cid)
    import metrics

    m = metrics.get(bound.metric)
    if m.best is not None and reaches_best:
        # reports round to 5 decimals as MLE-bench does: a perfect score is within 5e-6 of the bound
        close = graded_best.score == m.best or abs(graded_best.score - m.best) <= 5e-6 + 1e-12  # == for an infinite bound
        assert close, f"{cid}: perfect scores {graded_best.score}, not {m.best}"
    if not (graded.score_is_nan or graded_best.score_is_nan) and None not in (graded.score, graded_best.score):
        better = graded_best.score <= graded.score if spec.lower_is_better else graded_best.score >= graded.score
        assert better, f"{cid}: the perfect submission ({graded_best.score}) is worse than the sample ({graded.score})"


def assert_no_answers(public: Path, private: Path) -> None:
    """No file of ``public`` is a byte copy of a file of ``private`` (the prepared contract audits the columns)."""
    private_digests = set(checksum_tree(private).values())
    copies = [name for name, digest in checksum_tree(public).items() if digest in private_digests]
    assert not copies, f"the agent's folder holds copies of answer files: {copies}"


_PREPARED: dict[str, Path] = {}


def prepared(cid: str, tmp_path_factory) -> Path:
    """Fixture -> raw contract -> preparer, once per competition per test session; the work folder holds
    ``raw/``, ``public/`` and ``private/`` (tests only read it)."""
    from mle_datasets.preparers import get_preparer

    if cid not in _PREPARED:
        work = tmp_path_factory.mktemp(cid[:20])
        raw = mle_datasets.make_raw_fixture(cid, work / "raw")
        preparer = get_preparer(cid)
        preparer.check_raw(raw)
        preparer.run(raw, work / "public", work / "private")
        _PREPARED[cid] = work
    return _PREPARED[cid]


def read(path: Path, **kwargs) -> pd.DataFrame:
    """A CSV as text-faithful pandas (empty cells stay empty strings)."""
    return pd.read_csv(path, keep_default_na=False, **kwargs)


def files(root: Path) -> set[str]:
    """Every file under ``root``, as relative POSIX paths."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def grade(cid: str, work: Path, submission: pd.DataFrame, answers: str, sample: str) -> float:
    """Grade ``submission`` against ``work/answers`` with ``work/sample``; assert it is valid; return the score."""
    path = work.parent / f"{cid[:20]}-submission.csv"
    submission.to_csv(path, index=False)
    report = competitions.grade(cid, path, work / answers, work / sample)
    assert report.valid_submission, report.error
    return report.score
