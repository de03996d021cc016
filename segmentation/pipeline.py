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

When the features are colour only (no texture, position or distance from the
centre), two pixels of the same colour have the same feature vector, so
``segment`` clusters each *distinct colour* once, weighted by how many pixels
have it: the same k-means on a much smaller matrix (a photo of 12 million
pixels typically has a few hundred thousand colours). See
:func:`_cluster_distinct_colours`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import check_image, check_int
from .features import FeatureMatrix, FeatureSpec, extract_features
from .kmeans import KMeansState, TooFewDistinctPointsError, kmeans_iter
from .metrics import SegmentStats, _segment_statistics
from .params import DEFAULTS

__all__ = ["Segmentation", "TooFewDistinctPixelsError", "segment"]

# Weights of R, G, B in perceived brightness (ITU-R BT.601 luma), used only to
# order the segments.
_LUMA = np.array([0.299, 0.587, 0.114])

# Pixels converted to colour keys per block, so no (n, 3) temporary is built.
_KEY_CHUNK = 1 << 18


class TooFewDistinctPixelsError(TooFewDistinctPointsError):
    """``k`` is larger than the number of different pixels of the image.

    "Different" is counted in feature space: with ``color="gray"``, two
    colours of the same gray level are the same pixel. A
    :class:`~segmentation.kmeans.TooFewDistinctPointsError`, hence a
    ``ValueError``, worded for an image.
    """

    def __init__(self, k: int, n_distinct: int):
        super().__init__(k, n_distinct)  # sets .k and .n_distinct
        self.args = (
            f"k={k} is more segments than this image has different pixels for the chosen "
            f"features (it has {n_distinct}); choose a smaller k or add features",
        )

    def __reduce__(self):
        # Exceptions pickle as type(self)(*args); our constructor takes (k, n_distinct).
        return type(self), (self.k, self.n_distinct)


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
    k: int = DEFAULTS.k,
    *,
    color: str = DEFAULTS.color,
    texture: bool = DEFAULTS.texture,
    position_weight: float = DEFAULTS.position_weight,
    center_weight: float = DEFAULTS.center_weight,
    init=DEFAULTS.init,
    seed: int | np.random.Generator | None = DEFAULTS.seed,
    max_iter: int = DEFAULTS.max_iter,
    tol: float = DEFAULTS.tol,
    n_init: int = DEFAULTS.n_init,
    spec: FeatureSpec | None = None,
    features: FeatureMatrix | None = None,
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
    n_init : int, optional
        Random starts drawn one after the other from ``seed``; the run with the
        lowest final inertia is kept (best of N), with all its iterations.
    spec : FeatureSpec, optional
        A full feature specification; when given, it replaces ``color``,
        ``texture``, ``position_weight`` and ``center_weight``.
    features : FeatureMatrix, optional
        ``extract_features(image, spec)``, if the caller already has it: an
        app that keeps it per picture and feature settings does not extract
        it again when only ``k`` or the start changes. Its shape and column
        names are checked, its values trusted. Colour-only features ignore
        it (the distinct colours are faster, see Notes).

    Returns
    -------
    Segmentation
        Final labels (H, W), every iteration's state, and segment statistics.
        Segments are numbered from darkest to brightest mean colour.

    Raises
    ------
    TooFewDistinctPixelsError
        A ``ValueError``: ``k`` exceeds the number of distinct pixels in
        feature space.
    ValueError
        If the image or a parameter is invalid or no feature is selected.
    TypeError
        If ``spec`` is not a :class:`FeatureSpec`, ``features`` not a
        :class:`FeatureMatrix`, or ``k`` or ``seed`` has the wrong type.

    Notes
    -----
    With colour-only features, the distinct colours are clustered once each,
    weighted by their pixel counts; labels, inertia and statistics are those
    of k-means on all pixels (up to float rounding), just computed faster.
    With ``init="k-means++"`` the seeding draws among colours in proportion
    to their pixel counts, so a given ``seed`` picks other (equally likely)
    starting centres than it would on the pixel matrix.

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
    if features is not None:
        _check_features(features, spec, rgb.shape)
    options = dict(init=init, max_iter=max_iter, tol=tol, seed=seed, n_init=n_init)
    started = time.perf_counter()
    colours = _distinct_colours(image, rgb) if _is_colour_only(spec) else None
    try:
        if colours is None:
            states, features = _cluster_all_pixels(rgb, spec, k, options, features)
        else:
            states, features = _cluster_distinct_colours(colours, spec, k, options)
    except TooFewDistinctPointsError as err:
        raise TooFewDistinctPixelsError(err.k, err.n_distinct) from err
    elapsed = time.perf_counter() - started

    height, width = rgb.shape[:2]
    labels = states[-1].labels.reshape(height, width)
    # Validated already; float32, as segment_statistics' validation makes them (no copies
    # for the features, which are float32 already).
    statistics = _segment_statistics(rgb, labels, np.ascontiguousarray(features, np.float32),
                                     states[-1].centers.astype(np.float32))
    return Segmentation(labels, states, spec, spec.feature_names, statistics, elapsed)


# ---------------------------------------------------------------------------
# The two ways to run k-means on an image. Both assume validated input and
# return (states renumbered dark to bright with one label per pixel, the
# (H*W, d) feature matrix for the statistics).
# ---------------------------------------------------------------------------


def _cluster_all_pixels(rgb, spec, k, options, features=None
                        ) -> tuple[tuple[KMeansState, ...], np.ndarray]:
    """k-means on the feature vector of every pixel: the plain path."""
    if features is None:
        features = extract_features(rgb, spec)
    features = features.values  # (n, d) float32
    states = list(kmeans_iter(features, k, **options))
    luma = rgb.reshape(-1, 3) @ _LUMA  # (n,) float64 brightness of each pixel
    order = _dark_to_bright(luma, states[-1].labels, k)
    return tuple(_renumber(state, order) for state in states), features


class _Colours(NamedTuple):
    """The distinct colours of an image and where each pixel's colour is."""

    rgb: np.ndarray  # (m, 3) float32, the distinct colours, exactly as check_image gives them
    counts: np.ndarray  # (m,) int64, pixels of each colour; sums to n
    inverse: np.ndarray  # (n,) intp, index into `rgb` of each pixel's colour


def _cluster_distinct_colours(colours: _Colours, spec, k, options
                              ) -> tuple[tuple[KMeansState, ...], np.ndarray]:
    """k-means on the distinct colours, weighted by pixel counts, expanded to pixels.

    Invariant: without texture, position or centre distance, a pixel's
    features depend on its colour alone, so the n pixel rows are m distinct
    rows repeated. A row of weight w counts exactly as w identical rows in
    k-means (means, inertia, k-means++ draw, tol's variance), and identical
    rows always get the same label, so the weighted run on the m rows *is*
    the run on the n rows: expanding ``labels[inverse]`` gives every pixel's
    label, the inertia is already the all-pixel inertia, and only
    ``n_changed`` must be recounted in pixels. tests/test_pipeline.py checks
    this against :func:`_cluster_all_pixels` from the same starting centres.

    It relies on a colour's features being computed the same on the strip of
    distinct colours as on the photo: bit for bit for rgb, hsv and lab.
    ``color="gray"`` uses skimage's ``rgb2gray``, a matrix product whose
    float32 result can differ by one ulp with the pixel's position, so a gray
    level lying within 1e-7 of a boundary could in principle flip.
    """
    values = extract_features(colours.rgb[None], spec).values  # (m, d) float32
    counts, inverse = colours.counts, colours.inverse
    luma_sums = counts * (colours.rgb @ _LUMA)  # (m,) summed brightness of each row's pixels
    if values.shape[1] == 1:
        # One column (gray level): many colours share a value, so merge those rows
        # too; k-means on the merged rows is again the same (same invariant).
        levels, row_of_colour = np.unique(values[:, 0], return_inverse=True)
        values = np.ascontiguousarray(levels[:, None])  # (m', 1) float32
        row_of_colour = row_of_colour.reshape(-1)  # (m,) colour -> row
        counts = np.bincount(row_of_colour, weights=counts, minlength=len(levels))
        counts = counts.astype(np.int64)  # (m',) pixels of each gray level, exact
        luma_sums = np.bincount(row_of_colour, weights=luma_sums, minlength=len(levels))
        inverse = row_of_colour[inverse]  # (n,) pixel -> merged row
    row_states = list(kmeans_iter(values, k, sample_weight=counts, **options))

    # Renumber on the m rows (cheap), then expand each state once to n pixels.
    order = _dark_to_bright(luma_sums, row_states[-1].labels, k, counts)
    states, previous = [], None
    for state in row_states:
        state = _renumber(state, order)
        if previous is None:
            n_changed = int(inverse.size)  # iteration 0: every pixel is new
        else:
            n_changed = int(counts[state.labels != previous.labels].sum())  # in pixels
        if n_changed == 0:  # same labels: share the previous read-only pixel array
            pixel_labels = states[-1].labels
        else:
            pixel_labels = np.take(state.labels, inverse)  # (n,) uint8 for k <= 256
            pixel_labels.flags.writeable = False
        states.append(dataclasses.replace(state, labels=pixel_labels, n_changed=n_changed))
        previous = state
    return tuple(states), values[inverse]


def _check_features(features, spec: FeatureSpec, shape: tuple[int, ...]) -> None:
    """Check that precomputed ``features`` can be those of an image of ``shape`` for ``spec``."""
    if not isinstance(features, FeatureMatrix):
        raise TypeError(f"features must be a FeatureMatrix or None, not {type(features).__name__}")
    expected = (shape[0] * shape[1], len(spec.feature_names))
    if features.names != spec.feature_names or features.values.shape != expected:
        raise ValueError(
            f"features has columns {features.names} and shape {features.values.shape}, but "
            f"this image and spec need columns {spec.feature_names} and shape {expected}")


def _is_colour_only(spec: FeatureSpec) -> bool:
    """Whether the features are the colour columns alone (nothing spatial)."""
    return spec.color != "none" and spec.feature_names == FeatureSpec(color=spec.color).feature_names


def _distinct_colours(image, rgb: np.ndarray) -> _Colours | None:
    """The distinct colours of an 8-bit image, or None if it is not 8-bit.

    ``image`` is what the caller passed, ``rgb`` the float32 (H, W, 3) that
    check_image made of it. Each pixel gets the 24-bit key
    ``R << 16 | G << 8 | B`` of its 0..255 channel values. For a float image
    that is only exact if every channel value is ``q / 255`` in float32 for
    an integer q, as check_image computes it; otherwise (finer levels) the
    caller uses the all-pixel path. Colours come out in increasing key
    order, so the result is deterministic.
    """
    pixels = rgb.reshape(-1, 3)  # (n, 3) float32 view
    n = pixels.shape[0]
    image = np.asarray(image)
    eight_bit = image.reshape(n, -1) if image.dtype == np.uint8 else None  # (n, 1 or 3)
    keys = np.empty(n, dtype=np.int32)
    scale = np.float32(255)
    for start in range(0, n, _KEY_CHUNK):
        stop = min(start + _KEY_CHUNK, n)
        if eight_bit is not None:
            q = eight_bit[start:stop].astype(np.int32)  # (c, 1) gray or (c, 3) RGB
        else:
            levels = np.rint(pixels[start:stop] * scale)  # (c, 3) float32, 0..255
            if not np.array_equal(levels / scale, pixels[start:stop]):  # finer than 8 bits
                return None
            q = levels.astype(np.int32)
        if q.shape[1] == 1:  # a gray image: R = G = B = v
            keys[start:stop] = q[:, 0] * 0x010101
        else:
            keys[start:stop] = (q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]
    # Sorting 32-bit keys is fast (NumPy uses SIMD sorts); the sorted runs give
    # each colour and its count, and a table over all 2**24 keys maps a key back
    # to its colour's index: O(n) gathers instead of np.unique's argsort.
    keys_sorted = np.sort(keys)
    starts = np.flatnonzero(np.concatenate(([True], keys_sorted[1:] != keys_sorted[:-1])))
    present = keys_sorted[starts]  # (m,) the distinct keys, increasing
    counts = np.diff(np.append(starts, n))  # (m,) length of each run = pixels per colour
    del keys_sorted
    index_of_key = np.zeros(1 << 24, dtype=np.int32)  # 64 MB, only m entries used
    index_of_key[present] = np.arange(present.size, dtype=np.int32)
    inverse = index_of_key[keys]  # (n,) int32
    channels = np.stack([present >> 16, (present >> 8) & 255, present & 255], axis=1)
    colours = channels.astype(np.float32) / scale  # (m, 3), bit-identical to the pixels
    # intp, not int32: NumPy gathers with an intp index ~3x faster (no conversion).
    return _Colours(colours, counts.astype(np.int64), inverse.astype(np.intp))


def _dark_to_bright(luma_sums, labels, k, counts=None) -> np.ndarray:
    """Old label of each new label: segments sorted by mean brightness.

    Row i stands for ``counts[i]`` pixels (None: one each) whose brightness
    adds up to ``luma_sums[i]``. Ties (and empty segments, brightness 0) keep
    their k-means order, so the renumbering is deterministic.
    """
    pixels = np.bincount(labels, weights=counts, minlength=k)  # (k,) pixels per segment
    brightness = np.bincount(labels, weights=luma_sums, minlength=k)  # (k,) their sum
    mean_brightness = brightness / np.maximum(pixels, 1)
    return np.argsort(mean_brightness, kind="stable")


def _renumber(state: KMeansState, order: np.ndarray) -> KMeansState:
    """The same state with cluster ``order[i]`` renamed ``i``."""
    new_label_of = np.empty_like(order)
    new_label_of[order] = np.arange(order.size)
    table = new_label_of.astype(state.labels.dtype)
    if table.dtype == np.uint8:
        # Byte labels through a 256-byte table: exactly what bytes.translate does,
        # in one C loop without NumPy's conversion of the indices to intp (0.2 ms
        # instead of 0.34 for np.take at 512 x 512, and a run keeps ~20 states).
        full_table = np.pad(table, (0, 256 - table.size)).tobytes()
        # (Read-only over an immutable bytes object, as a frozen state's labels are.)
        labels = np.frombuffer(state.labels.tobytes().translate(full_table), dtype=np.uint8)
        labels = labels.reshape(state.labels.shape)
    else:
        labels = np.take(table, state.labels)
    centers = state.centers[order]
    labels.flags.writeable = False
    centers.flags.writeable = False
    return dataclasses.replace(state, labels=labels, centers=centers)
