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

How this module is organised
----------------------------
:func:`assign_reference` and :func:`update_reference` are steps 1 and 2 written
as the formulas of the lesson, a few lines each. ``algorithm="lloyd"`` runs the
loop on exactly these two functions. The default, ``algorithm="hamerly"``, gives
the *same labels in every iteration* much faster, with three tricks that are
each explained where they are used and tested against the plain version:

* **Bounds** (Hamerly 2010): every point keeps an upper bound on the distance to
  its own centre and a lower bound on the distance to any other centre. When the
  centres move a little, the triangle inequality updates the bounds, and a point
  whose upper bound is below its lower bound provably keeps its label: after the
  first few iterations almost no distance is computed at all.
* **A fast distance with a certificate**: where distances must be computed, the
  expansion ``||x - c||² = ||x||² - 2 x·c + ||c||²`` makes them one float32 matrix
  product. Its rounding error is bounded; a point whose two nearest centres are
  closer than that bound is re-checked with exact float64 differences, so ties
  and near-ties go to the lower index exactly as in the plain version.
* **Incremental means**: the per-cluster sums are kept in float64 and only the
  points that changed cluster are added and subtracted.

Before any of this the data are *centred*: each column is shifted by (a rounded
value of) its mean. Distances do not change, but float32 numbers near 0 are far
more precise than near 1e4, so data far from the origin are clustered exactly.

References
----------
.. [1] S. Lloyd, "Least squares quantization in PCM", IEEE Transactions on
       Information Theory 28(2), 1982.
.. [2] D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
       seeding", Proceedings of SODA, 2007.
.. [3] G. Hamerly, "Making k-means even faster", Proceedings of the SIAM
       International Conference on Data Mining, 2010.
.. [4] scikit-learn's ``sklearn/cluster/_kmeans.py``, whose conventions for
       ``tol``, empty clusters and greedy k-means++ we follow.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from ._validation import (
    check_choice,
    check_float,
    check_int,
    check_random_state,
    check_real_matrix,
    check_sample_weight,
)

__all__ = [
    "ALGORITHMS",
    "KMeansState",
    "TooFewDistinctPointsError",
    "assign_reference",
    "get_num_threads",
    "kmeans",
    "kmeans_iter",
    "kmeans_plusplus",
    "set_num_threads",
    "update_reference",
]

ALGORITHMS = ("hamerly", "lloyd")  # fast exact loop (default), plain textbook loop

# Points handled per block: large enough that NumPy's per-call overhead is
# negligible, small enough that a block's temporary arrays stay in the CPU cache.
_CHUNK = 1 << 15
# Unit roundoff of float32: every float32 operation is exact up to a relative 2**-24.
_FLOAT32_ROUNDOFF = 2.0**-24
# Centred values above this would overflow float32 once squared and summed.
_MAX_ABS_VALUE = 1e18
# Threads for blocks of rows (see _each_block): one per core, at most 4.
_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))
_EXECUTOR: ThreadPoolExecutor | None = None


class TooFewDistinctPointsError(ValueError):
    """``k`` is larger than the number of distinct rows: k clusters cannot exist.

    A ``ValueError``, raised separately so callers can explain it in their own
    terms (for an image: "fewer different pixels than segments").
    """

    def __init__(self, k: int, n_distinct: int, message: str | None = None):
        super().__init__(message or (
            f"k={k} must be at most the number of distinct rows in X with positive weight, "
            f"which is {n_distinct}: there are not enough different points to make {k} clusters"
        ))
        self.k = k  # the number of clusters asked for
        self.n_distinct = n_distinct  # distinct rows (with positive weight) available


@dataclass(frozen=True)
class KMeansState:
    """A snapshot of k-means after one iteration; immutable, arrays read-only.

    The labels are always exactly the nearest-centre labels of ``centers``
    (ties to the lower index): a state is the result of an *update* followed
    by an *assign*.
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


# ---------------------------------------------------------------------------
# The lesson in plain NumPy: steps 1 and 2 as formulas. The fast loop further
# down must give exactly the same labels (tests/test_kmeans.py checks it).
# ---------------------------------------------------------------------------


def assign_reference(X, centers) -> np.ndarray:
    """Step 1, assign: the index of each row's nearest centre (ties: lower index).

    Parameters
    ----------
    X : (n, d) array_like of float
    centers : (k, d) array_like of float

    Returns
    -------
    labels : (n,) ndarray of int64

    Examples
    --------
    >>> assign_reference([[0.0], [1.1], [2.0]], [[0.0], [2.0]]).tolist()
    [0, 1, 1]
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    distances = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)  # (n, k) ||x - c||²
    return distances.argmin(axis=1)  # argmin keeps the first of equal values


def update_reference(X, labels, centers, sample_weight=None) -> np.ndarray:
    """Step 2, update: each centre moves to the (weighted) mean of its rows.

    A cluster with no rows takes the row farthest from its own centre (ties:
    lower row index), which leaves its old cluster; several empty clusters
    take the farthest rows in turn. A cluster left with no weight keeps its
    centre.

    Parameters
    ----------
    X : (n, d) array_like of float
    labels : (n,) array_like of int
        The assignment to ``centers``.
    centers : (k, d) array_like of float
    sample_weight : (n,) array_like of float, optional

    Returns
    -------
    new_centers : (k, d) ndarray of float64

    Examples
    --------
    >>> update_reference([[0.0], [1.0], [5.0]], [0, 0, 0], [[0.0], [9.0]]).tolist()
    [[0.5], [5.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    labels = np.array(labels, dtype=np.int64)  # a copy: empty clusters take rows
    weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    k = len(centers)
    mass = np.bincount(labels, weights=weights, minlength=k)
    empty = np.flatnonzero(mass == 0)
    if empty.size:
        own_distance = ((X - centers[labels]) ** 2).sum(axis=1)  # (n,)
        farthest_first = np.lexsort((np.arange(len(X)), -own_distance))
        farthest_first = farthest_first[weights[farthest_first] > 0]
        labels[farthest_first[: empty.size]] = empty[: len(farthest_first)]
    new_centers = centers.copy()
    for j in range(k):
        members = labels == j
        if weights[members].sum() > 0:
            new_centers[j] = (weights[members, None] * X[members]).sum(axis=0) / weights[members].sum()
    return new_centers


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def kmeans_iter(
    X,
    k: int,
    *,
    init="k-means++",
    max_iter: int = 100,
    tol: float = 1e-4,
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
    algorithm: str = "hamerly",
    n_init: int = 1,
) -> Iterator[KMeansState]:
    """Run Lloyd's k-means, yielding the state after every iteration.

    Iteration 0 is the assignment of every row to the initial centres; each
    following state is one *update* (centres move to the means of their rows)
    then one *assign* (rows move to their nearest centre).

    Parameters
    ----------
    X : (n, d) array_like of float
        The rows to cluster; finite. Each column is first shifted by about its
        mean (distances do not change), then computed in float32.
    k : int
        Number of clusters, from 1 to the number of distinct rows of ``X``.
    init : {"k-means++", "random"} or (k, d) array_like, optional
        How to choose the starting centres: greedy k-means++ (see
        :func:`kmeans_plusplus`), ``k`` distinct rows drawn at random in
        proportion to their weight (Forgy's method), or the centres themselves.
    max_iter : int, optional
        Maximum number of update+assign steps after iteration 0. With 0, only
        the initial assignment is yielded.
    tol : float, optional
        Relative tolerance on centre movement. The run has converged when
        ``center_shift <= tol * mean(per-feature variance of X)``, the
        definition scikit-learn uses, so ``tol`` does not depend on the scale
        of the features (the variance is weighted by ``sample_weight``). It has
        also converged when no label changes.
    seed : int, numpy.random.Generator or None, optional
        Source of randomness for the initialisation. The same int gives the
        same centres and therefore the same labels.
    sample_weight : (n,) array_like of float, optional
        Non-negative weight of each row: a row of weight 2 counts as two
        identical rows in the means, the inertia, the initialisation and the
        variance that scales ``tol``.
    algorithm : {"hamerly", "lloyd"}, optional
        ``"hamerly"`` (default) prunes distance computations with bounds;
        ``"lloyd"`` runs :func:`assign_reference` and :func:`update_reference`
        as written (slow, memory (n, k, d), for teaching and testing). Both
        give the same labels in every state.
    n_init : int, optional
        Number of runs from different random starts (drawn one after the
        other from ``seed``); the states of the run with the lowest final
        inertia are yielded, as scikit-learn's ``n_init`` keeps its best run.
        Needs a random ``init``. The runs happen before the first state is
        yielded.

    Yields
    ------
    state : KMeansState
        The state after each iteration; the last one has ``converged=True``
        unless ``max_iter`` was reached first.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D real array or its values are too large or
        too close together for float32, ``k`` is below 1, ``init`` is unknown
        or of the wrong shape, ``max_iter`` or ``tol`` is negative,
        ``algorithm`` is unknown, or ``sample_weight`` has the wrong shape,
        negative values or is all zero.
    TooFewDistinctPointsError
        A ``ValueError``: ``k`` exceeds the number of distinct rows.
    TypeError
        If ``k`` or ``max_iter`` is not an integer or ``seed`` is of the
        wrong type.

    Notes
    -----
    Input is validated when this function is called, not when the first
    state is requested. If a cluster loses all its rows, it takes the row
    farthest from its own centre (scikit-learn's policy), so a centre is never
    NaN. The inertia never increases from one state to the next.

    Examples
    --------
    >>> X = [[0, 0], [0.5, 0], [0.5, 1], [1, 1]]
    >>> states = list(kmeans_iter(X, 2, init=[[0, 0], [1, 1]]))
    >>> [s.iteration for s in states], states[-1].labels.tolist()
    ([0, 1], [0, 0, 1, 1])
    >>> states[-1].centers.tolist()
    [[0.25, 0.0], [0.75, 1.0]]
    """
    data = _prepare(X, k, sample_weight)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0.0)
    algorithm = check_choice(algorithm, "algorithm", ALGORITHMS)
    n_init = check_int(n_init, "n_init", low=1)
    if n_init > 1 and not isinstance(init, str):
        raise ValueError(f"n_init={n_init} needs a random init ('k-means++' or 'random'); "
                         f"with given centres every run would be the same")
    rng = check_random_state(seed)
    shift_threshold = tol * _mean_variance(data)  # scikit-learn's convention: tol is relative
    loop = _lloyd_plain if algorithm == "lloyd" else _lloyd_hamerly
    if n_init == 1:
        with _one_blas_thread():
            centers = _initial_centers(data, init, rng)
        return loop(data, centers, max_iter, shift_threshold)
    # Best of n_init: run each start to the end, keep the lowest final inertia
    # (the first of equal ones).
    best = None
    for _ in range(n_init):
        with _one_blas_thread():
            centers = _initial_centers(data, init, rng)
        states = list(loop(data, centers, max_iter, shift_threshold))
        if best is None or states[-1].inertia < best[-1].inertia:
            best = states
    return iter(best)


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
    most. Rows that duplicate a chosen centre are never drawn; if only such
    rows (or rows within float32 rounding of them) are left, the next centre
    is drawn among the rows not chosen yet.

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
    data = _prepare(X, k, sample_weight)
    if n_local_trials is not None:
        n_local_trials = check_int(n_local_trials, "n_local_trials", low=1)
    with _one_blas_thread():
        rows = _kmeans_plusplus(data, check_random_state(seed), n_local_trials)
    return np.asarray(data.original[rows], dtype=np.float64)


# ---------------------------------------------------------------------------
# Preparing the data: validate, centre, cast to float32 once.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Data:
    """Validated, centred data shared by the loops and the initialisations."""

    original: np.ndarray  # (n, d) the validated input, any real dtype
    XT: np.ndarray  # (d, n) float32, centred, features as rows (see _nearest_two)
    x_sq: np.ndarray  # (n,) float32, ||x||² of every centred row
    offset: np.ndarray  # (d,) float64, what was subtracted from every row
    weights: np.ndarray | None  # (n,) float64 or None (all rows weigh 1)
    k: int  # number of clusters
    max_norm: float  # largest ||x|| of a centred row; scales rounding margins

    def rows(self, index) -> np.ndarray:
        """Centred rows ``index`` as a (m, d) float64 array."""
        # C order, so that the float64 sums below add in the same order as the
        # reference functions do on an ordinary (n, d) array.
        return np.ascontiguousarray(np.take(self.XT, index, axis=1).T, dtype=np.float64)


def _prepare(X, k, sample_weight) -> _Data:
    """Validate the public arguments shared by every entry point and centre X."""
    original = check_real_matrix(X)
    k = check_int(k, "k", low=1)
    weights = check_sample_weight(sample_weight, original.shape[0])
    if original.dtype == np.float32:  # images: transpose first, then centre row by row
        XT = np.array(original.T, order="C")  # (d, n), always a copy: centred in place below
        offset = _centring_offset(XT)
        for feature, value in zip(XT, offset.astype(np.float32)):
            if value:
                feature -= value
    else:  # centre in float64 first, so nothing is lost in the cast to float32
        offset = _centring_offset(original.T)
        XT = np.empty(original.shape[::-1], dtype=np.float32)  # (d, n)
        for start in range(0, original.shape[0], _CHUNK):  # chunks: no full float64 copy
            block = original[start:start + _CHUNK]
            XT[:, start:start + _CHUNK] = (block.astype(np.float64) - offset).T
    largest = max(float(XT.max()), -float(XT.min()))
    if not largest < _MAX_ABS_VALUE:
        raise ValueError(
            f"X has values up to {largest:.3g} away from its column means; k-means computes "
            f"in float32, which needs them below {_MAX_ABS_VALUE:.0e}: rescale X"
        )
    _check_enough_distinct_rows(original, XT, k, weights)
    x_sq = np.einsum("ij,ij->j", XT, XT)
    return _Data(original, XT, x_sq, offset, weights, k, float(np.sqrt(x_sq.max(initial=0.0))))


def _centring_offset(XT) -> np.ndarray:
    """What to subtract from each column: 0, or its mean rounded to a coarse grid.

    Centring is for columns far from the origin compared with their spread,
    where float32 would lose the differences between rows; a column already
    near the origin is left alone, so no two distinct float32 rows can merge.
    The mean is rounded to a power of two near the column's spread, which
    keeps integer data integer (exact ties stay exact ties).
    """
    mean = np.array([np.mean(feature, dtype=np.float64) for feature in XT])  # (d,)
    spread = np.array([float(feature.max()) - float(feature.min()) for feature in XT])
    grid = np.exp2(np.floor(np.log2(np.where(spread > 0, spread, 1.0)))) / 16
    far = np.abs(mean) > 4 * spread
    offset = np.where(spread > 0, np.round(mean / grid) * grid, XT[:, 0].astype(np.float64))
    offset = np.where(far, offset, 0.0)
    if XT.dtype == np.float32:  # subtract what float32 can hold, and report that
        offset = offset.astype(np.float32).astype(np.float64)
    return offset


def _mean_variance(data: _Data) -> float:
    """Mean over features of the (weighted) variance: the scale of ``tol``."""
    return float(np.mean([_variance(feature, data.weights) for feature in data.XT]))


def _variance(feature, weights) -> float:
    """Variance of one float32 feature row, weighted, accumulated in float64."""
    if weights is None:  # float32 pairwise sums, as scikit-learn: exact enough for tol
        return float(np.var(feature))
    mean = float(np.dot(weights, feature)) / weights.sum()
    return float(np.dot(weights, (feature - mean) ** 2)) / weights.sum()


# ---------------------------------------------------------------------------
# The plain loop: assign_reference and update_reference, as in the lesson.
# ---------------------------------------------------------------------------


def _lloyd_plain(data: _Data, centers, max_iter, shift_threshold) -> Iterator[KMeansState]:
    """Lloyd's loop on the reference steps; a state is update then assign."""
    X = data.rows(np.arange(data.XT.shape[1]))  # (n, d) float64, centred
    labels = assign_reference(X, centers)  # step 1 on the initial centres
    yield _freeze(data, 0, centers, labels, _plain_inertia(X, labels, centers, data.weights),
                  0.0, len(labels), False)
    for iteration in range(1, max_iter + 1):
        new_centers = update_reference(X, labels, centers, data.weights)  # step 2
        shift = float(np.sum((new_centers - centers) ** 2))
        new_labels = assign_reference(X, new_centers)  # step 1
        n_changed = int(np.count_nonzero(new_labels != labels))
        converged = n_changed == 0 or shift <= shift_threshold  # step 3
        yield _freeze(data, iteration, new_centers, new_labels,
                      _plain_inertia(X, new_labels, new_centers, data.weights),
                      shift, n_changed, converged)
        if converged:
            return
        centers, labels = new_centers, new_labels


def _plain_inertia(X, labels, centers, weights) -> float:
    """sum_i w_i ||x_i - c_(label i)||², with differences in float64."""
    sq_dist = ((X - centers[labels]) ** 2).sum(axis=1)
    return float(sq_dist.sum() if weights is None else weights @ sq_dist)


# ---------------------------------------------------------------------------
# The fast loop (Hamerly 2010). Same states as _lloyd_plain; helpers below
# assume validated, centred input (a _Data).
# ---------------------------------------------------------------------------


def _one_blas_thread():
    """A context in which BLAS runs on one thread, as scikit-learn's k-means does.

    Our matrix products are small (k x d times d x 32768); a second BLAS thread
    gains nothing on them and, on a busy machine, its spin-waiting made a run
    three times slower. The limit is process-wide while it lasts, so the
    loops below hold it only while computing, never while suspended at a yield.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The process's thread pools, found once: finding them walks every loaded
    shared library, ~1 ms alone and tens of ms in a busy server process (the
    BLAS NumPy uses is loaded with NumPy, before any k-means runs)."""
    return ThreadpoolController()


def set_num_threads(n: int) -> None:
    """Spread each run's blocks of rows over ``n`` threads (default: one per core, at most 4).

    Results do not depend on it (blocks are combined in order). One thread
    per run is best when several runs share the cores anyway, as on a class
    server: a second thread then only adds hand-over costs (measured on 24
    pictures of 512 x 512 on 2 cores: 182 ms of CPU per run with two threads,
    151 ms with one, and the same wall time). Call it before runs start.

    Parameters
    ----------
    n : int
        Threads per run, at least 1.
    """
    global _THREADS
    n = check_int(n, "n", low=1)
    if n != _THREADS:
        _THREADS = n
        _forget_executor()  # the next parallel run starts a pool of the new size


def get_num_threads() -> int:
    """Threads each run spreads its blocks of rows over (see :func:`set_num_threads`)."""
    return _THREADS


def _each_block(work, starts) -> list:
    """``[work(start) for start in starts]``, spread over the CPU cores.

    NumPy releases the GIL inside its loops, so blocks of rows run truly in
    parallel in threads. Every block writes its own slice of the output or
    returns its own partial result, combined afterwards in block order, so the
    result does not depend on the number of threads.
    """
    starts = list(starts)
    if len(starts) < 2 or _THREADS < 2:
        return [work(start) for start in starts]
    return list(_executor().map(work, starts))


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="kmeans")
    return _EXECUTOR


def _forget_executor() -> None:
    """In a forked child the pool's threads do not exist: start a new pool there."""
    global _EXECUTOR
    _EXECUTOR = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_executor)


def _lloyd_hamerly(data: _Data, centers, max_iter, shift_threshold) -> Iterator[KMeansState]:
    """Lloyd's loop with bounds that skip the distances that cannot matter (see _Bounds)."""
    # Labels as intp inside the loop: NumPy gathers with intp indices several
    # times faster than with uint8 ones; states get a compact copy.
    with _one_blas_thread():
        labels, upper, lower = _assign_rows(data, np.arange(data.XT.shape[1]), centers)
        bounds = _Bounds(data, labels, upper, lower)  # step 1 on the initial centres
        totals = _ClusterTotals.from_labels(data, labels)
    yield _freeze(data, 0, centers, labels, totals.inertia(centers), 0.0, len(labels), False)

    for iteration in range(1, max_iter + 1):
        with _one_blas_thread():
            # Step 2, update: the means, from sums kept up to date incrementally.
            new_centers = totals.means(centers)
            empty = np.flatnonzero(totals.count == 0)
            if empty.size:
                new_centers = _relocate_empty_clusters(data, empty, labels, centers, totals)
            moves = np.sqrt(np.sum((new_centers - centers) ** 2, axis=1))  # (k,)
            shift = float(np.sum(moves**2))
            # Step 1, assign, pruned by the bounds: labels change in place, and
            # the rows that changed come back with their previous labels.
            changed, previous = bounds.assign(new_centers, moves, labels)
            totals.move_rows(data, changed, previous, labels[changed])
        # Step 3, converge.
        converged = changed.size == 0 or shift <= shift_threshold
        yield _freeze(data, iteration, new_centers, labels, totals.inertia(new_centers),
                      shift, int(changed.size), converged)
        if converged:
            return
        centers = new_centers


class _Bounds:
    """Hamerly's bounds, which prove that most rows keep their label.

    For every row i with label a we know
        u_i >= ||x_i - c_a||                     (distance to its own centre)
        l_i <= min over j != a of ||x_i - c_j||  (to every other centre).
    If u_i < l_i, or u_i < half the distance from c_a to its nearest other
    centre, no other centre can be nearer: the label stays, and nothing about
    row i is computed. When the centres move, the triangle inequality keeps
    the bounds true: u_i grows by how far c_a moved, and l_i shrinks by how
    far the other centres moved at most.

    Instead of updating n bounds every iteration, we store them *relative* to
    per-centre running totals (the "drift" of each centre), so a row costs two
    look-ups and two comparisons, and nothing is written:
        u_i = U_i + drift[a],   l_i = U_i - G_i - other_drift[a].
    Stored in float32 (half the memory traffic); a margin far above float32
    rounding and far below any real distance keeps every test on the safe side.
    """

    def __init__(self, data: _Data, labels, upper, lower):
        self.data = data
        self.drift = np.zeros(data.k)  # (k,) total movement of each centre so far
        self.other_drift = np.zeros(data.k)  # (k,) total approach of the other centres
        self.U = np.empty(labels.size, dtype=np.float32)  # u - drift[a]
        self.G = np.empty(labels.size, dtype=np.float32)  # U - (l + other_drift[a])
        self._store(slice(None), labels, upper, lower)

    def _store(self, rows, labels, upper, lower) -> None:
        """Fresh bounds (float32) of ``rows``, made relative to the drifts."""
        if not isinstance(rows, slice) and rows[-1] - rows[0] + 1 == rows.size:
            rows = slice(rows[0], rows[-1] + 1)  # a block: write without scattering
        relative_upper = upper - np.take(self.drift.astype(np.float32), labels, mode="wrap")
        self.U[rows] = relative_upper
        lower += np.take(self.other_drift.astype(np.float32), labels, mode="wrap")
        self.G[rows] = relative_upper - lower

    def _margin(self) -> float:
        """Above the float32 rounding of any stored bound, far below real gaps."""
        scale = self.data.max_norm + float(self.drift.max()) + float(self.other_drift.max())
        return 1e-5 * max(scale, np.finfo(np.float64).tiny)

    def assign(self, centers, moves, labels) -> tuple[np.ndarray, np.ndarray]:
        """Relabel for new ``centers`` in place; return changed rows and their old labels."""
        k = centers.shape[0]
        # The other centres of a row in cluster j came at most other_move[j]
        # closer: the largest move, or the second largest in the cluster that
        # moved most.
        order = np.argsort(moves)[::-1]
        other_move = np.full(k, moves[order[0]])
        other_move[order[0]] = moves[order[1]] if k > 1 else 0.0
        self.drift += moves
        self.other_drift += other_move
        margin = self._margin()
        # Half the distance from each centre to its nearest other centre: a row
        # closer than that to its own centre is closer to it than to any other.
        between = np.sqrt(((centers[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))
        np.fill_diagonal(between, np.inf)
        half_gap = between.min(axis=1) / 2 if k > 1 else np.full(1, np.inf)
        # u < half_gap[a]  <=>  U < half_gap[a] - drift[a]
        # u < l            <=>  G < -(drift[a] + other_drift[a])
        below_gap = (half_gap - self.drift - margin).astype(np.float32)
        below_lower = (-(self.drift + self.other_drift) - margin).astype(np.float32)

        def block(start):  # blocks of rows stay in the CPU cache
            own = labels[start:start + _CHUNK]
            # (mode="wrap" wraps nothing, labels are in range; it spares take's
            # bounds check, a third of its time.)
            keep = ((self.U[start:start + _CHUNK] < np.take(below_gap, own, mode="wrap"))
                    | (self.G[start:start + _CHUNK] < np.take(below_lower, own, mode="wrap")))
            return start + np.flatnonzero(~keep)

        rows = np.concatenate(_each_block(block, range(0, labels.size, _CHUNK)))
        if rows.size == 0:
            return rows, rows
        old = labels[rows]
        # (Hamerly's "second chance", first tightening the upper bound with the
        # distance to the own centre alone, was slower here: in NumPy the
        # bookkeeping costs more than the k-pass minimum it saves.)
        new, upper, lower = _assign_rows(self.data, rows, centers)
        self._store(rows, new, upper, lower)
        moved = np.flatnonzero(new != old)
        labels[rows[moved]] = new[moved]
        return rows[moved], old[moved]


def _assign_rows(data: _Data, rows, centers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Certified nearest centre of ``rows`` (sorted indices), with distance bounds.

    The float32 expansion gives every squared distance up to an error of at
    most ``err = (d + 8) * 2**-23 * (max ||x|| + max ||c||)²`` (a dot product of
    length d is exact to d roundoffs of ``||x|| ||c||``; the additions cost a few
    more; we take twice that). So when the second-nearest centre is more than
    ``2 * err`` farther than the nearest, the nearest is certain; otherwise
    the row is recomputed exactly with float64 differences, exactly as
    :func:`assign_reference` does, so ties go to the lower index.

    Returns labels (m,) intp, and upper and lower bounds (m,) float32 on the
    distance to the nearest and to the second-nearest centre (float32 rounding
    included in the margin of :class:`_Bounds`).
    """
    labels = np.empty(rows.size, dtype=np.intp)
    upper = np.empty(rows.size, dtype=np.float32)
    lower = np.empty(rows.size, dtype=np.float32)
    d, k = centers.shape[1], centers.shape[0]
    reach = data.max_norm + float(np.sqrt(np.max(np.sum(centers**2, axis=1))))
    err = np.float32((d + 8) * 2 * _FLOAT32_ROUNDOFF * reach**2)
    # ||x - c||² = ||x||² - 2 x·c + ||c||²: one (k, d) @ (d, m) product per block,
    # a layout several times faster in OpenBLAS than (m, d) @ (d, k).
    minus_two_c = (-2.0 * centers).astype(np.float32)  # (k, d)
    c_sq = np.einsum("ij,ij->i", centers, centers).astype(np.float32)[:, None]  # (k, 1)

    def block(start):
        part = rows[start:start + _CHUNK]
        contiguous = part[-1] - part[0] + 1 == part.size
        XT = (data.XT[:, part[0]:part[-1] + 1] if contiguous
              else np.take(data.XT, part, axis=1, mode="wrap"))  # rows are in range
        partial = minus_two_c @ XT  # (k, m) squared distances minus ||x||²
        partial += c_sq
        lab, nearest, second = _nearest_two(partial, data.x_sq[part])  # float32
        unsure = np.flatnonzero(second - nearest <= 2 * err)
        up = np.sqrt(nearest + err)
        low = np.sqrt(np.maximum(second - err, 0))
        lab = lab.astype(np.intp)
        if unsure.size:
            exact = ((data.rows(part[unsure])[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
            lab[unsure] = exact.argmin(axis=1)  # ties: the lower index
            exact.sort(axis=1)
            up[unsure] = np.sqrt(exact[:, 0])
            low[unsure] = np.sqrt(exact[:, 1]) if k > 1 else np.inf
        out = slice(start, start + part.size)
        labels[out], upper[out], lower[out] = lab, up, low

    _each_block(block, range(0, rows.size, _CHUNK))
    return labels, upper, lower


def _nearest_two(partial, x_sq) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest row of ``partial`` (k, m) per column, and the two smallest values + x_sq."""
    k, m = partial.shape
    labels = np.zeros(m, dtype=_label_dtype(k))
    best = partial[0].copy()
    second = np.full(m, np.inf, dtype=np.float32)
    closer = np.empty(m, dtype=bool)
    candidate = np.empty(m, dtype=labels.dtype)
    larger = np.empty(m, dtype=np.float32)
    label_type = labels.dtype.type
    for j in range(1, k):  # a running minimum: an argmin over k rows is ~10x slower
        np.less(partial[j], best, out=closer)  # strict: ties keep the lower index
        # Label j only ever replaces a smaller label, so "where closer, j" is
        # max(label, closer * j): two branch-free passes.
        np.multiply(closer, label_type(j), out=candidate)
        np.maximum(labels, candidate, out=labels)
        # The new second smallest is min(second, max(best, d_j)).
        np.minimum(second, np.maximum(best, partial[j], out=larger), out=second)
        np.minimum(best, partial[j], out=best)
    best += x_sq
    second += x_sq
    np.maximum(best, 0.0, out=best)  # rounding can leave tiny negatives where x == c
    return labels, best, second


class _ClusterTotals:
    """Per-cluster sums kept exactly in float64, updated only by rows that move.

    With them the inertia needs no pass over the rows: for cluster j with
    weighted sums S_j = sum w x, mass M_j = sum w and Q_j = sum w ||x||²,
        sum_{i in j} w_i ||x_i - c||² = Q_j - 2 c·S_j + M_j ||c||²,
    accurate because the data are centred and the sums are float64.
    """

    def __init__(self, sums, mass, sq_sums, count):
        self.sums = sums  # (k, d) float64, weighted sum of each cluster's rows
        self.mass = mass  # (k,) float64, weight of each cluster
        self.sq_sums = sq_sums  # (k,) float64, weighted sum of ||x||²
        self.count = count  # (k,) int64, rows with positive weight: 0 = empty, exactly

    @classmethod
    def from_labels(cls, data: _Data, labels) -> _ClusterTotals:
        k = data.k
        totals = cls(np.zeros((k, data.XT.shape[0])), np.zeros(k), np.zeros(k),
                     np.zeros(k, dtype=np.int64))
        totals._add(data, np.arange(labels.size), labels, +1)
        return totals

    def _add(self, data, rows, labels, sign) -> None:
        k, d = self.count.size, data.XT.shape[0]
        step = 8 * _CHUNK
        everything = rows.size == data.XT.shape[1]  # rows = arange(n): slices, no gathers

        def block(start):  # (k, d + 3) partial sums of one block, in float64
            part, lab = rows[start:start + step], labels[start:start + step]
            chunk = data.XT[:, start:start + step] if everything else np.take(data.XT, part, axis=1)
            XT = chunk.astype(np.float64)  # (d, m), exact
            w = None if data.weights is None else data.weights[part]
            weighted = XT if w is None else XT * w
            totals = np.empty((k, d + 3))
            for f in range(d):
                totals[:, f] = np.bincount(lab, weights=weighted[f], minlength=k)
            totals[:, d] = np.bincount(lab, weights=np.einsum("ij,ij->j", weighted, XT), minlength=k)
            if w is None:
                totals[:, d + 1] = totals[:, d + 2] = np.bincount(lab, minlength=k)
            else:
                totals[:, d + 1] = np.bincount(lab, weights=w, minlength=k)
                totals[:, d + 2] = np.bincount(lab[w > 0], minlength=k)
            return totals

        for totals in _each_block(block, range(0, rows.size, step)):  # in block order
            self.sums += sign * totals[:, :d]
            self.sq_sums += sign * totals[:, d]
            self.mass += sign * totals[:, d + 1]
            self.count += sign * totals[:, d + 2].astype(np.int64)
        # A cluster with no rows has sums of exactly 0, not rounding residue.
        empty = self.count == 0
        self.sums[empty], self.mass[empty], self.sq_sums[empty] = 0.0, 0.0, 0.0

    def move_rows(self, data, rows, old_labels, new_labels) -> None:
        """Rows ``rows`` left clusters ``old_labels`` for ``new_labels``."""
        if rows.size:
            self._add(data, rows, old_labels, -1)
            self._add(data, rows, new_labels, +1)

    def means(self, centers) -> np.ndarray:
        """Weighted means; a cluster without weight keeps its centre."""
        new_centers = centers.copy()
        full = (self.count > 0) & (self.mass > 0)
        new_centers[full] = self.sums[full] / self.mass[full, None]
        return new_centers

    def inertia(self, centers) -> float:
        per_cluster = (self.sq_sums - 2 * np.einsum("ij,ij->i", centers, self.sums)
                       + self.mass * np.einsum("ij,ij->i", centers, centers))
        return float(np.sum(np.maximum(per_cluster, 0.0)))


def _relocate_empty_clusters(data, empty, labels, centers, totals) -> np.ndarray:
    """New centres when clusters ``empty`` have no rows (see update_reference).

    Each empty cluster takes one of the rows farthest from their own centre;
    the donor's mean is computed without that row. ``totals`` stays as it is:
    it describes ``labels``, and the next assign moves the rows.
    """
    n = labels.size
    own = np.empty(n)
    for start in range(0, n, _CHUNK):  # exact float64 distances, as in the reference
        rows = np.arange(start, min(start + _CHUNK, n))
        own[rows] = ((data.rows(rows) - centers[labels[rows]]) ** 2).sum(axis=1)
    if data.weights is not None:
        own[data.weights == 0] = -np.inf  # never take a row without weight
    # The m farthest rows, ties by index: everything at or above the m-th largest
    # distance, sorted, so a tie at the boundary is decided by index too.
    m = min(empty.size, n)
    threshold = np.partition(own, n - m)[n - m]
    candidates = np.flatnonzero(own >= threshold)
    farthest = candidates[np.lexsort((candidates, -own[candidates]))][:m]
    farthest = farthest[own[farthest] > -np.inf]
    sums, mass, count = totals.sums.copy(), totals.mass.copy(), totals.count.copy()
    for cluster, row in zip(empty, farthest):
        w = 1.0 if data.weights is None else float(data.weights[row])
        x = data.rows(np.array([row]))[0] * w  # subtract exactly what from_labels added
        donor = labels[row]
        sums[donor] -= x
        mass[donor] -= w
        count[donor] -= 1
        sums[cluster], mass[cluster], count[cluster] = x, w, 1
    moved = _ClusterTotals(sums, mass, totals.sq_sums, count)
    return moved.means(centers)


def _freeze(data, iteration, centers, labels, inertia, shift, n_changed, converged) -> KMeansState:
    """Package one iteration as an immutable state, in the caller's coordinates."""
    centers = np.asarray(centers, dtype=np.float64) + data.offset  # a private copy
    centers.flags.writeable = False
    labels = np.array(labels, dtype=_label_dtype(data.k))  # a private copy
    labels.flags.writeable = False
    return KMeansState(iteration, centers, labels, float(inertia), float(shift),
                       int(n_changed), bool(converged))


def _label_dtype(k: int) -> np.dtype:
    """Smallest unsigned integer type for labels 0..k-1.

    An animation keeps one label array per iteration: uint8 instead of int64
    makes that 8 times smaller.
    """
    return np.min_scalar_type(max(k - 1, 0))


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------


def _initial_centers(data: _Data, init, rng) -> np.ndarray:
    """Starting centres (k, d) float64, centred, from the ``init`` parameter."""
    k, d = data.k, data.XT.shape[0]
    if isinstance(init, str):
        check_choice(init, "init", ("k-means++", "random"))
        if init == "k-means++":
            rows = _kmeans_plusplus(data, rng, None)
        else:
            rows = _random_distinct_rows(data, rng)
        return data.rows(rows)
    centers = np.asarray(init)
    if not (np.issubdtype(centers.dtype, np.integer) or np.issubdtype(centers.dtype, np.floating)
            or centers.dtype == bool):
        raise ValueError(
            f"init must be 'k-means++', 'random' or a ({k}, {d}) array of real numbers, "
            f"got {type(init).__name__} of dtype {centers.dtype}"
        )
    centers = centers.astype(np.float64)
    if centers.shape != (k, d):
        raise ValueError(
            f"init must be 'k-means++', 'random' or an array of shape (k, d) = "
            f"({k}, {d}), got shape {centers.shape}"
        )
    if not np.isfinite(centers).all():
        raise ValueError("init contains NaN or infinite values")
    return centers - data.offset


def _kmeans_plusplus(data: _Data, rng, n_local_trials) -> np.ndarray:
    """Greedy k-means++ (scikit-learn's variant); row indices (k,) of the centres.

    The potential ``sum_i w_i D(x_i)²`` is kept per chunk of rows, so a draw
    needs a cumulative sum over chunk totals and one chunk, not over all n.
    """
    XT, x_sq, k = data.XT, data.x_sq, data.k
    n = XT.shape[1]
    w = np.ones(n, dtype=np.float32) if data.weights is None else data.weights.astype(np.float32)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(k))
    # Squared distances below this are float32 rounding noise of the expansion:
    # they are set to 0, so a duplicate of a chosen row is never drawn.
    noise = np.float32((XT.shape[0] + 8) * 2 * _FLOAT32_ROUNDOFF * (2 * data.max_norm) ** 2)
    p = None if data.weights is None else data.weights / data.weights.sum()
    draw_weights = None if data.weights is None else w  # multiplying by ones is wasted work
    chosen = [int(rng.choice(n, p=p))]
    closest = np.empty(n, dtype=np.float32)  # D(x)²: to the nearest centre so far
    chunk_potential = _distances_to(XT, x_sq, XT[:, chosen], w, noise, closest[None, :], None)[0]
    trials = np.empty((n_local_trials, n), dtype=np.float32)
    for _ in range(1, k):
        potential = float(chunk_potential.sum())
        if potential <= 0:  # only duplicates (or float32 noise) of chosen rows are left
            chosen.append(_any_row_not_chosen(data, chosen, rng))
            chunk_potential = _distances_to(XT, x_sq, XT[:, chosen[-1:]], w, noise,
                                            trials[:1], closest)[0]
            closest[:] = trials[0]
            continue
        # Draw candidates with probability proportional to w * D(x)²; 1 - random()
        # lies in (0, 1], so a row with D(x) = 0 is never drawn.
        targets = potential * (1.0 - rng.random(n_local_trials))
        candidates = [_draw(target, chunk_potential, closest, draw_weights)
                      for target in targets]
        # Keep the candidate that lowers the potential most.
        potentials = _distances_to(XT, x_sq, XT[:, candidates], w, noise, trials, closest)
        best = int(np.argmin(potentials.sum(axis=1)))
        chosen.append(candidates[best])
        closest[:] = trials[best]
        chunk_potential = potentials[best]
    return np.array(chosen)


def _distances_to(XT, x_sq, centers_T, w, noise, out, closest) -> np.ndarray:
    """min(closest, D²) from each column of ``centers_T`` (d, t) into ``out`` (t, n).

    Returns the weighted potential of each candidate per chunk, (t, n_chunks) float64.
    """
    n, t = XT.shape[1], centers_T.shape[1]
    minus_two_c = (-2.0 * centers_T.T).astype(np.float32)  # (t, d)
    c_sq = np.einsum("ij,ij->j", centers_T, centers_T).astype(np.float32)[:, None]
    sums = np.empty((t, -(-n // _CHUNK)))
    for i, start in enumerate(range(0, n, _CHUNK)):
        stop = min(start + _CHUNK, n)
        block = out[:t, start:stop]
        np.matmul(minus_two_c, XT[:, start:stop], out=block)
        block += c_sq
        block += x_sq[start:stop]
        block[block <= noise] = 0.0  # also clears the tiny negatives of rounding
        if closest is not None:
            np.minimum(block, closest[start:stop], out=block)
        sums[:, i] = block @ w[start:stop]
    return sums


def _draw(target, chunk_potential, closest, w) -> int:
    """The row where the cumulative potential first reaches ``target``.

    ``w``: the row weights (float32), or None when every row weighs 1.
    """
    cumulative = np.cumsum(chunk_potential)
    chunk = min(int(np.searchsorted(cumulative, target)), len(chunk_potential) - 1)
    while chunk_potential[chunk] <= 0:  # rounding can point at an empty chunk's edge
        chunk -= 1
    start = chunk * _CHUNK
    values = closest[start:start + _CHUNK].astype(np.float64)
    if w is not None:
        values *= w[start:start + _CHUNK]
    before = cumulative[chunk - 1] if chunk else 0.0
    row = min(int(np.searchsorted(np.cumsum(values), target - before)), values.size - 1)
    if values[row] <= 0:  # rounding between the chunk total and this sum: nearest drawable row
        positive = np.flatnonzero(values > 0)
        row = int(positive[min(int(np.searchsorted(positive, row)), positive.size - 1)])
    return start + row


def _any_row_not_chosen(data: _Data, chosen, rng) -> int:
    """A random row (by weight) that equals none of the chosen rows exactly."""
    X = data.XT.T  # (n, d) view: what the algorithm sees
    free = np.ones(X.shape[0], dtype=bool)
    for row in chosen:
        free &= (X != X[row]).any(axis=1)
    if data.weights is not None:
        free &= data.weights > 0
    pool = np.flatnonzero(free)
    p = None if data.weights is None else data.weights[pool] / data.weights[pool].sum()
    return int(rng.choice(pool, p=p))


def _random_distinct_rows(data: _Data, rng) -> np.ndarray:
    """k distinct rows drawn at random in proportion to weight (Forgy); indices."""
    n, k = data.XT.shape[1], data.k
    if data.weights is None:
        order = rng.permutation(n)
    else:  # weighted order without replacement: sort by u**(1/w) (Efraimidis-Spirakis)
        pool = np.flatnonzero(data.weights > 0)
        keys = rng.random(pool.size) ** (1.0 / data.weights[pool])
        order = pool[np.argsort(-keys, kind="stable")]
    # Take a random block and keep its first k distinct rows; grow the block only
    # for data with very few distinct rows.
    size = min(len(order), max(64, 4 * k))
    while True:
        block = order[:size]
        _, first_seen = np.unique(data.XT[:, block].T, axis=0, return_index=True)
        if len(first_seen) >= k or size == len(order):
            break
        size = min(len(order), size * 4)
    return block[np.sort(first_seen)[:k]]


def _check_enough_distinct_rows(original, XT, k, weights) -> None:
    """Raise if the float32 rows have fewer than k distinct values (positive weight)."""
    keep = slice(None) if weights is None else weights > 0
    rows = XT.T[keep]
    # A strided sample answers at once for almost every image: if its rows have
    # at least k different hashes, they are at least k different rows (equal
    # rows hash equally). Only a nearly constant image needs the exact pass,
    # np.unique over whole rows, which sorts them (4 ms on 4096 rows, 100x the hash).
    sample = rows[:: max(1, len(rows) // 4096)]
    if _n_distinct_hashes(sample) >= k:
        return
    for candidate in (sample, rows):
        n_distinct = len(np.unique(candidate, axis=0))
        if n_distinct >= k:
            return
    n_original = len(np.unique(original[keep], axis=0))
    if n_original > n_distinct and n_original >= k:
        raise ValueError(
            f"X has {n_original} distinct rows but only {n_distinct} remain distinct in "
            f"float32 after centring, fewer than k={k}: the differences between rows are "
            f"below float32 resolution; rescale X"
        )
    raise TooFewDistinctPointsError(k, n_distinct)


def _n_distinct_hashes(rows) -> int:
    """How many different hashes the float32 rows have: at most their distinct count."""
    bits = (rows + np.float32(0.0)).view(np.uint32)  # + 0.0 makes -0.0 into 0.0, as == does
    keys = np.zeros(len(rows), dtype=np.uint64)
    for column in bits.T:  # FNV-style: multiply, add the next column (wraps modulo 2**64)
        keys = keys * np.uint64(0x100000001B3) + column
    return len(np.unique(keys))
