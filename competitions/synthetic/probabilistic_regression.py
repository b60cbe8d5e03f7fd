"""Synthetic material for the probabilistic and regression graders (``onehot_logloss``, ``binary_logloss``,
``regression_columns``, ``hms_kl``, ``osic_laplace``, ``rsna_cervical``): answers, MLE-bench's sample
submission and a perfect submission, built per competition (``_SYNTHETIC``) in its own formats.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from competitions.graders.probabilistic_regression import value_columns
from competitions.synthetic import SyntheticCase, register_synthetic

__all__ = ["onehot_logloss", "binary_logloss", "regression_columns", "hms_kl", "osic_laplace", "rsna_cervical"]


@register_synthetic("onehot_logloss")
def onehot_logloss(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``onehot_logloss`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


@register_synthetic("binary_logloss")
def binary_logloss(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``binary_logloss`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


@register_synthetic("regression_columns")
def regression_columns(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``regression_columns`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


@register_synthetic("hms_kl")
def hms_kl(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``hms_kl`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


@register_synthetic("osic_laplace")
def osic_laplace(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``osic_laplace`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


@register_synthetic("rsna_cervical")
def rsna_cervical(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of a competition graded by ``rsna_cervical`` (its builder in ``_SYNTHETIC``)."""
    return _by_competition(comp, n_rows, rng)


def _by_competition(comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    try:
        make = _SYNTHETIC[comp.id]
    except KeyError:
        raise KeyError(f"no synthetic data builder for {comp.id!r} in {__name__}") from None
    answers, sample, perfect = make(comp, max(int(n_rows), 4), rng)
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect)


# ---------------------------------------------------------------------------------------------
# Synthetic data in each competition's formats (answers, MLE-bench's sample submission, a perfect one)
# ---------------------------------------------------------------------------------------------

Builder = Callable[[Any, int, np.random.Generator], tuple[Any, pd.DataFrame, pd.DataFrame]]


def _hex_ids(rng: np.random.Generator, n: int, width: int) -> list[str]:
    """``n`` distinct random lowercase hex strings of ``width`` characters."""
    out: list[str] = []
    seen: set[str] = set()
    chunks = -(-width // 8)
    while len(out) < n:
        draws = rng.integers(0, 16**8, size=(n, chunks))
        for row in draws:  # synthetic test data only
            text = "".join(f"{v:08x}" for v in row)[:width]
            if text not in seen:
                seen.add(text)
                out.append(text)
                if len(out) == n:
                    break
    return out


def _int_ids(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    """``n`` distinct random integers in [lo, hi), as strings."""
    return [str(v) for v in rng.choice(hi - lo, size=n, replace=False) + lo]


def _onehot_case(comp, n: int, rng, ids: list[str], sample_probs: list[float] | None = None,
                 extra: dict[str, Any] | None = None):
    classes = value_columns(comp)
    k = len(classes)
    labels = rng.integers(0, k, size=n)
    labels[: min(n, k)] = rng.permutation(k)[: min(n, k)]
    onehot = np.zeros((n, k), dtype=np.int64)
    onehot[np.arange(n), labels] = 1
    id_col = comp.id_columns[0]
    answers = pd.DataFrame({id_col: ids})
    for name, values in (extra or {}).items():
        answers[name] = values
    answers = pd.concat([answers, pd.DataFrame(onehot, columns=classes)], axis=1)
    probs = np.tile(np.asarray(sample_probs if sample_probs else [1.0 / k] * k), (n, 1))
    sample = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(probs, columns=classes)], axis=1)
    perfect = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(onehot.astype(float), columns=classes)], axis=1)
    return answers, sample, perfect


def _dog_breed(comp, n, rng):
    return _onehot_case(comp, n, rng, _hex_ids(rng, n, 32))


def _leaf(comp, n, rng):
    return _onehot_case(comp, n, rng, _int_ids(rng, n, 1, 1585))


def _spooky(comp, n, rng):
    ids = [f"id{v:05d}" for v in rng.choice(np.arange(0, 28000), size=n, replace=False)]
    priors = [0.403493538995863, 0.287808366106543, 0.308698094897594]
    return _onehot_case(comp, n, rng, ids, sample_probs=priors)


def _lmsys(comp, n, rng):
    ids = _int_ids(rng, n, 30_000, 4_294_967_295)
    models = np.array(["gpt-4-1106-preview", "claude-2.1", "llama-2-70b-chat", "mixtral-8x7b-instruct-v0.1"])
    extra = {
        "model_a": models[rng.integers(0, len(models), n)],
        "model_b": models[rng.integers(0, len(models), n)],
        "prompt": ['["Say hello"]'] * n,
        "response_a": ['["Hello!"]'] * n,
        "response_b": ['["Hi there."]'] * n,
    }
    return _onehot_case(comp, n, rng, ids, extra=extra)


def _binary_case(comp, n, rng, ids):
    target = comp.grader_params["target"]
    id_col = comp.id_columns[0]
    labels = rng.integers(0, 2, size=n)
    labels[:2] = [0, 1]
    answers = pd.DataFrame({id_col: ids, target: labels})
    sample = pd.DataFrame({id_col: ids, target: 0.5})
    perfect = pd.DataFrame({id_col: ids, target: labels.astype(float)})
    return answers, sample, perfect


def _dogs_vs_cats(comp, n, rng):
    return _binary_case(comp, n, rng, [str(i) for i in range(1, n + 1)])


def _statoil(comp, n, rng):
    return _binary_case(comp, n, rng, _hex_ids(rng, n, 8))


def _regression_case(answers: pd.DataFrame, comp, sample_values: dict[str, Any]):
    """Sample = ids + constant (or given) values; perfect = ids + the answers' targets."""
    cols = value_columns(comp)
    ids = list(comp.id_columns)
    sample = answers[ids].copy()
    perfect = answers[ids].copy()
    for col in cols:
        value = sample_values[col]
        sample[col] = value if np.ndim(value) else float(value)
        perfect[col] = answers[col].astype(float).to_numpy() if col in answers else 0.0
    return answers, sample, perfect


def _denoising(comp, n, rng):
    height = 4
    n_images = min(216, max(1, n // 20))
    width = max(5, n // (n_images * height))
    images = sorted(rng.choice(np.arange(1, 217), size=n_images, replace=False).tolist(), key=str)
    img = np.repeat(images, width * height)
    row = np.tile(np.repeat(np.arange(1, height + 1), width), n_images)
    col = np.tile(np.arange(1, width + 1), height * n_images)
    ids = [f"{i}_{r}_{c}" for i, r, c in zip(img, row, col)]
    values = rng.integers(0, 256, size=len(ids)) / 255.0
    return _regression_case(pd.DataFrame({"id": ids, "value": values}), comp, {"value": 1.0})


def _nyc_taxi(comp, n, rng):
    seconds = rng.integers(0, 6 * 365 * 86400, size=n)
    times = pd.Timestamp("2009-01-01") + pd.to_timedelta(seconds, unit="s")
    stamps = times.strftime("%Y-%m-%d %H:%M:%S")
    keys = [f"{t}.{v}" for t, v in zip(stamps, rng.permutation(10 * n)[:n] + 1)]
    answers = pd.DataFrame({
        "key": keys,
        "fare_amount": np.round(rng.gamma(2.0, 5.0, size=n) + 2.5, 2),
        "pickup_datetime": [f"{t} UTC" for t in stamps],
        "pickup_longitude": np.round(-73.98 + rng.normal(0, 0.03, n), 6),
        "pickup_latitude": np.round(40.75 + rng.normal(0, 0.03, n), 6),
        "dropoff_longitude": np.round(-73.98 + rng.normal(0, 0.03, n), 6),
        "dropoff_latitude": np.round(40.75 + rng.normal(0, 0.03, n), 6),
        "passenger_count": rng.integers(1, 7, size=n),
    })
    return _regression_case(answers, comp, {"fare_amount": 11.35})


_PETFINDER_FEATURES = ["Subject Focus", "Eyes", "Face", "Near", "Action", "Accessory", "Group", "Collage",
                       "Human", "Occlusion", "Info", "Blur"]


def _petfinder(comp, n, rng):
    answers = pd.DataFrame({"Id": _hex_ids(rng, n, 32)})
    for feature in _PETFINDER_FEATURES:
        answers[feature] = rng.integers(0, 2, size=n)
    answers["Pawpularity"] = rng.integers(1, 101, size=n)
    # MLE-bench's preparer: uniform draws in [1, 100] from default_rng(0), rounded to 2 decimals.
    sample_values = np.random.default_rng(0).uniform(1, 100, n).round(2)
    return _regression_case(answers, comp, {"Pawpularity": sample_values})


def _volcanic(comp, n, rng):
    answers = pd.DataFrame({
        "segment_id": _int_ids(rng, n, 100_000_000, 2_147_483_647),
        "time_to_eruption": rng.integers(6_000, 49_000_000, size=n),
    })
    return _regression_case(answers, comp, {"time_to_eruption": 0})


def _ventilator(comp, n, rng):
    steps = 80
    n_breaths = max(1, n // steps)
    m = n_breaths * steps
    breath_ids = np.repeat(np.sort(rng.choice(np.arange(1, 125_750), size=n_breaths, replace=False)), steps)
    step = np.tile(np.arange(steps), n_breaths)
    time_step = step * 0.0335 + rng.uniform(0, 0.001, size=m)
    u_out = (step >= 30).astype(np.int64)
    answers = pd.DataFrame({
        "id": [str(i) for i in range(1, m + 1)],
        "breath_id": breath_ids,
        "R": np.repeat(rng.choice([5, 20, 50], size=n_breaths), steps),
        "C": np.repeat(rng.choice([10, 20, 50], size=n_breaths), steps),
        "time_step": time_step,
        "u_in": np.where(u_out == 0, rng.uniform(0, 100, size=m), 0.0),
        "u_out": u_out,
        "pressure": rng.uniform(-2, 65, size=m),
    })
    return _regression_case(answers, comp, {"pressure": 0})


_NOMAD_COLUMNS = ["spacegroup", "number_of_total_atoms", "percent_atom_al", "percent_atom_ga", "percent_atom_in",
                  "lattice_vector_1_ang", "lattice_vector_2_ang", "lattice_vector_3_ang",
                  "lattice_angle_alpha_degree", "lattice_angle_beta_degree", "lattice_angle_gamma_degree"]


def _nomad(comp, n, rng):
    shares = rng.dirichlet([1, 1, 1], size=n)
    answers = pd.DataFrame({"id": [str(i) for i in range(1, n + 1)]})
    answers["spacegroup"] = rng.choice([12, 33, 167, 194, 206, 227], size=n)
    answers["number_of_total_atoms"] = rng.choice([10.0, 20.0, 30.0, 40.0, 60.0, 80.0], size=n)
    answers["percent_atom_al"], answers["percent_atom_ga"], answers["percent_atom_in"] = shares.T
    for col in _NOMAD_COLUMNS[5:8]:
        answers[col] = rng.uniform(3, 25, size=n)
    for col in _NOMAD_COLUMNS[8:]:
        answers[col] = rng.uniform(85, 125, size=n)
    answers["formation_energy_ev_natom"] = rng.uniform(0, 0.66, size=n)
    answers["bandgap_energy_ev"] = rng.uniform(0, 5.3, size=n)
    return _regression_case(answers, comp, {"formation_energy_ev_natom": 0.1779, "bandgap_energy_ev": 1.8892})


_STANFORD_TARGETS = ["reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C"]


def _stanford(comp, n, rng):
    seq_length, seq_scored = 107, 68
    n_seq = max(1, -(-n // seq_length))
    seqs = [f"id_{v}" for v in _hex_ids(rng, n_seq, 9)]
    pos = np.tile(np.arange(seq_length), n_seq)
    keep = pos < seq_scored
    answers = pd.DataFrame({"id_seqpos": [f"{s}_{p}" for s in seqs for p in range(seq_length)]})
    for col in _STANFORD_TARGETS:
        answers[col] = np.where(keep, np.round(rng.gamma(1.5, 0.3, size=len(pos)), 10), 0.0)
    answers["keep"] = keep
    return _regression_case(answers, comp, {c: 0.0 for c in _STANFORD_TARGETS})


_COUPLING_TYPES = ["1JHC", "1JHN", "2JHH", "2JHC", "2JHN", "3JHH", "3JHC", "3JHN"]


def _champs(comp, n, rng):
    n = max(n, len(_COUPLING_TYPES))
    types = np.array(_COUPLING_TYPES)[np.concatenate([np.arange(8), rng.integers(0, 8, size=n - 8)])]
    molecules = np.sort(rng.choice(np.arange(1, 133_886), size=max(1, n // 5), replace=False))
    answers = pd.DataFrame({
        "id": [str(v) for v in 4_000_000 + np.arange(n)],
        "molecule_name": [f"dsgdb9nsd_{m:06d}" for m in np.sort(rng.choice(molecules, size=n))],
        "atom_index_0": rng.integers(0, 29, size=n),
        "atom_index_1": rng.integers(0, 29, size=n),
        "type": types,
        "scalar_coupling_constant": np.round(rng.uniform(-40, 205, size=n), 4),
    })
    return _regression_case(answers, comp, {"scalar_coupling_constant": 0})


def _icecube(comp, n, rng):
    answers = pd.DataFrame({
        "event_id": [str(v) for v in np.sort(rng.choice(10**7, size=n, replace=False) + 1)],
        "azimuth": rng.uniform(0, 2 * np.pi, size=n),
        "zenith": np.arccos(rng.uniform(-1, 1, size=n)),
    })
    return _regression_case(answers, comp, {"azimuth": 1.0, "zenith": 1.0})


def _smartphone(comp, n, rng):
    phones = ["GooglePixel4", "GooglePixel5", "SamsungGalaxyS20Ultra", "XiaomiMi8"]
    n_trips = max(2, min(4, n // 10))
    per_trip = max(2, n // n_trips)
    frames = []
    for t in range(n_trips):  # a handful of trips
        trip = f"2021-0{t + 1}-1{t}-US-MTV-{t + 1}-{phones[t % len(phones)]}"
        start = 1_610_000_000_000 + t * 10**8
        frames.append(pd.DataFrame({
            "tripId": trip,
            "UnixTimeMillis": [str(start + 1000 * k) for k in range(per_trip)],
            "LatitudeDegrees": 37.4 + np.cumsum(rng.normal(0, 1e-4, per_trip)),
            "LongitudeDegrees": -122.1 + np.cumsum(rng.normal(0, 1e-4, per_trip)),
        }))
    answers = pd.concat(frames, ignore_index=True)
    return _regression_case(answers, comp, {"LatitudeDegrees": 37.904611315634504,
                                           "LongitudeDegrees": -86.48107806249548})


def _osic(comp, n, rng):
    n_patients = max(2, n // 20)
    weeks = np.arange(-5, 15)
    patients = [f"ID{a:011d}{b:012d}" for a, b in zip(rng.integers(10**10, 10**11, size=n_patients),
                                                       rng.choice(10**12, size=n_patients, replace=False))]
    rows = []
    for p in patients:  # a handful of patients
        measured = set(rng.choice(weeks, size=5, replace=False).tolist())
        for w in weeks:
            rows.append((p, int(w), w in measured))
    grid = pd.DataFrame(rows, columns=["Patient", "Weeks", "measured"])
    m = len(grid)
    fvc = np.where(grid["measured"], rng.integers(1500, 4000, size=m), np.nan)
    answers = pd.DataFrame({
        "Patient": grid["Patient"],
        "Weeks": grid["Weeks"],
        "FVC": fvc,
        "Percent": np.where(grid["measured"], rng.uniform(50, 110, size=m), np.nan),
        "Age": np.repeat(rng.integers(50, 85, size=n_patients), len(weeks)),
        "Sex": np.repeat(rng.choice(["Male", "Female"], size=n_patients), len(weeks)),
        "SmokingStatus": np.repeat(rng.choice(["Ex-smoker", "Never smoked", "Currently smokes"], size=n_patients),
                                   len(weeks)),
        "Patient_Week": grid["Patient"] + "_" + grid["Weeks"].astype(str),
        "Confidence": 100,
    })
    sample = pd.DataFrame({"Patient_Week": answers["Patient_Week"], "FVC": 2000.0, "Confidence": 100.0})
    perfect = pd.DataFrame({
        "Patient_Week": answers["Patient_Week"],
        "FVC": np.where(np.isnan(fvc), 2000.0, fvc),
        "Confidence": 70.0,
    })
    return answers, sample, perfect


_HMS_VOTES = ["seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"]
_HMS_NAMES = ["Seizure", "LPD", "GPD", "LRDA", "GRDA", "Other"]


def _hms(comp, n, rng):
    n_eegs = max(2, n // 3)
    eeg_ids = rng.choice(4 * 10**9, size=n_eegs, replace=False) + 10**6
    per_eeg = rng.integers(1, 5, size=n_eegs)
    eeg = np.repeat(eeg_ids, per_eeg)
    m = len(eeg)
    votes = rng.integers(0, 4, size=(m, 6))
    votes[np.arange(m), rng.integers(0, 6, size=m)] += 1  # every row has at least one vote
    spectrogram = np.repeat(rng.integers(10**5, 2 * 10**9, size=n_eegs), per_eeg)
    answers = pd.DataFrame({
        "eeg_id": eeg.astype(str),
        "eeg_sub_id": np.concatenate([np.arange(k) for k in per_eeg]),
        "eeg_label_offset_seconds": np.concatenate([np.arange(k) * 2.0 for k in per_eeg]),
        "spectrogram_id": spectrogram,
        "spectrogram_sub_id": np.concatenate([np.arange(k) for k in per_eeg]),
        "spectrogram_label_offset_seconds": np.concatenate([np.arange(k) * 2.0 for k in per_eeg]),
        "label_id": rng.choice(4 * 10**9, size=m, replace=False) + 10**6,
        "patient_id": np.repeat(rng.integers(1, 65_000, size=n_eegs), per_eeg),
        "expert_consensus": np.array(_HMS_NAMES)[votes.argmax(axis=1)],
    })
    for j, col in enumerate(_HMS_VOTES):
        answers[col] = votes[:, j]
    sample = pd.DataFrame({"eeg_id": answers["eeg_id"]})
    perfect = pd.DataFrame({"eeg_id": answers["eeg_id"]})
    gold = votes / votes.sum(axis=1, keepdims=True)
    for j, col in enumerate(_HMS_VOTES):
        sample[col] = 1.0 / 6.0
        perfect[col] = gold[:, j]
    return answers, sample, perfect


_RSNA_TYPES = ["patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]


def _rsna(comp, n, rng):
    n_studies = max(2, n // 8)
    studies = [f"1.2.826.0.1.3680043.{v}" for v in rng.choice(np.arange(1, 32_000), size=n_studies, replace=False)]
    vertebrae = (rng.random((n_studies, 7)) < 0.15).astype(np.int64)
    overall = vertebrae.max(axis=1, keepdims=True)
    wide = np.hstack([overall, vertebrae])
    # The preparer melts the wide table: all studies for patient_overall, then all for C1, and so on.
    answers = pd.DataFrame({
        "StudyInstanceUID": np.tile(studies, len(_RSNA_TYPES)),
        "prediction_type": np.repeat(_RSNA_TYPES, n_studies),
        "fractured": wide.T.ravel(),
    })
    answers["row_id"] = answers["StudyInstanceUID"] + "_" + answers["prediction_type"]
    sample = pd.DataFrame({"row_id": answers["row_id"], "fractured": 0.5})
    perfect = pd.DataFrame({"row_id": answers["row_id"], "fractured": answers["fractured"].astype(float)})
    return answers, sample, perfect


_SYNTHETIC: dict[str, Builder] = {
    "dog-breed-identification": _dog_breed,
    "leaf-classification": _leaf,
    "spooky-author-identification": _spooky,
    "lmsys-chatbot-arena": _lmsys,
    "dogs-vs-cats-redux-kernels-edition": _dogs_vs_cats,
    "statoil-iceberg-classifier-challenge": _statoil,
    "denoising-dirty-documents": _denoising,
    "new-york-city-taxi-fare-prediction": _nyc_taxi,
    "petfinder-pawpularity-score": _petfinder,
    "predict-volcanic-eruptions-ingv-oe": _volcanic,
    "ventilator-pressure-prediction": _ventilator,
    "nomad2018-predict-transparent-conductors": _nomad,
    "stanford-covid-vaccine": _stanford,
    "champs-scalar-coupling": _champs,
    "icecube-neutrinos-in-deep-ice": _icecube,
    "smartphone-decimeter-2022": _smartphone,
    "osic-pulmonary-fibrosis-progression": _osic,
    "hms-harmful-brain-activity-classification": _hms,
    "rsna-2022-cervical-spine-fracture-detection": _rsna,
}
