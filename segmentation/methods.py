"""Other segmentation methods beside our k-means, with one common result type.

Every method here returns a :class:`MethodResult`: labels, wall time, and the
number of segments and of connected regions, so a page or a benchmark can put
them side by side.

* **k-means** (:func:`run_kmeans`): :func:`segmentation.segment`, clustering
  every pixel's colour (and position).
* **SLIC superpixels** (:func:`run_slic`, Achanta et al. 2012): k-means on
  colour + position again, but each centre only looks at a window of twice
  the grid step around itself. Its ``compactness`` m plays the role of our
  ``position_weight`` w: see :func:`equivalent_position_weight` and
  :func:`slic_vs_kmeans_agreement`, where students find where the two agree.
* **Felzenszwalb-Huttenlocher** (:func:`run_felzenszwalb`, 2004): a graph of
  neighbouring pixels, edges merged from the most similar while the
  difference between two regions is small compared with their internal
  variation (``scale`` sets the preference for large regions).
* **Hierarchical merging** (:func:`merge_hierarchy`, :func:`run_hierarchy`):
  SLIC superpixels as nodes of a region adjacency graph, greedily merged from
  the closest pair of mean colours; the whole merge sequence is kept, so a
  slider can browse it from fine (every superpixel) to coarse (one region).
* **k-means over superpixels** (:func:`kmeans_on_superpixels`): k-means on
  the mean feature of each superpixel, weighted by its size, painted back on
  the pixels: a few hundred points instead of all the pixels.
  :func:`superpixel_speedup` measures the speed-up and what it costs.

References
----------
Achanta, R., Shaji, A., Smith, K., Lucchi, A., Fua, P. and Süsstrunk, S.
(2012). SLIC superpixels compared to state-of-the-art superpixel methods.
*IEEE TPAMI*, 34(11), 2274-2282. :doi:`10.1109/TPAMI.2012.120`

Felzenszwalb, P. F. and Huttenlocher, D. P. (2004). Efficient graph-based
image segmentation. *International Journal of Computer Vision*, 59(2),
167-181. :doi:`10.1023/B:VISI.0000022288.19776.77`

Trémeau, A. and Colantoni, P. (2000). Regions adjacency graph applied to color
image segmentation. *IEEE Transactions on Image Processing*, 9(4), 735-744.
:doi:`10.1109/83.841950`
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from skimage import color as skcolor
from skimage import graph, measure
from skimage.segmentation import felzenszwalb, slic

from ._validation import check_float, check_image, check_int
from .features import FeatureSpec, extract_features
from .kmeans import kmeans
from .metrics import compare_to_ground_truth
from .params import DEFAULTS
from .pipeline import segment
from .postprocess import _mean_color_distance, _merge_mean_color, _region_adjacency_graph

__all__ = [
    "AgreementGrid",
    "Hierarchy",
    "MethodResult",
    "SuperpixelComparison",
    "compare_methods",
    "equivalent_position_weight",
    "kmeans_on_superpixels",
    "merge_hierarchy",
    "run_felzenszwalb",
    "run_hierarchy",
    "run_kmeans",
    "run_slic",
    "slic_vs_kmeans_agreement",
    "superpixel_speedup",
]

# A progress callback: called with (runs done, runs in total, what runs next).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class MethodResult:
    """One method's segmentation of an image."""

    method: str  # e.g. "k-means", "SLIC", "Felzenszwalb", "hierarchy"
    parameters: str  # the settings as text, e.g. "scale=500, min_size=500"
    labels: np.ndarray  # (H, W) int32 segment of each pixel, 0..n_segments-1, read-only
    seconds: float  # wall time of the method (validation included)
    n_segments: int  # distinct labels
    n_regions: int  # connected regions (4-connectivity)


def _result(method: str, parameters: str, labels: np.ndarray, seconds: float) -> MethodResult:
    """A MethodResult with labels compacted to 0..n-1 and counted."""
    _, compact = np.unique(labels, return_inverse=True)
    compact = compact.reshape(labels.shape).astype(np.int32)
    compact.flags.writeable = False
    n_regions = int(measure.label(compact, background=-1, connectivity=1).max())
    return MethodResult(method, parameters, compact, seconds, int(compact.max()) + 1, n_regions)


# --------------------------------------------------------------------------- #
# The methods
# --------------------------------------------------------------------------- #
def run_kmeans(image, k: int, *, color: str = DEFAULTS.color,
               position_weight: float = DEFAULTS.position_weight,
               seed: int = DEFAULTS.seed) -> MethodResult:
    """Our k-means (:func:`segmentation.segment`) as a :class:`MethodResult`.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    k : int
        Number of segments.
    color : str, optional
        Colour feature, see :func:`segmentation.segment`.
    position_weight : float, optional
        Weight of the pixel position; 0 = colour only.
    seed : int, optional
        Seed of the k-means++ initialisation.

    Returns
    -------
    MethodResult

    Raises
    ------
    ValueError
        As :func:`segmentation.segment`.

    Examples
    --------
    >>> image = np.zeros((4, 6), dtype=np.uint8)
    >>> image[:, 3:] = 255
    >>> result = run_kmeans(image, 2, position_weight=0)
    >>> result.n_segments, result.n_regions, result.seconds > 0
    (2, 2, True)
    """
    started = time.perf_counter()
    labels = segment(image, k, color=color, position_weight=position_weight, seed=seed).labels
    return _result("k-means", f"k={k}, {color}, position_weight={position_weight:g}",
                   labels, time.perf_counter() - started)


def run_slic(image, n_segments: int, *, compactness: float = 10.0,
             enforce_connectivity: bool = True) -> MethodResult:
    """SLIC superpixels (:func:`skimage.segmentation.slic`, in CIELAB).

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    n_segments : int
        Approximate number of superpixels (the grid of starting centres).
    compactness : float, optional
        Weight of position against colour; larger = squarer superpixels.
    enforce_connectivity : bool, optional
        Give stray pieces to a neighbour (scikit-image's default). False
        leaves SLIC as pure local k-means, as compared in
        :func:`slic_vs_kmeans_agreement`.

    Returns
    -------
    MethodResult

    Raises
    ------
    ValueError
        If the image is invalid, ``n_segments`` < 1 or ``compactness`` <= 0.

    Examples
    --------
    >>> image = np.zeros((40, 40), dtype=np.uint8)
    >>> image[:, 20:] = 255
    >>> result = run_slic(image, 4)  # a 2 x 2 grid of starting centres
    >>> result.n_segments, bool((result.labels[:, :20] != result.labels[:, 20:]).all())
    (4, True)
    """
    rgb = check_image(image)
    n_segments = check_int(n_segments, "n_segments", low=1)
    compactness = _positive(compactness, "compactness")
    started = time.perf_counter()
    labels = slic(rgb, n_segments=n_segments, compactness=compactness, start_label=0,
                  enforce_connectivity=bool(enforce_connectivity), channel_axis=-1)
    return _result("SLIC", f"n_segments={n_segments}, compactness={compactness:g}",
                   labels, time.perf_counter() - started)


def run_felzenszwalb(image, *, scale: float = 500.0, sigma: float = 0.8,
                     min_size: int = 500) -> MethodResult:
    """Felzenszwalb-Huttenlocher graph segmentation (:func:`skimage.segmentation.felzenszwalb`).

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    scale : float, optional
        Higher means larger regions.
    sigma : float, optional
        Gaussian smoothing before building the graph, in pixels.
    min_size : int, optional
        Regions smaller than this are merged with a neighbour afterwards.

    Returns
    -------
    MethodResult

    Raises
    ------
    ValueError
        If the image is invalid or a parameter is out of range.

    Examples
    --------
    >>> image = np.zeros((40, 40), dtype=np.uint8)
    >>> image[:, 20:] = 255
    >>> result = run_felzenszwalb(image, scale=100, min_size=300)
    >>> result.labels.shape, result.n_segments
    ((40, 40), 2)
    """
    rgb = check_image(image)
    scale = _positive(scale, "scale")
    sigma = check_float(sigma, "sigma", low=0)
    min_size = check_int(min_size, "min_size", low=0)
    started = time.perf_counter()
    labels = felzenszwalb(rgb, scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)
    return _result("Felzenszwalb", f"scale={scale:g}, sigma={sigma:g}, min_size={min_size}",
                   labels, time.perf_counter() - started)


def _positive(value, name: str) -> float:
    """A finite float > 0."""
    value = check_float(value, name, low=0)
    if value == 0:
        raise ValueError(f"{name}={value:g} must be > 0")
    return value


# --------------------------------------------------------------------------- #
# Hierarchical merging over superpixels
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Hierarchy:
    """Greedy merging of superpixels, recorded from fine to coarse.

    Merge i joins region ``merges[i, 0]`` into region ``merges[i, 1]`` (ids
    of superpixels, the second keeps its id); after m merges the image has
    ``n_superpixels - m`` regions.
    """

    superpixels: np.ndarray  # (H, W) int32, finest regions 0..n_superpixels-1, read-only
    merges: np.ndarray  # (n_merges, 2) int64, (merged, kept) region ids in merge order, read-only
    distances: np.ndarray  # (n_merges,) ΔE between the two mean colours when merged, read-only
    seconds: float  # wall time of superpixels + graph + all merges

    @property
    def n_superpixels(self) -> int:
        """Number of regions at the finest level."""
        return int(self.superpixels.max()) + 1

    @property
    def coarsest(self) -> int:
        """Number of regions once every merge is done (1 for a connected image)."""
        return self.n_superpixels - len(self.merges)

    def labels_at(self, n_regions: int) -> np.ndarray:
        """Label image (H, W) with ``n_regions`` regions, numbered 0..n_regions-1.

        Raises
        ------
        ValueError
            If ``n_regions`` is outside ``coarsest .. n_superpixels``.
        """
        n_regions = check_int(n_regions, "n_regions", low=self.coarsest, high=self.n_superpixels)
        parent = np.arange(self.n_superpixels)
        done = self.n_superpixels - n_regions
        parent[self.merges[:done, 0]] = self.merges[:done, 1]
        root = parent
        while not np.array_equal(root, parent[root]):  # follow chains of merges
            root = parent[root]
        _, compact = np.unique(root, return_inverse=True)
        return compact.astype(np.int32)[self.superpixels]

    def n_regions_at_threshold(self, threshold: float) -> int:
        """Regions left when merging stops at the first pair at least ``threshold`` apart.

        The same as :func:`skimage.graph.merge_hierarchical` with ``thresh=threshold``.

        Raises
        ------
        ValueError
            If ``threshold`` is negative or not finite.
        """
        threshold = check_float(threshold, "threshold", low=0)
        stop = np.flatnonzero(self.distances >= threshold)
        done = int(stop[0]) if stop.size else len(self.distances)
        return self.n_superpixels - done


def merge_hierarchy(image, *, n_superpixels: int = 400, compactness: float = 10.0,
                    progress: Progress | None = None) -> Hierarchy:
    """SLIC superpixels merged greedily by mean colour, keeping the whole merge sequence.

    1. Split the image into about ``n_superpixels`` SLIC superpixels.
    2. Build their region adjacency graph, edges weighted by the CIELAB
       distance of mean colours (:func:`segmentation.postprocess.region_adjacency_graph`).
    3. Repeatedly merge the closest adjacent pair and update the mean colour
       (:func:`skimage.graph.merge_hierarchical` with an infinite threshold),
       recording each merge.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    n_superpixels : int, optional
        Approximate number of SLIC superpixels at the finest level.
    compactness : float, optional
        SLIC compactness.
    progress : callable, optional
        Called as ``progress(done, 3, step)`` before each step and at the end.

    Returns
    -------
    Hierarchy
        Browse it with :meth:`Hierarchy.labels_at`.

    Raises
    ------
    ValueError
        If the image is invalid or a parameter is out of range.

    Examples
    --------
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> hierarchy = merge_hierarchy(image, n_superpixels=9)
    >>> hierarchy.labels_at(2)[0, [0, 29]].tolist(), hierarchy.coarsest
    ([0, 1], 1)
    """
    rgb = check_image(image)
    n_superpixels = check_int(n_superpixels, "n_superpixels", low=1)
    compactness = _positive(compactness, "compactness")
    started = time.perf_counter()
    _report(progress, 0, 3, "superpixels")
    superpixels = slic(rgb, n_segments=n_superpixels, compactness=compactness, start_label=0,
                       channel_axis=-1)
    _report(progress, 1, 3, "region adjacency graph")
    lab = skcolor.rgb2lab(rgb.astype(np.float64))
    rag, regions = _region_adjacency_graph(superpixels, lab)
    merges: list[tuple[int, int]] = []
    distances: list[float] = []

    def record(rag: graph.RAG, src: int, dst: int) -> None:
        merges.append((src, dst))
        distances.append(rag[src][dst]["weight"])
        _merge_mean_color(rag, src, dst)

    _report(progress, 2, 3, "merging")
    graph.merge_hierarchical(regions.labels, rag, thresh=np.inf, rag_copy=False,
                             in_place_merge=True, merge_func=record,
                             weight_func=_mean_color_distance)
    _report(progress, 3, 3, "done")
    merge_array = np.array(merges, dtype=np.int64).reshape(-1, 2)
    distance_array = np.array(distances, dtype=np.float64)
    region_labels = regions.labels.copy()  # connected superpixels, 0..count-1
    for array in (region_labels, merge_array, distance_array):
        array.flags.writeable = False
    return Hierarchy(region_labels, merge_array, distance_array, time.perf_counter() - started)


def run_hierarchy(image, n_regions: int, *, n_superpixels: int = 400,
                  compactness: float = 10.0) -> MethodResult:
    """Hierarchical merging (:func:`merge_hierarchy`) cut at ``n_regions`` regions.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    n_regions : int
        Regions wanted; clipped to what the hierarchy has.
    n_superpixels, compactness : optional
        As in :func:`merge_hierarchy`.

    Returns
    -------
    MethodResult

    Raises
    ------
    ValueError
        If the image is invalid or a parameter is out of range.

    Examples
    --------
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> run_hierarchy(image, 2, n_superpixels=9).n_regions
    2
    """
    n_regions = check_int(n_regions, "n_regions", low=1)
    started = time.perf_counter()
    hierarchy = merge_hierarchy(image, n_superpixels=n_superpixels, compactness=compactness)
    level = min(max(n_regions, hierarchy.coarsest), hierarchy.n_superpixels)
    return _result("hierarchy", f"n_regions={level}, n_superpixels={n_superpixels}",
                   hierarchy.labels_at(level), time.perf_counter() - started)


# --------------------------------------------------------------------------- #
# k-means over superpixels
# --------------------------------------------------------------------------- #
def kmeans_on_superpixels(image, k: int, *, n_superpixels: int = 400, compactness: float = 10.0,
                          color: str = "lab", position_weight: float = DEFAULTS.position_weight,
                          seed: int = DEFAULTS.seed) -> MethodResult:
    """k-means on superpixel mean features, weighted by superpixel size, painted back.

    1. SLIC superpixels (about ``n_superpixels``).
    2. The mean feature vector of each superpixel (the same features as
       :func:`segmentation.segment`: colour and, if weighted, position).
    3. k-means on those few hundred rows, each weighted by its pixel count,
       so a large superpixel pulls its centre as hard as all its pixels would.
    4. Every pixel takes its superpixel's cluster.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    k : int
        Number of segments; at most the number of superpixels.
    n_superpixels, compactness : optional
        SLIC settings.
    color, position_weight : optional
        Features, as in :func:`segmentation.segment`.
    seed : int, optional
        Seed of k-means++.

    Returns
    -------
    MethodResult

    Raises
    ------
    ValueError
        If the image or a parameter is invalid, or ``k`` exceeds the number
        of distinct superpixel features.

    Examples
    --------
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> labels = kmeans_on_superpixels(image, 2, n_superpixels=9, position_weight=0).labels
    >>> bool(labels[0, 0] != labels[0, 29]), len(np.unique(labels[:, :15]))  # halves apart
    (True, 1)
    """
    rgb = check_image(image)
    k = check_int(k, "k", low=1)
    n_superpixels = check_int(n_superpixels, "n_superpixels", low=1)
    compactness = _positive(compactness, "compactness")
    spec = FeatureSpec.from_weights(color, position_weight=position_weight)
    started = time.perf_counter()
    superpixels = slic(rgb, n_segments=n_superpixels, compactness=compactness, start_label=0,
                       channel_axis=-1).ravel()  # (n,)
    features = extract_features(rgb, spec).values  # (n, d) float32
    sizes = np.bincount(superpixels)  # (m,) pixels per superpixel
    means = np.stack([np.bincount(superpixels, weights=features[:, j]) for j in
                      range(features.shape[1])], axis=1) / np.maximum(sizes, 1)[:, None]  # (m, d)
    present = sizes > 0
    state = kmeans(means[present], k, sample_weight=sizes[present], seed=seed)
    cluster = np.zeros(sizes.size, dtype=np.int32)
    cluster[present] = state.labels
    labels = cluster[superpixels].reshape(rgb.shape[:2])
    return _result("k-means on superpixels",
                   f"k={k}, {color}, position_weight={position_weight:g}, "
                   f"n_superpixels={n_superpixels}", labels, time.perf_counter() - started)


@dataclass(frozen=True)
class SuperpixelComparison:
    """k-means on every pixel against k-means on superpixel means, same features."""

    pixels: MethodResult  # k-means on all pixels (segmentation.segment), fastest of the repeats
    superpixels: MethodResult  # kmeans_on_superpixels, fastest of the repeats
    speedup: float  # pixels.seconds / superpixels.seconds (> 1: superpixels faster)
    slic_seconds: float  # of superpixels.seconds, the SLIC step alone (fastest of the repeats)
    agreement: float  # adjusted Rand index between the two label images
    inertia_ratio: float  # pixel inertia of the superpixel labels / of the pixel labels (>= about 1)


def superpixel_speedup(image, k: int, *, n_superpixels: int = 400, color: str = "lab",
                       position_weight: float = DEFAULTS.position_weight,
                       seed: int = DEFAULTS.seed, repeat: int = 1) -> SuperpixelComparison:
    """Measure what clustering superpixels instead of pixels gains and costs.

    Both runs cluster the same features with the same ``k`` and ``seed``. The
    cost is measured on the pixels: the k-means inertia (sum of squared
    distances of every pixel's features to its segment's mean) of each label
    image, as a ratio. With colour-only features :func:`segmentation.segment`
    already clusters distinct colours instead of pixels, so the speed-up is
    largest with a position weight.

    Each run is timed ``repeat`` times and the fastest time kept (as
    :mod:`timeit` advises: the others were slowed down by other work on the
    machine); the SLIC step is also timed alone, to show where the time goes.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    k : int
        Number of segments.
    n_superpixels, color, position_weight, seed : optional
        As in :func:`kmeans_on_superpixels`.
    repeat : int, optional
        Timings per run; the fastest is kept.

    Returns
    -------
    SuperpixelComparison

    Raises
    ------
    ValueError
        If the image or a parameter is invalid.

    Examples
    --------
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> comparison = superpixel_speedup(image, 2, n_superpixels=9)
    >>> comparison.agreement, round(comparison.inertia_ratio, 6)
    (1.0, 1.0)
    """
    repeat = check_int(repeat, "repeat", low=1)

    def fastest(run: Callable[[], MethodResult]) -> MethodResult:
        return min((run() for _ in range(repeat)), key=lambda result: result.seconds)

    pixels = fastest(lambda: run_kmeans(image, k, color=color, position_weight=position_weight,
                                        seed=seed))
    superpixels = fastest(lambda: kmeans_on_superpixels(
        image, k, n_superpixels=n_superpixels, color=color, position_weight=position_weight,
        seed=seed))
    slic_alone = fastest(lambda: run_slic(image, n_superpixels))
    features = extract_features(check_image(image),
                                FeatureSpec.from_weights(color, position_weight=position_weight)).values
    inertias = [_inertia(features, result.labels.ravel()) for result in (pixels, superpixels)]
    return SuperpixelComparison(
        pixels, superpixels, pixels.seconds / superpixels.seconds,
        slic_alone.seconds,
        compare_to_ground_truth(superpixels.labels, pixels.labels).adjusted_rand,
        inertias[1] / inertias[0] if inertias[0] > 0 else float(inertias[1] == 0),
    )


def _inertia(features: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of rows to the mean of their label, in float64."""
    counts = np.bincount(labels).astype(np.float64)  # (k,)
    total = 0.0
    for j in range(features.shape[1]):
        column = features[:, j].astype(np.float64)
        sums = np.bincount(labels, weights=column)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        total += float(((column - means[labels]) ** 2).sum())
    return total


# --------------------------------------------------------------------------- #
# The lesson: SLIC is k-means on colour + position
# --------------------------------------------------------------------------- #
def equivalent_position_weight(image, n_segments: int, compactness: float) -> float:
    r"""Our ``position_weight`` that weighs position as SLIC's ``compactness`` does.

    SLIC (as scikit-image computes it) measures colour in CIELAB units (ΔE,
    after stretching the RGB values to the full range [0, 1]), divides it by
    the compactness m, and adds the distance in pixels over the grid step
    :math:`S = \sqrt{HW / K}`:
    :math:`D^2 = (\Delta E / m)^2 + (\Delta xy / S)^2`.
    Our features measure colour as ΔE / 100 and position as
    :math:`w \cdot (i / (H-1), j / (W-1))`. Multiplying SLIC's distance by
    :math:`(m / 100)^2` makes the colour terms equal, and then the position
    terms match when

    .. math:: w = \frac{m\, (L - 1)}{100\, S}

    with L the image side (for a square image; we use the geometric mean of
    H - 1 and W - 1). Only the local window of SLIC remains different (and,
    for a picture that does not span black to white, SLIC's contrast stretch).

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    n_segments : int
        SLIC's number of superpixels K.
    compactness : float
        SLIC's m.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the image is invalid, ``n_segments`` < 1 or ``compactness`` <= 0.

    Examples
    --------
    >>> image = np.zeros((101, 101, 3), dtype=np.uint8)
    >>> round(equivalent_position_weight(image, 4, 10), 3)  # 10 * 100 / (100 * 50.5)
    0.198
    """
    rgb = check_image(image)
    n_segments = check_int(n_segments, "n_segments", low=1)
    compactness = _positive(compactness, "compactness")
    height, width = rgb.shape[:2]
    step = np.sqrt(height * width / n_segments)
    side = np.sqrt(max(height - 1, 1) * max(width - 1, 1))
    return float(compactness * side / (100.0 * step))


@dataclass(frozen=True)
class AgreementGrid:
    """Agreement between SLIC (n_segments = k, no connectivity step) and our k-means."""

    k: int  # SLIC's n_segments and our k
    compactness: tuple[float, ...]  # SLIC compactness values (rows)
    position_weights: tuple[float, ...]  # our position weights (columns)
    adjusted_rand: np.ndarray  # (rows, columns) ARI between the two label images, read-only
    equivalent_weights: tuple[float, ...]  # equivalent_position_weight of each compactness
    slic_segments: tuple[int, ...]  # segments SLIC actually returned, per compactness

    @property
    def best(self) -> tuple[float, float, float]:
        """(compactness, position_weight, ARI) of the most agreeing pair."""
        row, column = np.unravel_index(int(np.argmax(self.adjusted_rand)), self.adjusted_rand.shape)
        return (self.compactness[row], self.position_weights[column],
                float(self.adjusted_rand[row, column]))


def slic_vs_kmeans_agreement(
    image,
    k: int,
    *,
    compactness: Sequence[float] = (1.0, 3.0, 10.0, 30.0, 100.0),
    position_weights: Sequence[float] = (0.0, 0.1, 0.2, 0.5, 1.0, 2.0),
    color: str = "lab",
    seed: int = DEFAULTS.seed,
    progress: Progress | None = None,
) -> AgreementGrid:
    """How closely SLIC with ``n_segments = k`` reproduces our k-means, over a grid.

    SLIC runs without its connectivity step (``enforce_connectivity=False``),
    so it is plain k-means on Lab colour + position with a local search
    window; with K = k the window (twice the grid step) covers most of the
    image. The agreement of each pair is the adjusted Rand index between the
    two label images; it peaks near ``w = equivalent_position_weight(m)``.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    k : int
        Number of segments of both methods.
    compactness, position_weights : sequence of float, optional
        The grid: SLIC compactness values (> 0) and our position weights (>= 0).
    color : str, optional
        Our colour feature; "lab" compares like with like.
    seed : int, optional
        Seed of our k-means.
    progress : callable, optional
        Called as ``progress(done, total, label)`` before each run and at the end.

    Returns
    -------
    AgreementGrid

    Raises
    ------
    ValueError
        If the image or a parameter is invalid or a grid is empty.

    Examples
    --------
    >>> image = np.zeros((40, 40, 3), dtype=np.uint8)
    >>> image[:20, 20:], image[20:, :20], image[20:, 20:] = (255, 0, 0), (0, 0, 255), 255
    >>> grid = slic_vs_kmeans_agreement(image, 4, compactness=(0.1,), position_weights=(0.0,))
    >>> grid.adjusted_rand.tolist(), grid.slic_segments  # four flat quadrants: full agreement
    ([[1.0]], (4,))
    """
    rgb = check_image(image)
    k = check_int(k, "k", low=1)
    compactness = tuple(_positive(m, "compactness") for m in compactness)
    position_weights = tuple(check_float(w, "position_weights", low=0) for w in position_weights)
    if not compactness or not position_weights:
        raise ValueError("compactness and position_weights must each hold at least one value")
    total = len(compactness) + len(position_weights)
    ours = []
    for done, weight in enumerate(position_weights):
        _report(progress, done, total, f"k-means, position_weight={weight:g}")
        ours.append(segment(rgb, k, color=color, position_weight=weight, seed=seed).labels)
    ari = np.zeros((len(compactness), len(position_weights)))
    slic_segments = []
    for row, m in enumerate(compactness):
        _report(progress, len(position_weights) + row, total, f"SLIC, compactness={m:g}")
        theirs = run_slic(rgb, k, compactness=m, enforce_connectivity=False).labels
        slic_segments.append(int(theirs.max()) + 1)
        for column, labels in enumerate(ours):
            ari[row, column] = compare_to_ground_truth(labels, theirs).adjusted_rand
    _report(progress, total, total, "done")
    ari.flags.writeable = False
    equivalent = tuple(equivalent_position_weight(rgb, k, m) for m in compactness)
    return AgreementGrid(k, compactness, position_weights, ari, equivalent, tuple(slic_segments))


# --------------------------------------------------------------------------- #
# All methods side by side
# --------------------------------------------------------------------------- #
def compare_methods(image, k: int, *, color: str = DEFAULTS.color,
                    position_weight: float = DEFAULTS.position_weight,
                    seed: int = DEFAULTS.seed, n_superpixels: int = 400,
                    felzenszwalb_scale: float = 500.0, felzenszwalb_min_size: int = 500,
                    progress: Progress | None = None) -> tuple[MethodResult, ...]:
    """Run every method of this module on one image, for a side-by-side page.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    k : int
        Segments of k-means and k-means on superpixels, regions of the hierarchy.
    color, position_weight, seed : optional
        For the k-means runs (features as in :func:`segmentation.segment`).
    n_superpixels : int, optional
        SLIC superpixels (shown as their own method, and used by the hierarchy).
    felzenszwalb_scale, felzenszwalb_min_size : optional
        Felzenszwalb's settings.
    progress : callable, optional
        Called as ``progress(done, 5, method)`` before each method and at the end.

    Returns
    -------
    tuple of MethodResult
        k-means, k-means on superpixels, SLIC, Felzenszwalb, hierarchy.

    Raises
    ------
    ValueError
        If the image or a parameter is invalid.

    Examples
    --------
    >>> image = np.zeros((30, 30), dtype=np.uint8)
    >>> image[:, 15:] = 255
    >>> [r.method for r in compare_methods(image, 2, n_superpixels=9, felzenszwalb_min_size=10)]
    ['k-means', 'k-means on superpixels', 'SLIC', 'Felzenszwalb', 'hierarchy']
    """
    runs = [
        ("k-means", lambda: run_kmeans(image, k, color=color, position_weight=position_weight,
                                       seed=seed)),
        ("k-means on superpixels", lambda: kmeans_on_superpixels(
            image, k, n_superpixels=n_superpixels, color=color, position_weight=position_weight,
            seed=seed)),
        ("SLIC", lambda: run_slic(image, n_superpixels)),
        ("Felzenszwalb", lambda: run_felzenszwalb(image, scale=felzenszwalb_scale,
                                                  min_size=felzenszwalb_min_size)),
        ("hierarchy", lambda: run_hierarchy(image, k, n_superpixels=n_superpixels)),
    ]
    results = []
    for done, (name, run) in enumerate(runs):
        _report(progress, done, len(runs), name)
        results.append(run())
    _report(progress, len(runs), len(runs), "done")
    return tuple(results)


def _report(progress: Progress | None, done: int, total: int, name: str) -> None:
    """Call the progress callback if there is one."""
    if progress is not None:
        progress(done, total, name)
