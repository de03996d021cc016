"""What the start does: stability of k-means across starts and similar images.

k-means finds a *local* minimum of the inertia, and which one depends on the
starting centres. A student can measure that instead of guessing:

1. **Agreement between two segmentations**: the *adjusted Rand index* (ARI,
   Hubert & Arabie 1985, :func:`adjusted_rand_index`) counts the pixel pairs on
   which both put the two pixels together or both apart, corrected for chance:
   1 for the same partition (whatever the label numbers), about 0 for
   unrelated ones.
2. **Stability across starts** (:func:`compare_starts`,
   :func:`pairwise_stability`): run k-means from many seeds, with k-means++
   (Arthur & Vassilvitskii 2007) and with random starts (Forgy 1965), and look
   at the spread of the final inertia, the number of iterations, and the ARI
   between every pair of runs.
3. **Stability to similar images** (:func:`perturbations`,
   :func:`stability_to_perturbations`): a good segmentation should barely
   change when the picture changes a little (some noise, a brightness change,
   a small shift); the ARI between the two label images measures how much.
4. **The k-means++ picks, step by step** (:func:`kmeanspp_steps`): which row
   each pick chose, and the D² probability every row had of being the next.

References
----------
.. [1] L. Hubert and P. Arabie, "Comparing partitions", Journal of
       Classification 2(1), 1985.
.. [2] D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
       seeding", Proceedings of SODA, 2007.
.. [3] E. W. Forgy, "Cluster analysis of multivariate data: efficiency versus
       interpretability of classifications", Biometrics 21, 1965.
.. [4] U. von Luxburg, "Clustering stability: an overview", Foundations and
       Trends in Machine Learning 2(3), 2010.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import (
    check_choice,
    check_float,
    check_image,
    check_int,
    check_random_state,
    check_real_matrix,
    check_sample_weight,
)
from .kmeans import kmeans, kmeans_plusplus
from .params import INIT_CHOICES, SegmentParams
from .pipeline import segment

__all__ = [
    "KMeansPlusPlusSteps",
    "PairwiseStability",
    "Perturbation",
    "PerturbationStability",
    "StartComparison",
    "StartRun",
    "adjusted_rand_index",
    "compare_starts",
    "kmeanspp_steps",
    "pairwise_stability",
    "perturbations",
    "stability_to_perturbations",
]

Progress = Callable[[float], None]


# ---------------------------------------------------------------------------
# Agreement between two partitions
# ---------------------------------------------------------------------------


def adjusted_rand_index(labels_a, labels_b) -> float:
    r"""Adjusted Rand index between two labelings of the same pixels (or rows).

    Parameters
    ----------
    labels_a, labels_b : array_like of int
        Two labelings of the same shape (any shape: a label image or a vector);
        the label values are arbitrary, only the grouping counts.

    Returns
    -------
    float
        1 for identical partitions, about 0 for chance agreement, at least -1
        (negative: less agreement than chance).

    Raises
    ------
    ValueError
        If the shapes differ, the labelings are empty or not integers.

    Notes
    -----
    From the contingency table ``n[i, j]`` (pixels in segment i of A and j of
    B) with row sums ``a_i``, column sums ``b_j`` and ``C(m) = m (m - 1) / 2``:

    .. math::

        ARI = \frac{\sum_{ij} C(n_{ij}) - E}{\tfrac12 (\sum_i C(a_i) + \sum_j C(b_j)) - E},
        \quad E = \frac{\sum_i C(a_i) \sum_j C(b_j)}{C(n)}.

    If both partitions are trivial (one segment, or one pixel per segment)
    the denominator is 0 and ARI is 1, as in scikit-learn.

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 2, 2])  # same grouping, other names
    1.0
    >>> adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1])  # every pair disagrees
    -0.5
    """
    a, b = np.asarray(labels_a), np.asarray(labels_b)
    if a.shape != b.shape:
        raise ValueError(f"labels_a and labels_b must have the same shape, got {a.shape} "
                         f"and {b.shape}")
    if a.size == 0:
        raise ValueError("labels_a and labels_b must have at least one element, got none")
    for name, labels in (("labels_a", a), ("labels_b", b)):
        if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
            raise ValueError(f"{name} must hold integers, got dtype {labels.dtype}")
    return _adjusted_rand(_contingency(a.reshape(-1), b.reshape(-1)))


def _contingency(a, b) -> np.ndarray:
    """(n_a, n_b) int64 table of co-occurrence counts of two flat labelings."""
    if min(int(a.min()), int(b.min())) >= 0 and (int(a.max()) + 1) * (int(b.max()) + 1) <= 1 << 20:
        # Small non-negative labels (k-means labels) index the table directly:
        # an unused label is an all-zero row or column, which adds no pair.
        a_index, b_index = a.astype(np.int64), b.astype(np.int64)
    else:  # arbitrary values: compact them to 0..m-1 first (a sort)
        a_index = np.unique(a, return_inverse=True)[1].reshape(-1).astype(np.int64)
        b_index = np.unique(b, return_inverse=True)[1].reshape(-1).astype(np.int64)
    n_a, n_b = int(a_index.max()) + 1, int(b_index.max()) + 1
    return np.bincount(a_index * n_b + b_index, minlength=n_a * n_b).reshape(n_a, n_b)


def _pairs(counts) -> int:
    """sum of C(m) = m (m - 1) / 2, exactly (a Python int)."""
    counts = np.asarray(counts, dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _adjusted_rand(table) -> float:
    """ARI of an int64 contingency table, in exact integer arithmetic."""
    together_both = _pairs(table)
    together_a = _pairs(table.sum(axis=1))
    together_b = _pairs(table.sum(axis=0))
    all_pairs = _pairs([table.sum()])
    # (index - expected) / (max - expected), multiplied through by 2 * all_pairs.
    numerator = 2 * (all_pairs * together_both - together_a * together_b)
    denominator = all_pairs * (together_a + together_b) - 2 * together_a * together_b
    return 1.0 if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class PairwiseStability:
    """ARI between every pair of runs, and its summary; the matrix is read-only."""

    ari: np.ndarray  # (m, m) float64, symmetric, 1 on the diagonal
    mean: float  # mean ARI over the m (m - 1) / 2 distinct pairs
    min: float  # the least similar pair
    max: float  # the most similar pair
    n_pairs: int  # m (m - 1) / 2


def pairwise_stability(label_images: Sequence) -> PairwiseStability:
    """Adjusted Rand index between every pair of label images.

    Parameters
    ----------
    label_images : sequence of array_like of int
        At least two labelings of the same shape (e.g. one per seed).

    Returns
    -------
    PairwiseStability

    Raises
    ------
    ValueError
        If there are fewer than two labelings or their shapes differ.

    Examples
    --------
    >>> s = pairwise_stability([[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]])
    >>> s.mean, s.min, s.max, s.n_pairs
    (0.0, -0.5, 1.0, 3)
    """
    runs = [np.asarray(labels) for labels in label_images]
    if len(runs) < 2:
        raise ValueError(f"label_images must hold at least 2 labelings, got {len(runs)}")
    ari = np.eye(len(runs))
    for i, j in itertools.combinations(range(len(runs)), 2):
        ari[i, j] = ari[j, i] = adjusted_rand_index(runs[i], runs[j])
    upper = ari[np.triu_indices(len(runs), k=1)]
    ari.flags.writeable = False
    return PairwiseStability(ari, float(upper.mean()), float(upper.min()), float(upper.max()),
                             int(upper.size))


# ---------------------------------------------------------------------------
# Similar images
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Perturbation:
    """A slightly changed copy of an image, and where it overlaps the original."""

    name: str  # "noise", "brightness" or "shift"
    description: str  # one sentence for people, with the amount
    image: np.ndarray  # (H, W, 3) uint8, read-only
    original_region: tuple[slice, slice]  # pixels of the original compared...
    perturbed_region: tuple[slice, slice]  # ...with these pixels of the copy (same shape)


def perturbations(
    image,
    seed: int | np.random.Generator | None = 0,
    *,
    noise_sigma: float = 0.03,
    brightness: float = 0.08,
    shift_fraction: float = 0.02,
) -> tuple[Perturbation, ...]:
    """Three images similar to ``image``: with noise, brighter, and shifted.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1].
    seed : int, numpy.random.Generator or None, optional
        Seeds the noise.
    noise_sigma : float, optional
        Standard deviation of the Gaussian noise added to every channel, in
        units of the full range (0.03 = 7.65 grey levels of 255).
    brightness : float, optional
        Added to every channel, in units of the full range; values are
        clipped to [0, 1].
    shift_fraction : float, optional
        The content moves down and right by this fraction of the height and
        width (at least 1 pixel each); the uncovered strip repeats the edge.
        Only the overlapping area is compared.

    Returns
    -------
    tuple of Perturbation
        ``noise``, ``brightness`` and ``shift``, in that order, as uint8.

    Raises
    ------
    ValueError
        If ``image`` is invalid, ``noise_sigma`` is negative, ``brightness``
        is outside [-1, 1] or ``shift_fraction`` outside [0, 0.5).

    Examples
    --------
    >>> image = np.zeros((50, 100, 3), dtype=np.uint8)
    >>> [p.name for p in perturbations(image)]
    ['noise', 'brightness', 'shift']
    >>> shift = perturbations(image)[2]
    >>> shift.original_region, shift.perturbed_region
    ((slice(0, 49, None), slice(0, 98, None)), (slice(1, 50, None), slice(2, 100, None)))
    """
    rgb = check_image(image)  # (H, W, 3) float32 in [0, 1]
    noise_sigma = check_float(noise_sigma, "noise_sigma", low=0.0)
    brightness = check_float(brightness, "brightness", low=-1.0, high=1.0)
    shift_fraction = check_float(shift_fraction, "shift_fraction", low=0.0)
    if shift_fraction >= 0.5:
        raise ValueError(f"shift_fraction={shift_fraction:g} must be below 0.5, so that the "
                         f"shifted image still overlaps the original")
    rng = check_random_state(seed)
    height, width = rgb.shape[:2]
    everything = (slice(0, height), slice(0, width))

    noisy = rgb + rng.normal(scale=noise_sigma, size=rgb.shape)
    brighter = rgb + brightness
    # Shift by (dy, dx): copy[y, x] = original[y - dy, x - dx]; the edge fills the gap.
    dy = min(height - 1, max(1, round(shift_fraction * height))) if shift_fraction else 0
    dx = min(width - 1, max(1, round(shift_fraction * width))) if shift_fraction else 0
    padded = np.pad(rgb, ((dy, 0), (dx, 0), (0, 0)), mode="edge")  # (H + dy, W + dx, 3)
    shifted = padded[:height, :width]
    return (
        Perturbation("noise", f"Gaussian noise of standard deviation {noise_sigma:g} "
                     f"({noise_sigma * 255:.3g} grey levels) on every channel",
                     _to_uint8(noisy), everything, everything),
        Perturbation("brightness", f"{brightness:+g} ({brightness * 255:+.3g} grey levels) "
                     f"on every channel", _to_uint8(brighter), everything, everything),
        Perturbation("shift", f"moved {dy} pixel(s) down and {dx} right; compared where "
                     f"the two overlap", _to_uint8(shifted),
                     (slice(0, height - dy), slice(0, width - dx)),
                     (slice(dy, height), slice(dx, width))),
    )


def _to_uint8(rgb) -> np.ndarray:
    """[0, 1] floats (clipped) to read-only uint8."""
    image = np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
    image.flags.writeable = False
    return image


@dataclass(frozen=True)
class PerturbationStability:
    """How much a segmentation changes on similar images."""

    labels: np.ndarray  # (H, W) uint, the segmentation of the original image
    perturbations: tuple[Perturbation, ...]  # the similar images
    perturbed_labels: tuple[np.ndarray, ...]  # (H, W) uint, one segmentation per perturbation
    ari: tuple[float, ...]  # ARI of each against the original, on the overlap, in [-1, 1]


def stability_to_perturbations(
    image,
    params: SegmentParams | None = None,
    *,
    seed: int | np.random.Generator | None = 0,
    noise_sigma: float = 0.03,
    brightness: float = 0.08,
    shift_fraction: float = 0.02,
    progress: Progress | None = None,
) -> PerturbationStability:
    """Segment an image and three similar images; ARI of each against the original.

    Parameters
    ----------
    image : (H, W[, 3]) array_like
        uint8 or float in [0, 1]; a :func:`~segmentation.choosing_k.working_image`
        keeps this fast.
    params : SegmentParams, optional
        The run (features, k, init, k-means seed...); default ``SegmentParams()``.
        Every image is segmented with the same parameters and seed.
    seed : int, numpy.random.Generator or None, optional
        Seeds the noise of the perturbations.
    noise_sigma, brightness, shift_fraction : float, optional
        The perturbations, see :func:`perturbations`.
    progress : callable, optional
        Called with the fraction done, in (0, 1], after each segmentation.

    Returns
    -------
    PerturbationStability

    Raises
    ------
    ValueError
        As :func:`perturbations` and :func:`segmentation.segment`.
    TypeError
        If ``params`` is not a :class:`SegmentParams`.

    Examples
    --------
    >>> image = np.zeros((20, 20, 3), dtype=np.uint8)
    >>> image[:, 10:] = 200
    >>> result = stability_to_perturbations(image, SegmentParams(k=2, position_weight=0))
    >>> [round(value, 3) for value in result.ari]
    [1.0, 1.0, 1.0]
    """
    if params is None:
        params = SegmentParams()
    if not isinstance(params, SegmentParams):
        raise TypeError(f"params must be a SegmentParams or None, not {type(params).__name__}")
    similar = perturbations(image, seed, noise_sigma=noise_sigma, brightness=brightness,
                            shift_fraction=shift_fraction)
    kwargs = params.segment_kwargs()
    labels = segment(image, **kwargs).labels
    if progress is not None:
        progress(1 / (1 + len(similar)))
    perturbed_labels, ari = [], []
    for step, perturbation in enumerate(similar, start=2):
        other = segment(perturbation.image, **kwargs).labels
        perturbed_labels.append(other)
        ari.append(adjusted_rand_index(labels[perturbation.original_region],
                                       other[perturbation.perturbed_region]))
        if progress is not None:
            progress(step / (1 + len(similar)))
    return PerturbationStability(labels, similar, tuple(perturbed_labels), tuple(ari))


# ---------------------------------------------------------------------------
# Many starts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StartRun:
    """One k-means run from one start."""

    init: str  # "k-means++" or "random"
    seed: int  # the seed of this run's start
    inertia: float  # final inertia
    n_iter: int  # update+assign iterations after the initial assignment
    converged: bool  # False if it stopped at max_iter
    labels: np.ndarray  # (n,) uint, read-only, final label of each row


@dataclass(frozen=True)
class StartComparison:
    """Many runs of k-means from different starts, for each initialisation."""

    k: int  # number of clusters
    inits: tuple[str, ...]  # the initialisations compared
    seeds: tuple[int, ...]  # the seeds, the same for every init
    runs: tuple[StartRun, ...]  # every run, grouped by init in the order of `inits`
    best_inertia: float  # the lowest final inertia over all runs

    def runs_of(self, init: str) -> tuple[StartRun, ...]:
        """The runs of one initialisation, in seed order."""
        check_choice(init, "init", self.inits)
        return tuple(run for run in self.runs if run.init == init)

    def best(self, init: str) -> StartRun:
        """The run of ``init`` with the lowest inertia (the first of equal ones)."""
        return min(self.runs_of(init), key=lambda run: run.inertia)

    def worst(self, init: str) -> StartRun:
        """The run of ``init`` with the highest inertia (the first of equal ones)."""
        return max(self.runs_of(init), key=lambda run: run.inertia)

    def good_fraction(self, init: str, tolerance: float = 0.01) -> float:
        """Fraction of the runs of ``init`` within ``tolerance`` (relative) of the best inertia."""
        limit = self.best_inertia * (1.0 + tolerance)
        runs = self.runs_of(init)
        return sum(run.inertia <= limit for run in runs) / len(runs)

    def stability(self, init: str) -> PairwiseStability:
        """ARI between every pair of runs of ``init``."""
        return pairwise_stability([run.labels for run in self.runs_of(init)])


def compare_starts(
    X,
    k: int,
    *,
    n_seeds: int = 20,
    inits: Iterable[str] = INIT_CHOICES,
    seed: int = 0,
    max_iter: int = 100,
    tol: float = 1e-4,
    progress: Progress | None = None,
) -> StartComparison:
    """Run k-means from ``n_seeds`` starts with each initialisation.

    Run ``i`` of every initialisation uses the seed ``seed + i``, so a run
    can be repeated alone with ``kmeans(X, k, init=..., seed=seed + i)``.

    Parameters
    ----------
    X : (n, d) array_like of float
        The rows (e.g. the features of a working-size image).
    k : int
        Number of clusters.
    n_seeds : int, optional
        Runs per initialisation, at least 1.
    inits : iterable of {"k-means++", "random"}, optional
        The initialisations to compare.
    seed : int, optional
        First seed, >= 0.
    max_iter, tol : optional
        Stopping rules, see :func:`segmentation.kmeans.kmeans_iter`.
    progress : callable, optional
        Called with the fraction done, in (0, 1], after each run.

    Returns
    -------
    StartComparison

    Raises
    ------
    ValueError
        If ``X`` or ``k`` is invalid, ``n_seeds`` is below 1, ``inits`` is
        empty or holds an unknown name, or ``seed`` is negative.
    TypeError
        If ``k``, ``n_seeds`` or ``seed`` is not an integer.

    Examples
    --------
    >>> X = [[0.0], [0.2], [5.0], [5.2], [9.0], [9.2]]
    >>> runs = compare_starts(X, 3, n_seeds=4)
    >>> round(runs.best("k-means++").inertia, 6), len(runs.runs)  # 3 pairs, each 2 * 0.1²
    (0.06, 8)
    """
    X = check_real_matrix(X)
    n_seeds = check_int(n_seeds, "n_seeds", low=1)
    inits = tuple(check_choice(init, "inits", INIT_CHOICES) for init in inits)
    if not inits:
        raise ValueError("inits must name at least one initialisation, got none")
    seed = check_int(seed, "seed", low=0)
    seeds = tuple(range(seed, seed + n_seeds))
    runs = []
    for init in inits:
        for run_seed in seeds:
            state = kmeans(X, k, init=init, seed=run_seed, max_iter=max_iter, tol=tol)
            runs.append(StartRun(init, run_seed, state.inertia, state.iteration,
                                 state.converged, state.labels))
            if progress is not None:
                progress(len(runs) / (len(inits) * n_seeds))
    return StartComparison(k, inits, seeds, tuple(runs), min(run.inertia for run in runs))


# ---------------------------------------------------------------------------
# k-means++, one pick at a time
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KMeansPlusPlusSteps:
    """The picks of (non-greedy) k-means++, with the distribution of each; read-only."""

    rows: tuple[int, ...]  # row index of each pick, in order
    centers: np.ndarray  # (k, d) float64, the picked rows
    probabilities: np.ndarray  # (k, n) float64: row j = the distribution pick j was drawn from


def kmeanspp_steps(
    X,
    k: int,
    seed: int | np.random.Generator | None = 0,
    *,
    sample_weight=None,
) -> KMeansPlusPlusSteps:
    """The k-means++ picks one at a time, with the D² probability of every row.

    Pick 0 is drawn in proportion to the weights (uniformly without them).
    Pick j > 0 is drawn with probability ``w(x) D(x)² / sum w D²``, where
    ``D(x)`` is the distance from row x to the nearest of picks 0..j-1: far
    rows are likely, rows near a pick are not. The picks are exactly those of
    ``kmeans_plusplus(X, k, seed=seed, n_local_trials=1)`` (the original
    algorithm of Arthur & Vassilvitskii, without greedy trials).

    Parameters
    ----------
    X : (n, d) array_like of float
    k : int
        Number of picks.
    seed : int, numpy.random.Generator or None, optional
        As in :func:`segmentation.kmeans.kmeans_plusplus`.
    sample_weight : (n,) array_like of float, optional
        Non-negative row weights.

    Returns
    -------
    KMeansPlusPlusSteps
        ``probabilities[j]`` is the heat map to show before pick j; each row of
        it sums to 1. Where X has duplicate rows, ``rows[j]`` is the first row
        equal to the pick (all copies are the same point).

    Raises
    ------
    ValueError
        As :func:`segmentation.kmeans.kmeans_plusplus`.

    Notes
    -----
    The probabilities are computed here in float64 with exact differences;
    the draw inside k-means++ uses float32 distances, so they agree to about
    1e-6 relative.

    Examples
    --------
    >>> steps = kmeanspp_steps([[0.0], [1.0], [3.0]], 2, seed=0)
    >>> steps.probabilities[0].tolist()  # pick 0: uniform
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> steps.rows[0], steps.probabilities[1].round(3).tolist()  # then D² from row 2
    (2, [0.692, 0.308, 0.0])
    """
    centers = kmeans_plusplus(X, k, seed=seed, sample_weight=sample_weight, n_local_trials=1)
    X = check_real_matrix(X)
    weights = check_sample_weight(sample_weight, X.shape[0])
    weights = np.ones(X.shape[0]) if weights is None else weights
    rows = tuple(int(np.flatnonzero((X == center).all(axis=1))[0]) for center in centers)
    probabilities = np.empty((len(rows), X.shape[0]))  # (k, n)
    closest = np.full(X.shape[0], np.inf)  # (n,) D² to the nearest pick so far
    for j, row in enumerate(rows):
        potential = weights if j == 0 else weights * closest  # (n,)
        if potential.sum() <= 0:  # only copies of picks left: k-means++ draws among all rows
            potential = weights
        probabilities[j] = potential / potential.sum()
        difference = X.astype(np.float64) - X[row]  # (n, d)
        np.minimum(closest, np.einsum("ij,ij->i", difference, difference), out=closest)
    centers.flags.writeable = False
    probabilities.flags.writeable = False
    return KMeansPlusPlusSteps(rows, centers, probabilities)
