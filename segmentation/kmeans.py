"""k-means clustering, one Lloyd iteration at a time.

k-means splits n points (here: pixels described by feature vectors) into k groups
so that the total squared distance of each point to the centre of its group, the
*inertia*, is small. Lloyd's algorithm (Lloyd 1982) finds a good split by
repeating two steps that each can only lower the inertia:

0. **Initialise** k centres, by k-means++ (Arthur & Vassilvitskii 2007): spread
   them out, each new centre drawn far from the ones already chosen.
1. **Assign** every point to its nearest centre.
2. **Update** every centre to the mean of the points assigned to it.
3. **Converge**: stop when no point changes group, or the centres barely move.

:func:`kmeans_iter` exposes this loop as a generator of frozen
:class:`KMeansState` objects, one per iteration, so that an app can animate the
convergence and a student can inspect any step. :func:`kmeans` runs it to the end.

Two implementation choices keep the loop fast in pure NumPy without hiding the
idea; each is commented where it is used:

* the squared distance is expanded as ``||x - c||² = ||x||² - 2 x·c + ||c||²``,
  so the assign step is one small matrix product per chunk of points;
* points are processed in chunks, so no (n, k) float64 array is ever built.

References
----------
.. [1] S. Lloyd, "Least squares quantization in PCM", IEEE Transactions on
       Information Theory 28(2), 1982.
.. [2] D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
       seeding", Proceedings of SODA, 2007.
.. [3] scikit-learn's ``sklearn/cluster/_kmeans.py``, whose conventions for
       ``tol``, empty clusters and greedy k-means++ we follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ._validation import (
    check_choice,
    check_data_matrix,
    check_float,
    check_int,
    check_random_state,
    check_sample_weight,
)

__all__ = ["KMeansState", "TooFewDistinctPointsError", "kmeans", "kmeans_iter", "kmeans_plusplus"]

# Points handled per block in the assign step: large enough that NumPy's
# per-call overhead is negligible, small enough that the (k, chunk) block of
# distances stays in the CPU cache.
_CHUNK = 1 << 15


class TooFewDistinctPointsError(ValueError):
    """``k`` is larger than the number of distinct rows: k clusters cannot exist.

    A ``ValueError``, raised separately so callers can explain it in their own
    terms (for an image: "fewer different pixels than segments").
    """

    def __init__(self, k: int, n_distinct: int):
        super().__init__(
            f"k={k} must be at most the number of distinct rows in X with positive weight, "
            f"which is {n_distinct}: there are not enough different points to make {k} clusters"
        )
        self.k = k  # the number of clusters asked for
        self.n_distinct = n_distinct  # distinct rows (with positive weight) available


@dataclass(frozen=True)
class KMeansState:
    """A snapshot of k-means after one iteration; immutable, arrays read-only.

    The labels are always exactly the nearest-centre labels of ``centers``:
    a state is the result of an *update* followed by an *assign*.
    """

    iteration: int  # 0 = the assignment to the initial centres
    centers: np.ndarray  # (k, d) float64, the centres this state assigned to
    labels: np.ndarray  # (n,) unsigned int, index of each row's nearest centre
    inertia: float  # sum of (weighted) squared distances of rows to their centre
    center_shift: float  # sum over centres of squared movement in this step; 0 at iteration 0
    n_changed: int  # rows whose label changed since the previous state (all n at iteration 0)
    converged: bool  # True on the final state if it stopped by no change or by tol

    @property
    def k(self) -> int:
        """Number of clusters."""
        return self.centers.shape[0]


def kmeans_iter(
    X,
    k: int,
    *,
    init="k-means++",
    max_iter: int = 100,
    tol: float = 1e-4,
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
) -> Iterator[KMeansState]:
    """Run Lloyd's k-means, yielding the state after every iteration.

    Iteration 0 is the assignment of every row to the initial centres; each
    following state is one *update* (centres move to the means of their rows)
    then one *assign* (rows move to their nearest centre).

    Parameters
    ----------
    X : (n, d) array_like of float
        The rows to cluster. Computed in float32; must be finite.
    k : int
        Number of clusters, from 1 to the number of distinct rows of ``X``.
    init : {"k-means++", "random"} or (k, d) array_like, optional
        How to choose the starting centres: greedy k-means++ (see
        :func:`kmeans_plusplus`), ``k`` distinct rows drawn uniformly at
        random (Forgy's method), or the centres themselves.
    max_iter : int, optional
        Maximum number of update+assign steps after iteration 0. With 0, only
        the initial assignment is yielded.
    tol : float, optional
        Relative tolerance on centre movement. The run has converged when
        ``center_shift <= tol * mean(per-feature variance of X)``, the
        definition scikit-learn uses, so ``tol`` does not depend on the scale
        of the features. It has also converged when no label changes.
    seed : int, numpy.random.Generator or None, optional
        Source of randomness for the initialisation. The same int gives the
        same centres and therefore the same labels.
    sample_weight : (n,) array_like of float, optional
        Non-negative weight of each row: a row of weight 2 counts as two
        identical rows in the means and in the inertia.

    Yields
    ------
    state : KMeansState
        The state after each iteration; the last one has ``converged=True``
        unless ``max_iter`` was reached first.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array, ``k`` is below 1 or above the
        number of distinct rows with positive weight, ``init`` is unknown or
        of the wrong shape, ``max_iter`` or ``tol`` is negative, or
        ``sample_weight`` has the wrong shape, negative values or is all zero.
    TooFewDistinctPointsError
        A ``ValueError``: ``k`` exceeds the number of distinct rows.
    TypeError
        If ``k`` or ``max_iter`` is not an integer or ``seed`` is of the
        wrong type.

    Notes
    -----
    Input is validated when this function is called, not when the first
    state is requested. If a cluster loses all its rows, its centre is moved
    to the row farthest from its own centre (scikit-learn's policy), so a
    centre is never NaN.

    Examples
    --------
    >>> X = [[0, 0], [0.5, 0], [0.5, 1], [1, 1]]
    >>> states = list(kmeans_iter(X, 2, init=[[0, 0], [1, 1]]))
    >>> [s.iteration for s in states], states[-1].labels.tolist()
    ([0, 1], [0, 0, 1, 1])
    >>> states[-1].centers.tolist()
    [[0.25, 0.0], [0.75, 1.0]]
    """
    X = check_data_matrix(X)
    k = check_int(k, "k", low=1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    _check_enough_distinct_rows(X, k, weights)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0.0)
    centers = _initial_centers(X, k, init, check_random_state(seed), weights)
    return _lloyd(X, centers, max_iter=max_iter, tol=tol, weights=weights)


def kmeans(X, k: int, **kwargs) -> KMeansState:
    """Run k-means to convergence and return the final state.

    Takes the same parameters as :func:`kmeans_iter`, and raises the same
    errors.

    Examples
    --------
    >>> state = kmeans([[0, 0], [0, 1], [10, 10], [10, 11]], 2, seed=0)
    >>> sorted(state.centers.tolist())
    [[0.0, 0.5], [10.0, 10.5]]
    >>> state.inertia, state.converged
    (1.0, True)
    """
    state = None
    for state in kmeans_iter(X, k, **kwargs):
        pass
    return state


def kmeans_plusplus(
    X,
    k: int,
    *,
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
    n_local_trials: int | None = None,
) -> np.ndarray:
    """Choose k initial centres among the rows of X by greedy k-means++.

    The first centre is a row drawn at random (in proportion to its weight).
    Each next centre is drawn with probability proportional to its squared
    distance to the nearest centre chosen so far: far rows are likely, rows
    already well covered are not. The *greedy* variant draws
    ``n_local_trials`` candidates and keeps the one that lowers the inertia
    most.

    Parameters
    ----------
    X : (n, d) array_like of float
        The rows to choose from; finite.
    k : int
        Number of centres, from 1 to the number of distinct rows.
    seed : int, numpy.random.Generator or None, optional
        Source of randomness; the same int gives the same centres.
    sample_weight : (n,) array_like of float, optional
        Non-negative row weights; rows of weight 0 are never chosen.
    n_local_trials : int, optional
        Candidates per centre. Default ``2 + int(log(k))`` as in scikit-learn;
        1 gives the original k-means++ of Arthur & Vassilvitskii.

    Returns
    -------
    centers : (k, d) ndarray of float64
        Distinct rows of ``X``.

    Raises
    ------
    ValueError
        Same rules as :func:`kmeans_iter` for ``X``, ``k`` and
        ``sample_weight``; ``n_local_trials`` must be at least 1.

    Examples
    --------
    >>> centers = kmeans_plusplus([[0, 0], [0, 1], [10, 10]], 2, seed=0)
    >>> centers.shape
    (2, 2)
    """
    X = check_data_matrix(X)
    k = check_int(k, "k", low=1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    _check_enough_distinct_rows(X, k, weights)
    if n_local_trials is not None:
        n_local_trials = check_int(n_local_trials, "n_local_trials", low=1)
    return _kmeans_plusplus(X, k, check_random_state(seed), weights, n_local_trials)


# ---------------------------------------------------------------------------
# The algorithm. Private helpers below assume validated input: X is a finite,
# C-contiguous float32 (n, d) array, weights is None or a (n,) float64 array.
# ---------------------------------------------------------------------------


def _lloyd(X, centers, *, max_iter, tol, weights) -> Iterator[KMeansState]:
    """Lloyd's loop as a generator: the textbook page of this module."""
    n, d = X.shape
    # Features as rows (d, n), so each feature is contiguous (see _assign), plus
    # one last row of weights: summing the columns of `weighted_rows` per
    # cluster gives each cluster's weighted sums and, in the last column, its
    # mass (its row count when unweighted).
    weighted_rows = np.empty((d + 1, n), dtype=np.float32)
    weighted_rows[:d] = X.T
    weighted_rows[d] = 1.0 if weights is None else weights
    XT = weighted_rows[:d]  # (d, n) view
    if weights is not None:
        XT = XT.copy()
        weighted_rows[:d] *= weighted_rows[d]
    x_sq = np.einsum("ij,ij->j", XT, XT)  # (n,) ||x||², reused by every assign step
    # scikit-learn's convention: tol is relative to the data's spread.
    variances = [np.var(feature, dtype=np.float64) for feature in XT]  # one row at a time
    shift_threshold = tol * float(np.mean(variances))

    # Step 1, assign: every row to its nearest initial centre.
    labels, sq_dist = _assign(XT, x_sq, centers)
    yield _freeze(0, centers, labels, _inertia(sq_dist, weights), 0.0, X.shape[0], False)

    for iteration in range(1, max_iter + 1):
        # Step 2, update: every centre to the (weighted) mean of its rows.
        new_centers = _update(XT, weighted_rows, weights, labels, centers, sq_dist)
        shift = float(np.sum((new_centers - centers) ** 2))
        # Step 1 again, assign: rows follow the centres that moved.
        new_labels, sq_dist = _assign(XT, x_sq, new_centers)
        n_changed = int(np.count_nonzero(new_labels != labels))
        # Step 3, converge: nothing moves any more, or the centres barely do.
        converged = n_changed == 0 or shift <= shift_threshold
        yield _freeze(iteration, new_centers, new_labels, _inertia(sq_dist, weights),
                      shift, n_changed, converged)
        if converged:
            return
        centers, labels = new_centers, new_labels


def _assign(XT, x_sq, centers) -> tuple[np.ndarray, np.ndarray]:
    """Label each column of XT (d, n) with its nearest centre.

    Returns the labels (n,) and the squared distance (n,) float32 of each row
    to its centre.
    """
    k, n = centers.shape[0], XT.shape[1]
    # ||x - c||² = ||x||² - 2 x·c + ||c||². The ||x||² term is the same for every
    # centre, so the nearest centre only needs -2 x·c + ||c||²: one (k, d) @ (d, m)
    # product per chunk. This layout (k x d times d x m) is several times faster
    # in OpenBLAS than the tall-skinny (m x d) @ (d x k).
    minus_two_c = (-2.0 * centers).astype(np.float32)  # (k, d)
    c_sq = np.einsum("ij,ij->i", centers, centers).astype(np.float32)[:, None]  # (k, 1)
    labels = np.empty(n, dtype=_label_dtype(k))
    sq_dist = np.empty(n, dtype=np.float32)
    m = min(_CHUNK, n)
    block = np.empty((k, m), dtype=np.float32)
    closer, candidate = np.empty(m, dtype=bool), np.empty(m, dtype=labels.dtype)
    label_type = labels.dtype.type  # keep the arithmetic below in the small label type
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        size = stop - start
        partial = block[:, :size]  # (k, m) squared distances minus ||x||²
        np.matmul(minus_two_c, XT[:, start:stop], out=partial)
        partial += c_sq
        # Running minimum over the k centres, one cheap pass per centre (an
        # argmin across the rows of `partial` is ~10x slower in NumPy).
        best, best_label = partial[0].copy(), labels[start:stop]
        best_label[:] = 0
        for j in range(1, k):
            np.less(partial[j], best, out=closer[:size])  # strict: ties keep the lower index
            # Label j only ever replaces a smaller label, so "where closer, j"
            # is max(label, closer * j): two branch-free passes, much faster
            # than a masked assignment.
            np.multiply(closer[:size], label_type(j), out=candidate[:size])
            np.maximum(best_label, candidate[:size], out=best_label)
            np.minimum(best, partial[j], out=best)
        np.add(best, x_sq[start:stop], out=sq_dist[start:stop])
    # Rounding in the expansion can leave tiny negatives where x == c.
    np.maximum(sq_dist, 0.0, out=sq_dist)
    return labels, sq_dist


def _update(XT, weighted_rows, weights, labels, centers, sq_dist) -> np.ndarray:
    """New centres (k, d): the weighted mean of each cluster's rows.

    An empty cluster takes the row farthest from its own centre (using
    ``sq_dist``, the distances of the assignment that produced ``labels``);
    that row is taken out of the cluster it came from.
    """
    k = centers.shape[0]
    totals = _cluster_sums(weighted_rows, labels, k)  # (k, d + 1) float64
    sums, mass = totals[:, :-1], totals[:, -1]  # (k, d) weighted sums, (k,) masses
    empty = np.flatnonzero(mass == 0)
    if empty.size:
        _relocate_empty_clusters(empty, XT, weights, labels, sq_dist, sums, mass)
    new_centers = centers.copy()
    has_mass = mass > 0  # a degenerate donor that lost its last row keeps its centre
    new_centers[has_mass] = sums[has_mass] / mass[has_mass, None]
    return new_centers


def _cluster_sums(weighted_rows, labels, k) -> np.ndarray:
    """Column sums of ``weighted_rows`` (p, n) per cluster: a (k, p) float64 array.

    With the one-hot matrix H (k, m), H[j, i] = 1 when row i is in cluster j,
    the per-cluster sums of a chunk are the matrix product H @ rows: the same
    numbers as adding row by row, but BLAS does the adding. Chunks are summed
    in float64.
    """
    n = labels.shape[0]
    totals = np.zeros((k, weighted_rows.shape[0]))
    cluster_ids = np.arange(k, dtype=labels.dtype)[:, None]  # (k, 1)
    one_hot = np.empty((k, min(_CHUNK, n)), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        chunk_hot = one_hot[:, : stop - start]
        np.equal(labels[start:stop], cluster_ids, out=chunk_hot, casting="unsafe")
        totals += chunk_hot @ weighted_rows[:, start:stop].T  # (k, m) @ (m, p)
    return totals


def _relocate_empty_clusters(empty, XT, weights, labels, sq_dist, sums, mass) -> None:
    """Give each empty cluster one far-away row; updates sums and mass in place."""
    candidates = sq_dist if weights is None else np.where(weights > 0, sq_dist, -1.0)
    m = empty.size
    # The m farthest rows, ordered by distance then index so the choice is deterministic.
    farthest = np.argpartition(candidates, -m)[-m:]
    farthest = farthest[np.lexsort((farthest, -candidates[farthest]))]
    for cluster, row in zip(empty, farthest):
        w = 1.0 if weights is None else float(weights[row])
        x = XT[:, row].astype(np.float64) * w
        donor = labels[row]
        sums[donor] -= x
        mass[donor] -= w
        sums[cluster] = x
        mass[cluster] = w


def _inertia(sq_dist, weights) -> float:
    """Sum of (weighted) squared distances, accumulated in float64."""
    if weights is None:
        return float(np.sum(sq_dist, dtype=np.float64))
    return float(np.dot(weights, sq_dist))


def _freeze(iteration, centers, labels, inertia, shift, n_changed, converged) -> KMeansState:
    """Package one iteration as an immutable state."""
    centers = np.array(centers, dtype=np.float64)  # a private copy
    centers.flags.writeable = False
    labels.flags.writeable = False  # _assign made a fresh array for this state
    return KMeansState(iteration, centers, labels, inertia, shift, n_changed, converged)


def _label_dtype(k: int) -> np.dtype:
    """Smallest unsigned integer type for labels 0..k-1.

    An animation keeps one label array per iteration: uint8 instead of int64
    makes that 8 times smaller.
    """
    return np.min_scalar_type(max(k - 1, 0))


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------


def _initial_centers(X, k, init, rng, weights) -> np.ndarray:
    """Starting centres (k, d) float64 from the ``init`` parameter."""
    if isinstance(init, str):
        check_choice(init, "init", ("k-means++", "random"))
        if init == "k-means++":
            return _kmeans_plusplus(X, k, rng, weights, None)
        return _random_distinct_rows(X, k, rng, weights)
    centers = np.asarray(init, dtype=np.float64)
    if centers.shape != (k, X.shape[1]):
        raise ValueError(
            f"init must be 'k-means++', 'random' or an array of shape (k, d) = "
            f"({k}, {X.shape[1]}), got shape {centers.shape}"
        )
    if not np.isfinite(centers).all():
        raise ValueError("init contains NaN or infinite values")
    return centers.copy()


def _kmeans_plusplus(X, k, rng, weights, n_local_trials) -> np.ndarray:
    """Greedy k-means++ (scikit-learn's variant); see :func:`kmeans_plusplus`."""
    n = X.shape[0]
    w = np.ones(n) if weights is None else weights
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(k))
    x_sq = np.einsum("ij,ij->i", X, X)  # (n,) float32
    centers = np.empty((k, X.shape[1]), dtype=np.float64)

    first = rng.choice(n, p=w / w.sum())
    centers[0] = X[first]
    closest_sq = _sq_dist_to_rows(X, x_sq, X[[first]])[0]  # (n,) to the nearest centre so far
    potential = float(w @ closest_sq)  # the inertia if we stopped here
    for c in range(1, k):
        # Draw candidates with probability proportional to weight * D(x)².
        # 1 - random() lies in (0, 1], so a row at distance 0 is never drawn.
        targets = potential * (1.0 - rng.random(n_local_trials))
        cumulative = np.cumsum(w * closest_sq)
        candidates = np.minimum(np.searchsorted(cumulative, targets), n - 1)
        # Keep the candidate that lowers the potential most.
        trial_sq = np.minimum(closest_sq, _sq_dist_to_rows(X, x_sq, X[candidates]))
        trial_potentials = trial_sq @ w  # (n_local_trials,)
        best = int(np.argmin(trial_potentials))
        centers[c] = X[candidates[best]]
        closest_sq, potential = trial_sq[best], float(trial_potentials[best])
    return centers


def _sq_dist_to_rows(X, x_sq, rows) -> np.ndarray:
    """Squared distances (m, n) float32 from each of ``rows`` (m, d) to every row of X."""
    dist = rows @ X.T  # (m, n)
    dist *= -2.0
    dist += x_sq
    dist += np.einsum("ij,ij->i", rows, rows)[:, None]
    return np.maximum(dist, 0.0, out=dist)


def _random_distinct_rows(X, k, rng, weights) -> np.ndarray:
    """k distinct rows of X drawn uniformly at random (Forgy's initialisation)."""
    pool = np.arange(X.shape[0]) if weights is None else np.flatnonzero(weights > 0)
    order = rng.permutation(pool)
    # Take a random block and keep its first k distinct rows; grow the block only
    # for images with very few distinct colours.
    size = min(len(order), max(64, 4 * k))
    while True:
        block = order[:size]
        _, first_seen = np.unique(X[block], axis=0, return_index=True)
        if len(first_seen) >= k or size == len(order):
            break
        size = min(len(order), size * 4)
    chosen = block[np.sort(first_seen)[:k]]
    return X[chosen].astype(np.float64)


def _check_enough_distinct_rows(X, k, weights) -> None:
    """Raise if X has fewer than k distinct rows (with positive weight)."""
    rows = X if weights is None else X[weights > 0]
    # A strided sample answers at once for almost every image; only a nearly
    # constant one needs the full (sorting) pass.
    sample = rows[:: max(1, len(rows) // 4096)]
    for candidate in (sample, rows):
        n_distinct = len(np.unique(candidate, axis=0))
        if n_distinct >= k:
            return
    raise TooFewDistinctPointsError(k, n_distinct)
