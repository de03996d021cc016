"""Choosing k: the elbow of the inertia curve, and criteria that do not always fall.

k-means cannot choose k by itself: its objective, the *inertia* (total squared
distance of the points to their centres), only falls when k grows, down to 0
when every point has its own centre. This module computes what a student needs
to reason about k:

1. **The inertia curve** (:func:`elbow_curve`): the best inertia found for each
   k of a range. Each k is run from ``n_init`` k-means++ starts *and* from a warm
   start, the centres of the previous k plus new ones drawn by the k-means++ D²
   rule. The warm start begins below the previous inertia (one more centre can
   only bring points closer) and Lloyd's steps never raise it, so the curve is
   **non-increasing by construction**, not by luck of the starts.
2. **The elbow** (:func:`suggest_elbow`): the k after which more clusters buy
   little. We use the offline form of *Kneedle* (Satopää et al. 2011): scale
   both axes to [0, 1] and take the point farthest below the straight line (the
   *chord*) from the first to the last point.
3. **Criteria that can fall *and* rise**: the mean **silhouette**
   (Rousseeuw 1987; :func:`silhouette_score`) on a fixed random sample of rows,
   and the **Calinski–Harabasz** index (1974; :func:`calinski_harabasz_score`).
   Both compare the spread *between* clusters with the spread *within* them, so
   they peak at a k that separates well instead of always preferring more.

These pages run k-means many times; :func:`working_image` shrinks an image to
a working size first, where the lesson allows it.

References
----------
.. [1] V. Satopää, J. Albrecht, D. Irwin and B. Raghavan, "Finding a 'Kneedle'
       in a haystack: detecting knee points in system behavior", 31st
       International Conference on Distributed Computing Systems Workshops, 2011.
.. [2] P. J. Rousseeuw, "Silhouettes: a graphical aid to the interpretation and
       validation of cluster analysis", Journal of Computational and Applied
       Mathematics 20, 1987.
.. [3] T. Caliński and J. Harabasz, "A dendrite method for cluster analysis",
       Communications in Statistics 3(1), 1974.
.. [4] D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
       seeding", Proceedings of SODA, 2007.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_random_state, check_real_matrix
from .kmeans import KMeansState, kmeans
from .visualize import downscale_image

__all__ = [
    "WORKING_MAX_SIDE",
    "ElbowCurve",
    "ElbowSuggestion",
    "calinski_harabasz_score",
    "elbow_curve",
    "silhouette_score",
    "suggest_elbow",
    "working_image",
]

# Longer side, in pixels, of the image the teaching pages cluster many times.
# 160 px keeps the shapes of a photo recognisable and makes one k-means run on
# colour + position take ~20-100 ms, so 11 values of k x 4 starts fit in seconds.
WORKING_MAX_SIDE = 160

# Rows whose pairwise distances are computed at once for the silhouette:
# a (1024, m) float64 block is 8 MB for a sample of m = 1000 rows.
_SILHOUETTE_BLOCK = 1024


def working_image(image, max_side: int = WORKING_MAX_SIDE) -> np.ndarray:
    """Shrink an image to the working size of the pages that run k-means many times.

    A thin, documented wrapper of :func:`segmentation.visualize.downscale_image`
    (Lanczos, anti-aliased), so that every such page uses the same size and
    can say so. An image that already fits is returned at its size.

    Parameters
    ----------
    image : (H, W[, 3]) ndarray
        uint8 or float in [0, 1].
    max_side : int, optional
        Largest height or width of the result, at least 1.

    Returns
    -------
    (h, w, 3) ndarray of uint8
        ``max(h, w) <= max_side``, aspect ratio kept.

    Raises
    ------
    ValueError
        If ``image`` is invalid or ``max_side < 1``.

    Examples
    --------
    >>> working_image(np.zeros((512, 384, 3), dtype=np.uint8)).shape
    (160, 120, 3)
    """
    return downscale_image(image, max_side)


# ---------------------------------------------------------------------------
# Criteria of a clustering
# ---------------------------------------------------------------------------


def silhouette_score(X, labels) -> float:
    """Mean silhouette of the rows of ``X`` clustered by ``labels``.

    For row i in cluster A, let ``a`` be its mean distance to the other rows
    of A and ``b`` the smallest mean distance to the rows of another cluster.
    Its silhouette is ``(b - a) / max(a, b)``: near 1 when it sits well inside
    its cluster, near 0 on a border, negative when another cluster is closer.
    A row alone in its cluster scores 0 (Rousseeuw's convention, as in
    scikit-learn).

    Parameters
    ----------
    X : (m, d) array_like of float
        The rows; every pairwise distance is computed, so keep m to a few
        thousand (sample the rows of an image).
    labels : (m,) array_like of int
        Cluster of each row; arbitrary values, at least 2 and at most m - 1
        distinct.

    Returns
    -------
    float
        Mean silhouette, in [-1, 1].

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D real array, ``labels`` has the wrong
        shape, or the number of distinct labels is not between 2 and m - 1.

    Examples
    --------
    >>> X = [[0.0], [1.0], [10.0], [11.0]]
    >>> # Row 0: a = 1, b = (10 + 11) / 2, s = 0.905; row 1: a = 1, b = 9.5, s = 0.895.
    >>> round(silhouette_score(X, [0, 0, 1, 1]), 4)
    0.8997
    """
    X, index, n_clusters = _check_rows_and_labels(X, labels)
    m = X.shape[0]
    X = X - X.mean(axis=0)  # distances do not change; the expansion below is more precise
    # Sum of distances from each row to every cluster: (m, K), by blocks of rows.
    sizes = np.bincount(index, minlength=n_clusters).astype(np.float64)  # (K,)
    one_hot = np.zeros((m, n_clusters))
    one_hot[np.arange(m), index] = 1.0
    x_sq = np.einsum("ij,ij->i", X, X)  # (m,) ||x||²
    distance_sums = np.empty((m, n_clusters))
    for start in range(0, m, _SILHOUETTE_BLOCK):
        block = slice(start, start + _SILHOUETTE_BLOCK)
        # ||x - y||² = ||x||² - 2 x·y + ||y||²: one matrix product; rounding can
        # leave tiny negatives (clipped) and a tiny diagonal (set to 0).
        squared = x_sq[block, None] - 2.0 * X[block] @ X.T + x_sq[None, :]  # (b, m)
        distances = np.sqrt(np.maximum(squared, 0.0))
        rows_in_block = np.arange(start, min(start + _SILHOUETTE_BLOCK, m))
        distances[rows_in_block - start, rows_in_block] = 0.0
        distance_sums[block] = distances @ one_hot
    rows = np.arange(m)
    own_size = sizes[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = distance_sums[rows, index] / (own_size - 1)  # mean distance inside its cluster
        mean_to_others = distance_sums / sizes  # (m, K)
        mean_to_others[rows, index] = np.inf
        b = mean_to_others.min(axis=1)  # nearest other cluster
        s = (b - a) / np.maximum(a, b)
    s[(own_size == 1) | ~np.isfinite(s)] = 0.0  # singletons, and a = b = 0
    return float(np.mean(s))


def calinski_harabasz_score(X, labels) -> float:
    """Calinski–Harabasz index: between-cluster over within-cluster dispersion.

    ``CH = [B / (K - 1)] / [W / (n - K)]`` where ``W`` is the sum of squared
    distances of the rows to their cluster mean (the inertia at the means),
    ``B = sum_c n_c ||mean_c - mean||²`` and K the number of clusters. Higher
    is better; unlike the inertia it does not always improve with K.

    Parameters
    ----------
    X : (n, d) array_like of float
    labels : (n,) array_like of int
        Cluster of each row; at least 2 and at most n - 1 distinct values.

    Returns
    -------
    float
        The index, >= 0; 1.0 if ``W == 0`` (scikit-learn's convention).

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D real array, ``labels`` has the wrong
        shape, or the number of distinct labels is not between 2 and n - 1.

    Examples
    --------
    >>> X = [[0.0], [2.0], [10.0], [12.0]]
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])  # B = 100, W = 4
    50.0
    """
    X, index, n_clusters = _check_rows_and_labels(X, labels)
    n = X.shape[0]
    sizes = np.bincount(index, minlength=n_clusters).astype(np.float64)  # (K,)
    sums = np.stack([np.bincount(index, weights=column, minlength=n_clusters)
                     for column in X.T], axis=1)  # (K, d)
    means = sums / sizes[:, None]  # (K, d)
    within = float(np.sum((X - means[index]) ** 2))
    between = float(np.sum(sizes * np.sum((means - X.mean(axis=0)) ** 2, axis=1)))
    if within == 0.0:
        return 1.0
    return between * (n - n_clusters) / (within * (n_clusters - 1))


def _check_rows_and_labels(X, labels) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate (X, labels) for a criterion; labels compacted to 0..K-1."""
    X = check_real_matrix(X).astype(np.float64)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},), one per row of X, "
                         f"got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must hold integers, got dtype {labels.dtype}")
    _, index = np.unique(labels, return_inverse=True)
    n_clusters = int(index.max()) + 1
    if not 2 <= n_clusters <= X.shape[0] - 1:
        raise ValueError(f"labels has {n_clusters} distinct values; the criterion needs "
                         f"between 2 and n_rows - 1 = {X.shape[0] - 1}")
    return X, index.reshape(-1), n_clusters


# ---------------------------------------------------------------------------
# The elbow curve
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ElbowCurve:
    """Inertia and two criteria for each k of a range; arrays read-only."""

    ks: tuple[int, ...]  # the numbers of clusters tried, strictly increasing
    inertias: np.ndarray  # (m,) float64, lowest final inertia found for each k; non-increasing
    silhouettes: np.ndarray  # (m,) float64, mean silhouette on `sample_rows`; NaN where undefined
    calinski_harabasz: np.ndarray  # (m,) float64, CH index on all rows; NaN where undefined
    warm_start_won: np.ndarray  # (m,) bool, True where the start from k-1's centres was best
    labels: tuple[np.ndarray, ...]  # m arrays (n,) uint, the best run's labels for each k
    centers: tuple[np.ndarray, ...]  # m arrays (k, d) float64, the best run's centres
    sample_rows: np.ndarray  # (s,) int64 sorted, the rows the silhouette is measured on
    n_init: int  # k-means++ starts per k, besides the warm start

    def suggestion(self) -> ElbowSuggestion:
        """The elbow of this curve, see :func:`suggest_elbow`."""
        return suggest_elbow(self.ks, self.inertias)


def elbow_curve(
    X,
    ks: Iterable[int] = range(2, 13),
    *,
    n_init: int = 3,
    seed: int | np.random.Generator | None = 0,
    sample_size: int = 1000,
    max_iter: int = 100,
    tol: float = 1e-4,
    progress: Callable[[float], None] | None = None,
) -> ElbowCurve:
    """Best k-means inertia for each k, with the silhouette and Calinski–Harabasz.

    For each k (in increasing order) k-means runs from ``n_init`` k-means++
    starts, and from one *warm start*: the centres of the previous k's best
    run plus ``k - k_previous`` rows drawn by the k-means++ rule (probability
    proportional to the squared distance to the nearest centre). The run with
    the lowest final inertia is kept.

    Parameters
    ----------
    X : (n, d) array_like of float
        The rows to cluster (e.g. ``extract_features(image, spec).values`` of
        a :func:`working_image`).
    ks : iterable of int, optional
        Numbers of clusters to try, strictly increasing, at least 1 each.
    n_init : int, optional
        k-means++ starts per k (best of N, as ``kmeans(..., n_init=N)``).
    seed : int, numpy.random.Generator or None, optional
        Seeds the silhouette sample and every start: the same int gives the
        same curve.
    sample_size : int, optional
        Rows (drawn once, without replacement, the same for every k) on which
        the silhouette is computed; all rows if there are fewer.
    max_iter, tol : optional
        Stopping rules of each run, see :func:`segmentation.kmeans.kmeans_iter`.
    progress : callable, optional
        Called with the fraction done, in (0, 1], after each k.

    Returns
    -------
    ElbowCurve

    Raises
    ------
    ValueError
        If ``X`` is invalid, ``ks`` is empty, not strictly increasing or
        holds a value below 1, or ``n_init`` or ``sample_size`` is below 1.
    TooFewDistinctPointsError
        A ``ValueError``: a k exceeds the number of distinct rows of ``X``.
    TypeError
        If a value of ``ks``, ``n_init`` or ``sample_size`` is not an
        integer, or ``seed`` is of the wrong type.

    Notes
    -----
    **Why the inertia never rises with k.** Keep the previous centres and add
    one: every row is at most as far from its nearest centre as before, so
    the warm start's first assignment has at most the previous inertia, and
    each Lloyd step only lowers it. The kept run is at least as good. Without
    the warm start, best-of-N alone usually gives a falling curve but does
    not promise it: all N starts of k + 1 can land in poor local minima.

    The silhouette is NaN when the sample holds fewer than 2 clusters (or k
    is 1); the Calinski–Harabasz index when there are fewer than 2 clusters.

    Examples
    --------
    >>> X = [[0.0], [0.1], [5.0], [5.1], [10.0], [10.1]]
    >>> curve = elbow_curve(X, ks=range(1, 7), seed=0)
    >>> [round(value, 3) for value in curve.inertias.tolist()]
    [100.015, 25.015, 0.015, 0.01, 0.005, 0.0]
    >>> curve.suggestion().k
    3
    """
    X = check_real_matrix(X)
    ks = _check_ks(ks)
    n_init = check_int(n_init, "n_init", low=1)
    sample_size = check_int(sample_size, "sample_size", low=1)
    rng = check_random_state(seed)
    n = X.shape[0]
    sample_rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))
    X_sample = X[sample_rows].astype(np.float64)

    results: list[KMeansState] = []
    warm_won = []
    for step, k in enumerate(ks):
        # 1. Best of n_init k-means++ starts.
        best = kmeans(X, k, init="k-means++", n_init=n_init, seed=rng, max_iter=max_iter, tol=tol)
        # 2. The warm start from the previous k's centres, kept if strictly better.
        won = False
        if results:
            start = _add_centers(X, results[-1].centers, k, rng)
            warm = kmeans(X, k, init=start, max_iter=max_iter, tol=tol)
            won = warm.inertia < best.inertia
            best = warm if won else best
        results.append(best)
        warm_won.append(won)
        if progress is not None:
            progress((step + 1) / len(ks))

    silhouettes = [_or_nan(silhouette_score, X_sample, s.labels[sample_rows]) for s in results]
    ch = [_or_nan(calinski_harabasz_score, X, s.labels) for s in results]
    return ElbowCurve(
        ks=ks,
        inertias=_read_only(np.array([s.inertia for s in results])),
        silhouettes=_read_only(np.array(silhouettes)),
        calinski_harabasz=_read_only(np.array(ch)),
        warm_start_won=_read_only(np.array(warm_won)),
        labels=tuple(s.labels for s in results),
        centers=tuple(s.centers for s in results),
        sample_rows=_read_only(sample_rows.astype(np.int64)),
        n_init=n_init,
    )


def _check_ks(ks) -> tuple[int, ...]:
    """ks as a tuple of ints >= 1, strictly increasing, not empty."""
    try:
        values = tuple(ks)
    except TypeError:
        raise TypeError(f"ks={ks!r} must be an iterable of integers") from None
    values = tuple(check_int(k, "ks", low=1) for k in values)
    if not values:
        raise ValueError("ks must hold at least one number of clusters, got none")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"ks={list(values)} must be strictly increasing")
    return values


def _add_centers(X, centers, k, rng) -> np.ndarray:
    """``centers`` plus ``k - len(centers)`` rows drawn by the k-means++ D² rule.

    Assumes validated input with at least k distinct rows.
    """
    X = np.asarray(X, dtype=np.float64)
    chosen = [np.asarray(c, dtype=np.float64) for c in centers]
    closest = np.full(X.shape[0], np.inf)  # (n,) D² to the nearest centre so far
    for center in chosen:
        np.minimum(closest, np.sum((X - center) ** 2, axis=1), out=closest)
    while len(chosen) < k:
        total = closest.sum()
        # Rows with D² = 0 coincide with a centre and are never drawn.
        row = int(rng.choice(X.shape[0], p=closest / total)) if total > 0 else int(rng.integers(X.shape[0]))
        chosen.append(X[row])
        np.minimum(closest, np.sum((X - X[row]) ** 2, axis=1), out=closest)
    return np.array(chosen)  # (k, d)


def _or_nan(criterion, X, labels) -> float:
    """``criterion(X, labels)``, or NaN when it is undefined (too few clusters)."""
    n_clusters = np.unique(labels).size
    if not 2 <= n_clusters <= X.shape[0] - 1:
        return float("nan")
    return criterion(X, labels)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# ---------------------------------------------------------------------------
# The elbow
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ElbowSuggestion:
    """The elbow of an inertia curve, with the numbers that justify it; arrays read-only."""

    k: int  # the suggested number of clusters
    index: int  # position of k in `ks`
    ks: tuple[int, ...]  # the curve's k values
    x: np.ndarray  # (m,) float64, ks scaled to [0, 1]: (k - k_first) / (k_last - k_first)
    y: np.ndarray  # (m,) float64, inertias scaled so the first is 1 and the last 0
    distances: np.ndarray  # (m,) float64, signed distance below the chord, scaled units
    chord: tuple[tuple[float, float], tuple[float, float]]  # (k, inertia) of its two ends


def suggest_elbow(ks, inertias) -> ElbowSuggestion:
    """Suggest the elbow of an inertia curve: the point farthest below its chord.

    Both axes are scaled to [0, 1] (k from first to last, inertia from last
    to first), so the chord runs from (0, 1) to (1, 0). A point's distance
    below it is ``(1 - x - y) / sqrt(2)``; the elbow is the k where this is
    largest (the first of equal ones). ``1 - x - y`` is Kneedle's *difference
    curve* for a falling, convex curve (Satopää et al. 2011), whose maximum is
    their knee; we use it offline, without the online threshold.

    Parameters
    ----------
    ks : sequence of int
        Numbers of clusters, strictly increasing, at least 3 values.
    inertias : sequence of float
        Inertia for each k, finite; the first must exceed the last.

    Returns
    -------
    ElbowSuggestion

    Raises
    ------
    ValueError
        If the lengths differ, there are fewer than 3 points, ``ks`` is not
        strictly increasing, an inertia is not finite, or the curve does not
        fall from its first to its last point.
    TypeError
        If a value of ``ks`` is not an integer.

    Examples
    --------
    >>> s = suggest_elbow([1, 2, 3, 4, 5], [100.0, 40.0, 10.0, 8.0, 6.0])
    >>> s.k, s.x.tolist(), [round(v, 3) for v in s.y.tolist()]
    (3, [0.0, 0.25, 0.5, 0.75, 1.0], [1.0, 0.362, 0.043, 0.021, 0.0])
    >>> [round(d, 3) for d in s.distances.tolist()]  # (1 - x - y) / sqrt(2)
    [0.0, 0.275, 0.323, 0.162, 0.0]
    """
    ks = _check_ks(ks)
    inertias = np.asarray(inertias, dtype=np.float64)
    if inertias.shape != (len(ks),):
        raise ValueError(f"inertias must have one value per k, shape ({len(ks)},), "
                         f"got shape {inertias.shape}")
    if len(ks) < 3:
        raise ValueError(f"an elbow needs at least 3 values of k, got ks={list(ks)}")
    if not np.isfinite(inertias).all():
        raise ValueError("inertias must be finite numbers")
    first, last = float(inertias[0]), float(inertias[-1])
    if not first > last:
        raise ValueError(f"inertias must fall from the first k to the last to have an elbow, "
                         f"got {first:g} at k={ks[0]} and {last:g} at k={ks[-1]}")
    k_values = np.array(ks, dtype=np.float64)
    x = (k_values - k_values[0]) / (k_values[-1] - k_values[0])  # (m,) in [0, 1]
    y = (inertias - last) / (first - last)  # (m,) first = 1, last = 0
    distances = (1.0 - x - y) / np.sqrt(2.0)  # (m,) signed distance below the chord
    index = int(np.argmax(distances))
    return ElbowSuggestion(
        k=ks[index], index=index, ks=ks,
        x=_read_only(x), y=_read_only(y), distances=_read_only(distances),
        chord=((float(ks[0]), first), (float(ks[-1]), last)),
    )
