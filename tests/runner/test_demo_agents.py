"""The packaged agents end to end on prepared lite fixtures (what `mle-bench demo` runs)."""

from mlebench.demo import format_rows, run_demo


def test_dummy_and_baseline_give_valid_submissions_and_the_baseline_learns(tmp_path):
    ids = ["new-york-city-taxi-fare-prediction", "spooky-author-identification", "random-acts-of-pizza",
           "dog-breed-identification"]
    rows = {r["competition"]: r for r in run_demo(tmp_path, ids, log=lambda _: None)}
    for cid in ids:
        assert rows[cid]["error"] is None
        assert rows[cid]["dummy_valid"] and rows[cid]["baseline_valid"], rows[cid]
    # The taxi fixture's fare depends on the trip: a trained model beats the sample submission.
    assert rows["new-york-city-taxi-fare-prediction"]["baseline"] < rows["new-york-city-taxi-fare-prediction"]["dummy"]
    # With classes unseen in a tiny training set, the smoothed prior keeps log loss below the uniform sample's.
    assert rows["dog-breed-identification"]["baseline"] < rows["dog-breed-identification"]["dummy"]
    table = format_rows(list(rows.values()))
    assert {r["competition"] for r in table} == set(ids) and all(r["dummy"] != "invalid" for r in table)
