"""Features the baseline agent learns from: downsampled pixels and colour histograms of images, spectral band
energies of audio clips, neighbourhood statistics of pixels, and numbers, dates, categories and free text
of tables. numpy, pandas and scikit-learn only.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

GRID = 4  # images are summarised on a GRID x GRID grid of mean colours
BINS = 8  # colour histogram bins per channel
BANDS = 24  # spectral bands of an audio clip


# ---------------------------------------------------------------------------------------------------- images
def block_means(pixels: np.ndarray, size: int = 8) -> np.ndarray:
    """Means of ``size`` x ``size`` blocks of an ``(h, w, c)`` picture (edges padded by repetition)."""
    h, w, c = pixels.shape
    bh, bw = -(-h // size), -(-w // size)
    padded = np.pad(pixels, ((0, bh * size - h), (0, bw * size - w), (0, 0)), mode="edge")
    return padded.reshape(bh, size, bw, size, c).mean(axis=(1, 3))


def resize_mean(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Area-average ``image`` (h, w, c) onto a ``rows`` x ``cols`` grid (cells repeat when it is smaller)."""
    h, w = image.shape[:2]
    ys = np.minimum((np.arange(rows + 1) * h) // rows, h)
    xs = np.minimum((np.arange(cols + 1) * w) // cols, w)
    out = np.empty((rows, cols, image.shape[2]))
    for i in range(rows):
        y0, y1 = ys[i], max(ys[i + 1], ys[i] + 1)
        for j in range(cols):
            x0, x1 = xs[j], max(xs[j + 1], xs[j] + 1)
            out[i, j] = image[min(y0, h - 1):y1, min(x0, w - 1):x1].mean(axis=(0, 1))
    return out


def image_features(pixels: np.ndarray, full: bool) -> np.ndarray:
    """A fixed-length vector of an ``(h, w, 3)`` picture (``full`` False: already 8x8 block means, as JPEGs
    are read): a 4x4 grid of mean colours, per-channel means and spreads, colour histograms, and texture
    (mean differences between neighbouring blocks, and pixels when there are pixels)."""
    blocks = block_means(pixels) if full else pixels
    grid = resize_mean(blocks, GRID, GRID).reshape(-1) / 255
    values = pixels.reshape(-1, 3)
    hist = np.concatenate([np.histogram(values[:, c], bins=BINS, range=(0, 256))[0] for c in range(3)])
    hist = hist / max(len(values), 1)
    texture = [np.abs(np.diff(blocks, axis=a)).mean() / 255 if blocks.shape[a] > 1 else 0.0 for a in (0, 1)]
    if full:
        texture += [np.abs(np.diff(pixels, axis=a)).mean() / 255 if pixels.shape[a] > 1 else 0.0 for a in (0, 1)]
    else:
        texture += [0.0, 0.0]
    stats = np.concatenate([values.mean(axis=0), values.std(axis=0)]) / 255
    return np.concatenate([grid, stats, hist, texture])


# ----------------------------------------------------------------------------------------------------- audio
def audio_features(samples: np.ndarray, rate: int, bands: int = BANDS) -> np.ndarray:
    """Log energies of ``bands`` log-spaced frequency bands: their mean, spread and peak over the clip's
    frames, and how the second half differs from the first (a rising call, a rhythm)."""
    frame = 256 if rate <= 8000 else 512
    hop = frame // 2
    if len(samples) < frame:
        samples = np.pad(samples, (0, frame - len(samples)))
    starts = np.arange(0, len(samples) - frame + 1, hop)
    frames = np.stack([samples[s:s + frame] for s in starts]) * np.hanning(frame)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / rate)
    edges = np.geomspace(max(freqs[1], 20.0), rate / 2, bands + 1)
    index = np.clip(np.searchsorted(edges, freqs, side="right") - 1, -1, bands)
    energy = np.stack([power[:, index == b].mean(axis=1) if (index == b).any() else np.zeros(len(frames))
                       for b in range(bands)], axis=1)
    logs = np.log10(energy + 1e-10)
    half = max(len(logs) // 2, 1)
    rise = logs[half:].mean(axis=0) - logs[:half].mean(axis=0) if len(logs) > 1 else np.zeros(bands)
    return np.concatenate([logs.mean(axis=0), logs.std(axis=0), logs.max(axis=0), rise])


# ---------------------------------------------------------------------------------------------------- pixels
def _box(image: np.ndarray, size: int, how: str) -> np.ndarray:
    pad = size // 2
    padded = np.pad(image, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
    return {"mean": windows.mean, "min": windows.min, "max": windows.max}[how](axis=(2, 3))


def pixel_features(gray: np.ndarray) -> np.ndarray:
    """Per-pixel features of a grey page (values in [0, 1]): the pixel, its 3x3 mean, min and max, its 5x5
    mean, the page's local background (11x11 max) and the pixel's depth below it. ``(h * w, 7)``."""
    background = _box(gray, 11, "max")
    columns = [gray, _box(gray, 3, "mean"), _box(gray, 3, "min"), _box(gray, 3, "max"), _box(gray, 5, "mean"),
               background, background - gray]
    return np.stack([c.reshape(-1) for c in columns], axis=1)


# ---------------------------------------------------------------------------------------------------- tables
_DATE = re.compile(r"^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d)?)?")


def _looks_like_dates(series: pd.Series) -> bool:
    sample = series.dropna().astype(str).head(50)
    return len(sample) > 0 and bool(sample.map(lambda v: bool(_DATE.match(v))).all())


def _nested(series: pd.Series) -> bool:
    return bool(series.head(50).map(lambda v: isinstance(v, (list, dict))).any())


def plan_columns(train: pd.DataFrame, test: pd.DataFrame, exclude: set[str], keys: set[str]) -> dict[str, list[str]]:
    """Which shared columns are numbers, dates, categories and free text. Key columns count only as text
    (an insult's comment is both its key and what to learn from)."""
    plan: dict[str, list[str]] = {"numeric": [], "dates": [], "categories": [], "text": []}
    for col in train.columns:
        if col not in test.columns or col in exclude:
            continue
        series = train[col]
        if _nested(series):
            continue
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            if col not in keys:
                plan["numeric"].append(col)
            continue
        text = series.dropna().astype(str)
        if text.empty:
            continue
        if _looks_like_dates(series):
            if col not in keys:
                plan["dates"].append(col)
        elif text.str.len().mean() > 20 and text.str.contains(" ").mean() > 0.5 and series.nunique() > len(series) / 2:
            plan["text"].append(col)
        elif series.nunique() <= 50 and col not in keys:
            plan["categories"].append(col)
    return plan


def table_matrix(frame: pd.DataFrame, plan: dict[str, list[str]], reference: pd.DataFrame) -> np.ndarray:
    """The dense part of a table's features: numbers as they are (NaN kept), dates as their parts,
    categories as codes learnt on ``reference``."""
    out = [pd.to_numeric(frame[c], errors="coerce").astype(float).to_numpy() for c in plan["numeric"]]
    for col in plan["dates"]:
        stamps = pd.to_datetime(frame[col].astype(str).str.slice(0, 19), errors="coerce")
        out += [stamps.dt.year, stamps.dt.month, stamps.dt.day_of_week, stamps.dt.hour + stamps.dt.minute / 60]
        out[-4:] = [pd.Series(v).astype(float).to_numpy() for v in out[-4:]]
    for col in plan["categories"]:
        categories = pd.Index(reference[col].astype(str).unique())
        out.append(categories.get_indexer(frame[col].astype(str)).astype(float))
    return np.column_stack(out) if out else np.empty((len(frame), 0))


def table_text(frame: pd.DataFrame, plan: dict[str, list[str]]) -> pd.Series | None:
    """The free-text columns joined into one text per row (None without any)."""
    if not plan["text"]:
        return None
    joined = frame[plan["text"][0]].fillna("").astype(str)
    for col in plan["text"][1:]:
        joined = joined + " " + frame[col].fillna("").astype(str)
    return joined
