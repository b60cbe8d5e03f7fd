"""The baseline agent: a simple, honest model for any competition whose public folder has tables.

It reads ``sample_submission.csv`` to learn the id and target columns, finds the training table that holds
those targets, and fits, per target column:
- gradient boosting (scikit-learn's HistGradientBoosting) on the numeric and low-cardinality columns shared by
  train and test, when there are any;
- TF-IDF + a linear model on the longest text column, when the data is text;
- otherwise a prior (the training mean, or class frequencies).
Probability columns get probabilities, label columns labels, numeric columns regression values. Runs with
``DATA_DIR`` and ``SUBMISSION_DIR`` set (the runner sets them) or ``python -m runner.agents.baseline DATA OUT``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def find_tables(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """The sample submission, the test table (if any) and the training table holding the targets."""
    samples = sorted(data_dir.glob("*sample_submission*.csv"))
    if not samples:
        raise SystemExit(f"no sample submission in {data_dir}")
    sample = pd.read_csv(samples[0])
    tables = {p.name: p for p in data_dir.glob("*.csv") if p not in samples}
    targets = list(sample.columns[1:])
    train = test = None
    for name, path in sorted(tables.items()):
        columns = pd.read_csv(path, nrows=0).columns
        if train is None and all(t in columns for t in targets) and "test" not in name:
            train = pd.read_csv(path)
        elif test is None and "test" in name:
            test = pd.read_csv(path)
    if train is None:
        raise SystemExit(f"no training table with the columns {targets} in {data_dir}")
    return sample, test, train


def feature_columns(train: pd.DataFrame, test: pd.DataFrame, exclude: set[str]) -> tuple[list[str], str | None]:
    """Shared numeric/categorical feature columns, and the longest text column if the data is text."""
    shared = [c for c in train.columns if c in test.columns and c not in exclude]
    numeric, text = [], None
    longest = 0.0
    for col in shared:
        series = train[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            numeric.append(col)
        else:
            mean_len = series.astype(str).str.len().mean()
            if series.nunique() <= 50:
                numeric.append(col)
            elif mean_len > 20 and mean_len > longest:
                text, longest = col, mean_len
    return numeric, text


def encode(frame: pd.DataFrame, columns: list[str], reference: pd.DataFrame) -> np.ndarray:
    """Numeric matrix: numbers as they are, categories as codes learnt on ``reference``."""
    out = []
    for col in columns:
        if pd.api.types.is_numeric_dtype(reference[col]) or pd.api.types.is_bool_dtype(reference[col]):
            out.append(pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy())
        else:
            categories = pd.Index(reference[col].astype(str).unique())
            out.append(categories.get_indexer(frame[col].astype(str)).astype(float))
    return np.column_stack(out) if out else np.empty((len(frame), 0))


def predict_column(train, test, target, sample_values, numeric, text, seed) -> np.ndarray:
    """Predictions for one target column, shaped like the sample submission's values."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge

    y = train[target]
    probability = pd.api.types.is_float_dtype(sample_values) and sample_values.between(0, 1).all() and (
        set(pd.unique(y.dropna())) <= {0, 1, True, False}
    )
    classification = probability or not pd.api.types.is_float_dtype(y)
    if text is not None:
        vec = TfidfVectorizer(max_features=20000, ngram_range=(1, 2), sublinear_tf=True)
        x_train = vec.fit_transform(train[text].astype(str))
        x_test = vec.transform(test[text].astype(str))
        model = LogisticRegression(max_iter=1000) if classification else Ridge()
    elif numeric:
        x_train, x_test = encode(train, numeric, train), encode(test, numeric, train)
        model = (HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor)(
            max_iter=200, random_state=seed
        )
    else:
        model = None
    if model is None or y.nunique() < 2:
        if probability:
            return np.full(len(test), float(y.mean()))
        return np.full(len(test), y.mode().iloc[0] if classification else float(y.mean()))
    model.fit(x_train, y)
    if probability:
        return model.predict_proba(x_test)[:, list(model.classes_).index(1)]
    return model.predict(x_test)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    data_dir = Path(argv[0] if argv else os.environ["DATA_DIR"])
    out_dir = Path(argv[1] if len(argv) > 1 else os.environ["SUBMISSION_DIR"])
    seed = int(os.environ.get("SEED", "0"))
    sample, test, train = find_tables(data_dir)
    id_col, targets = sample.columns[0], list(sample.columns[1:])
    submission = sample.copy()
    if test is not None and id_col in test.columns and len(test) == len(sample):
        test = test.set_index(id_col).loc[sample[id_col]].reset_index()
        numeric, text = feature_columns(train, test, set(targets) | {id_col})
        for target in targets:
            submission[target] = predict_column(train, test, target, sample[target], numeric, text, seed)
        print(f"baseline: {len(numeric)} feature column(s), text column {text!r}, {len(targets)} target(s)")
    else:
        for target in targets:
            if pd.api.types.is_float_dtype(sample[target]):
                submission[target] = float(train[target].mean())
        print("baseline: no usable test table; predicting the training prior")
    out_dir.mkdir(parents=True, exist_ok=True)
    submission.to_csv(out_dir / "submission.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
