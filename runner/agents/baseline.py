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


def read_table(path: Path) -> pd.DataFrame | None:
    """A CSV (plain or zipped alone) or a JSON list of records as a frame; None for anything else."""
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.zip")):
            return pd.read_csv(path)
        if name.endswith(".json"):
            return pd.read_json(path)
    except (ValueError, OSError):
        return None
    return None


def find_tables(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, str | None]:
    """The sample submission, the test table (if any), the training table (None when no table holds the
    targets) and, when the sample's targets are one probability column per class, the class column."""
    files = sorted(p for p in data_dir.iterdir() if p.is_file())
    samples = [p for p in files if "sample" in p.name.lower() and "submission" in p.name.lower()]
    samples.sort(key=lambda p: not p.name.lower().endswith(".csv"))
    if not samples:
        raise SystemExit(f"no sample submission in {data_dir}")
    sample = pd.read_csv(samples[0])
    targets = [str(c) for c in sample.columns[1:]]
    tables = {p.name: t for p in files if p not in samples and (t := read_table(p)) is not None}
    test = next((t for name, t in tables.items() if "test" in name.lower()), None)
    for name, table in tables.items():
        if "test" not in name.lower() and all(t in table.columns for t in targets):
            return sample, test, table, None
    for name, table in tables.items():  # one probability column per class: find the class column
        for col in table.columns:
            values = set(table[col].astype(str).unique())
            if "test" not in name.lower() and len(values) > 1 and values <= set(targets):
                return sample, test, table, col
    return sample, test, None, None


def feature_columns(train: pd.DataFrame, test: pd.DataFrame, exclude: set[str]) -> tuple[list[str], str | None]:
    """Shared numeric/categorical feature columns, and the longest text column if the data is text."""
    shared = [c for c in train.columns if c in test.columns and c not in exclude]
    numeric, text = [], None
    longest = 0.0
    for col in shared:
        series = train[col]
        if series.map(lambda v: isinstance(v, (list, dict))).any():
            continue  # nested JSON values: not a feature for this baseline
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            numeric.append(col)
        else:
            mean_len = series.astype(str).str.len().mean()
            mostly_distinct = series.nunique() > len(series) / 2
            if mean_len > 20 and mostly_distinct:  # free text
                if mean_len > longest:
                    text, longest = col, mean_len
            elif series.nunique() <= 50:  # a category
                numeric.append(col)
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


def _leaf_size(n_rows: int) -> int:
    """scikit-learn's default of 20 rows per leaf, smaller for tiny training sets (else no split is possible)."""
    return max(5, min(20, n_rows // 4))


def predict_column(train, test, target, sample_values, numeric, text, seed) -> np.ndarray:
    """Predictions for one target column, shaped like the sample submission's values."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge

    y = train[target]
    binary_target = set(pd.unique(y.dropna())) <= {0, 1, True, False}
    numeric_sample = pd.api.types.is_numeric_dtype(sample_values) and not pd.api.types.is_bool_dtype(sample_values)
    # Probabilities when the sample holds floats in [0, 1], or numbers for a True/False target.
    probability = binary_target and numeric_sample and bool(sample_values.between(0, 1).all()) and (
        pd.api.types.is_float_dtype(sample_values) or pd.api.types.is_bool_dtype(y)
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
            max_iter=200, random_state=seed, min_samples_leaf=_leaf_size(len(train))
        )
    else:
        model = None
    if model is None or y.nunique() < 2:
        if probability:
            return np.full(len(test), float(y.mean()))
        return np.full(len(test), y.mode().iloc[0] if classification else float(y.mean()))
    model.fit(x_train, y)
    if probability:
        return model.predict_proba(x_test)[:, list(model.classes_).index(True)]
    return model.predict(x_test)


def predict_classes(train, test, class_column, classes, numeric, text, seed) -> np.ndarray:
    """Class probabilities (columns in ``classes`` order) from a model of ``class_column``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    y = train[class_column].astype(str)
    # Add-one smoothing: a class absent from a small training set must not get probability 0.
    prior = np.array([(y == c).sum() + 1.0 for c in classes]) / (len(y) + len(classes))
    if y.nunique() < 2 or (text is None and not numeric):
        return np.tile(prior, (len(test), 1))
    if text is not None:
        vec = TfidfVectorizer(max_features=20000, ngram_range=(1, 2), sublinear_tf=True)
        model = LogisticRegression(max_iter=1000).fit(vec.fit_transform(train[text].astype(str)), y)
        proba = model.predict_proba(vec.transform(test[text].astype(str)))
    else:
        model = HistGradientBoostingClassifier(max_iter=200, random_state=seed, min_samples_leaf=_leaf_size(len(train)))
        model.fit(encode(train, numeric, train), y)
        proba = model.predict_proba(encode(test, numeric, train))
    model_part = np.zeros((len(test), len(classes)))
    for j, c in enumerate(model.classes_):
        if c in classes:
            model_part[:, classes.index(c)] = proba[:, j]
    # Blend with the prior: small training sets make the model overconfident, and log loss punishes that;
    # the fewer rows per class, the more the prior counts.
    weight = min(0.7, len(y) / (10 * len(classes)))
    return weight * model_part + (1 - weight) * prior


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    data_dir = Path(argv[0] if argv else os.environ["DATA_DIR"])
    out_dir = Path(argv[1] if len(argv) > 1 else os.environ["SUBMISSION_DIR"])
    seed = int(os.environ.get("SEED", "0"))
    sample, test, train, class_column = find_tables(data_dir)
    id_col, targets = sample.columns[0], list(sample.columns[1:])
    submission = sample.copy()
    if train is None:
        print("baseline: no table holds the targets (media competition); submitting the sample's prior")
    elif test is not None and id_col in test.columns and len(test) == len(sample):
        test = test.set_index(id_col).loc[sample[id_col]].reset_index()
        exclude = set(targets) | {id_col} | ({class_column} if class_column else set())
        numeric, text = feature_columns(train, test, exclude)
        if class_column is not None:
            submission[targets] = predict_classes(train, test, class_column, targets, numeric, text, seed)
        for target in targets if class_column is None else []:
            submission[target] = predict_column(train, test, target, sample[target], numeric, text, seed)
        print(f"baseline: {len(numeric)} feature column(s), text column {text!r}, {len(targets)} target(s)")
    else:
        for target in targets:
            if class_column is not None:
                counts = train[class_column].astype(str).value_counts()
                submission[target] = (counts.get(target, 0) + 1.0) / (len(train) + len(targets))
            elif pd.api.types.is_float_dtype(sample[target]):
                submission[target] = float(train[target].mean())
        print("baseline: no usable test table; predicting the training prior")
    out_dir.mkdir(parents=True, exist_ok=True)
    submission.to_csv(out_dir / "submission.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
