"""The parameters of a run, as the app's modules import them.

A re-export: :class:`SegmentParams`, its defaults, limits and the choices the
widgets offer live in :mod:`segmentation.params`, the one place the package,
the command line and the app read them from. The app, the cache and the
downloads all speak about a run through a :class:`SegmentParams`: the widgets
produce one, the cache uses it (with the image digest) as its key, and the
parameters JSON and the Python script are written from it.

Examples
--------
>>> SegmentParams().k == DEFAULTS.k == CONTROL_DEFAULTS["k"]
True
"""

from __future__ import annotations

from segmentation.params import (
    COLOR_SPACES,
    CONTROL_DEFAULTS,
    DEFAULTS,
    INIT_CHOICES,
    K_RANGE,
    MAX_ITER_RANGE,
    SEED_RANGE,
    TOL_CHOICES,
    WEIGHT_RANGE,
    NoFeatureSelectedError,
    SegmentParams,
)

__all__ = [
    "COLOR_SPACES",
    "CONTROL_DEFAULTS",
    "DEFAULTS",
    "INIT_CHOICES",
    "K_RANGE",
    "MAX_ITER_RANGE",
    "NoFeatureSelectedError",
    "SEED_RANGE",
    "SegmentParams",
    "TOL_CHOICES",
    "WEIGHT_RANGE",
]
