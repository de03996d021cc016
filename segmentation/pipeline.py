"""Image segmentation by k-means on per-pixel features: the whole pipeline.

``segment`` is the one call most users need: it turns an image into a feature
matrix (:mod:`segmentation.features`), clusters the rows with Lloyd's k-means
(:mod:`segmentation.kmeans`), and reshapes the labels back into an image,
keeping every iteration so the convergence can be replayed.

k-means numbers its clusters in whatever order the initialisation found them,
so the same picture could come back with its colours swapped after a small
parameter change. ``segment`` therefore renumbers the segments from darkest to
brightest mean colour, and applies the same renumbering to every iteration, so
colours stay put through an animation and between similar runs.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from ._validation import check_image, check_int
from .features import FeatureSpec, extract_features
from .kmeans import KMeansState, TooFewDistinctPointsError, kmeans_iter
from .metrics import SegmentStats, segment_statistics

__all__ = ["Segmentation", "segment"]

# Weights of R, G, B in perceived brightness (ITU-R BT.601 luma), used only to
# order the segments.
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class Segmentation:
    """The result of :func:`segment`: final labels, every iteration, statistics."""

    labels: np.ndarray  # (H, W) unsigned int, segment index of each pixel, read-only
    states: tuple[KMeansState, ...]  # every k-means iteration, renumbered like `labels`
    spec: FeatureSpec  # the features the pixels were clustered on
    feature_names: tuple[str, ...]  # names of the feature columns (= centre coordinates)
    statistics: tuple[SegmentStats, ...]  # one entry per segment 0..k-1
    elapsed_seconds: float  # wall time of feature extraction plus k-means

    @property
    def k(self) -> int:
        """Number of segments."""
        return self.states[-1].k

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the segmented image."""
        return self.labels.shape

    @property
    def inertia(self) -> float:
        """Final k-means inertia (sum of squared feature distances to centres)."""
        return self.states[-1].inertia

    @property
    def n_iter(self) -> int:
        """Number of update+assign iterations run after the initial assignment."""
        return self.states[-1].iteration

    @property
    def converged(self) -> bool:
        """Whether k-means stopped by convergence rather than ``max_iter``."""
        return self.states[-1].converged

    def labels_at(self, iteration: int) -> np.ndarray:
        """Label image (H, W) of one iteration, 0 to :attr:`n_iter`.

        Raises
        ------
        ValueError
            If ``iteration`` is outside 0..n_iter.
        """
        iteration = check_int(iteration, "iteration", low=0, high=self.n_iter)
        return self.states[iteration].labels.reshape(self.shape)


def segment(
    image,
    k: int = 4,
    *,
    color: str = "rgb",
    texture: bool = False,
    position_weight: float = 0.3,
    center_weight: float = 0.0,
    init="k-means++",
    seed: int | np.random.Generator | None = 0,
    max_iter: int = 100,
    tol: float = 1e-4,
    spec: FeatureSpec | None = None,
) -> Segmentation:
    """Segment an image into k regions by k-means on per-pixel features.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image, uint8 or float in [0, 1].
    k : int, optional
        Number of segments.
    color : {"rgb", "hsv", "lab", "gray", "none"}, optional
        Colour feature of each pixel.
    texture : bool, optional
        Add the local texture descriptor (see :mod:`segmentation.features`).
    position_weight : float, optional
        Weight of the normalised (row, column) position; 0 switches it off.
        Larger values make segments more compact and spatially connected.
    center_weight : float, optional
        Weight of the distance from the image centre; 0 switches it off.
    init : {"k-means++", "random"} or (k, d) array_like, optional
        Initialisation, see :func:`segmentation.kmeans.kmeans_iter`.
    seed : int, numpy.random.Generator or None, optional
        Seed of the initialisation; the same seed gives the same labels.
    max_iter, tol : optional
        Stopping rules, see :func:`segmentation.kmeans.kmeans_iter`.
    spec : FeatureSpec, optional
        A full feature specification; when given, it replaces ``color``,
        ``texture``, ``position_weight`` and ``center_weight``.

    Returns
    -------
    Segmentation
        Final labels (H, W), every iteration's state, and segment statistics.
        Segments are numbered from darkest to brightest mean colour.

    Raises
    ------
    ValueError
        If the image or a parameter is invalid, no feature is selected, or
        ``k`` exceeds the number of distinct pixels in feature space.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((4, 6), dtype=np.uint8)
    >>> image[:, 3:] = 255  # left half black, right half white
    >>> result = segment(image, k=2, position_weight=0)
    >>> result.labels.tolist()[0]
    [0, 0, 0, 1, 1, 1]
    >>> [s.pixel_count for s in result.statistics]
    [12, 12]
    """
    rgb = check_image(image)  # (H, W, 3) float32 in [0, 1]
    if spec is None:
        spec = FeatureSpec.from_weights(color, texture, position_weight, center_weight)
    elif not isinstance(spec, FeatureSpec):
        raise TypeError(f"spec must be a FeatureSpec or None, not {type(spec).__name__}")
    k = check_int(k, "k", low=1)
    started = time.perf_counter()
    features = extract_features(rgb, spec)
    try:
        states = list(kmeans_iter(features.values, k, init=init, max_iter=max_iter,
                                  tol=tol, seed=seed))
    except TooFewDistinctPointsError as err:
        raise ValueError(
            f"k={k} is more segments than this image has different pixels for the chosen "
            f"features (it has {err.n_distinct}); choose a smaller k or add features"
        ) from err
    elapsed = time.perf_counter() - started

    height, width = rgb.shape[:2]
    order = _dark_to_bright(rgb.reshape(-1, 3), states[-1].labels, k)
    states = tuple(_renumber(state, order) for state in states)
    labels = states[-1].labels.reshape(height, width)
    statistics = segment_statistics(rgb, labels, features.values, states[-1].centers)
    return Segmentation(labels, states, spec, features.names, statistics, elapsed)


def _dark_to_bright(pixels, labels, k) -> np.ndarray:
    """Old label of each new label: segments sorted by mean brightness.

    Ties (and empty segments, brightness 0) keep their k-means order, so the
    renumbering is deterministic.
    """
    counts = np.bincount(labels, minlength=k)
    brightness = np.bincount(labels, weights=pixels @ _LUMA, minlength=k)
    mean_brightness = brightness / np.maximum(counts, 1)
    return np.argsort(mean_brightness, kind="stable")


def _renumber(state: KMeansState, order: np.ndarray) -> KMeansState:
    """The same state with cluster ``order[i]`` renamed ``i``."""
    new_label_of = np.empty_like(order)
    new_label_of[order] = np.arange(order.size)
    labels = new_label_of.astype(state.labels.dtype)[state.labels]
    centers = state.centers[order]
    labels.flags.writeable = False
    centers.flags.writeable = False
    return dataclasses.replace(state, labels=labels, centers=centers)
