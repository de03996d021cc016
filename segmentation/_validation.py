"""Shared input checks for the public functions of :mod:`segmentation`.

Every public function normalises its input once, here, so that the algorithm
bodies can assume clean arrays. Each check raises :class:`ValueError` (or
:class:`TypeError` for a wrong kind of object) with a message that names the
parameter, the rule and the value received: errors that teach.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

def check_random_state(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator`.

    ``None`` gives fresh OS entropy, an int gives a reproducible generator and a
    ``Generator`` is used as is (so a caller can share one stream of numbers).
    """
    if seed is None or isinstance(seed, (numbers.Integral, np.integer)):
        if seed is not None and int(seed) < 0:
            raise ValueError(f"seed={seed} must be a non-negative integer, a Generator or None")
        return np.random.default_rng(None if seed is None else int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise TypeError(
        f"seed={seed!r} must be an int, a numpy.random.Generator or None, "
        f"not {type(seed).__name__}"
    )


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[low, high]`` and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}={value!r} must be an integer, not {type(value).__name__}")
    value = int(value)
    if low is not None and value < low or high is not None and value > high:
        raise ValueError(f"{name}={value} must be {_range_text(low, high)}")
    return value


def check_float(
    value, name: str, *, low: float | None = None, high: float | None = None
) -> float:
    """Check that ``value`` is a finite real number in ``[low, high]``; return a ``float``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}={value!r} must be a number, not {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}={value} must be a finite number")
    if low is not None and value < low or high is not None and value > high:
        raise ValueError(f"{name}={value:g} must be {_range_text(low, high)}")
    return value


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices`` (case-sensitive)."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} must be one of {listed}")
    return value


def check_data_matrix(X, name: str = "X") -> np.ndarray:
    """Check a data matrix as :func:`check_real_matrix` does; return it as C-contiguous float32."""
    X = np.ascontiguousarray(check_real_matrix(X, name), dtype=np.float32)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} has values too large for float32 (above 3.4e38)")
    return X


def check_real_matrix(X, name: str = "X") -> np.ndarray:
    """Check a data matrix: 2-D, real, finite, at least one row and column.

    Returns ``X`` as an ndarray of its own real dtype (no float32 cast, so no
    precision is lost before the caller decides how to compute).
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)
            or X.dtype == bool):
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if np.issubdtype(X.dtype, np.floating) and not np.isfinite(X).all():
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); k-means needs finite numbers")
    return X


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """Check optional per-row weights: shape (n,), finite, non-negative, not all zero.

    Returns ``None`` for ``None`` (all weights equal) or a float64 array.
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must contain finite, non-negative numbers")
    if not (w > 0).any():
        raise ValueError("sample_weight must have at least one positive weight, got all zeros")
    return w


def check_image(image, name: str = "image") -> np.ndarray:
    """Check an image and return it as float32 RGB in [0, 1], shape (H, W, 3).

    Accepts (H, W) grayscale or (H, W, 3) RGB, as uint8 (0..255), bool, or float
    in [0, 1]. Grayscale is replicated into three equal channels, so every colour
    feature works on it.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, 3), got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name} must have at least one pixel, got shape {image.shape}")
    if image.dtype == np.uint8:
        rgb = image.astype(np.float32) / np.float32(255)
    elif image.dtype == bool:
        rgb = image.astype(np.float32)
    elif np.issubdtype(image.dtype, np.floating):
        rgb = image.astype(np.float32)
        if not np.isfinite(rgb).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        lo, hi = float(rgb.min()), float(rgb.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"a float {name} must have values in [0, 1], got range [{lo:g}, {hi:g}]; "
                "divide by 255 or pass uint8"
            )
    else:
        raise ValueError(f"{name} must be uint8, bool or float in [0, 1], got dtype {image.dtype}")
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb)


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f">= {low}"
    return f"<= {high}"


def check_labels(
    labels,
    name: str = "labels",
    *,
    shape: tuple[int, int] | None = None,
    n_labels: int | None = None,
) -> np.ndarray:
    """Check a label image: 2-D, non-negative integers, optionally a given shape and range.

    ``bool`` masks are accepted and returned as ``uint8`` (0 and 1). Other integer
    arrays are returned as they are (no copy), so callers can feed them to
    :func:`numpy.bincount` directly. ``shape`` is the ``(H, W)`` the labels must
    match (one label per pixel); ``n_labels`` is the exclusive upper bound on the
    label values.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (H, W), got shape {labels.shape}")
    if labels.size == 0:
        raise ValueError(f"{name} must have at least one pixel, got shape {labels.shape}")
    if shape is not None and labels.shape != tuple(shape):
        raise ValueError(
            f"{name} must have shape {tuple(shape)} (one label per pixel), got shape {labels.shape}"
        )
    if labels.dtype == bool:
        labels = labels.astype(np.uint8)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {labels.dtype}")
    low = int(labels.min())
    if low < 0:
        raise ValueError(f"{name} must be non-negative integers, got minimum {low}")
    if n_labels is not None:
        high = int(labels.max())
        if high >= n_labels:
            raise ValueError(
                f"{name} must be between 0 and {n_labels - 1} (one per centre), got maximum {high}"
            )
    return labels
