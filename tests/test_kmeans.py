"""Tests for segmentation.kmeans: toys, invariants, oracle, errors."""

from __future__ import annotations

import importlib
import os
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage import data, transform

from segmentation.kmeans import (
    ALGORITHMS,
    KMeansState,
    TooFewDistinctPointsError,
    assign_reference,
    kmeans,
    kmeans_iter,
    kmeans_plusplus,
    update_reference,
)

kmeans_module = importlib.import_module("segmentation.kmeans")

TOY_X = np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]])
TOY_WEIGHTS = np.array([3, 1, 1, 3])


@pytest.fixture(scope="module")
def image_features() -> np.ndarray:
    """RGB + 0.3-weighted position of a downscaled astronaut: real image data, (n, 5)."""
    image = transform.rescale(data.astronaut(), 0.25, channel_axis=2, anti_aliasing=True)
    height, width = image.shape[:2]
    rows, cols = np.mgrid[0:height, 0:width]
    return np.column_stack([
        image.reshape(-1, 3),
        0.3 * rows.ravel() / (height - 1),
        0.3 * cols.ravel() / (width - 1),
    ]).astype(np.float32)


@pytest.fixture
def blobs() -> np.ndarray:
    """Three well separated Gaussian blobs in 2-D, 300 points."""
    rng = np.random.default_rng(42)
    centres = np.array([[0, 0], [5, 5], [0, 10]])
    return np.concatenate([c + rng.normal(scale=0.5, size=(100, 2)) for c in centres])


def brute_force_sq_distances(X, centers) -> np.ndarray:
    """(n, k) squared distances in float64, the plain textbook way."""
    X = np.asarray(X, dtype=np.float64)
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


# --- hand-computed toys -------------------------------------------------------


def test_weighted_toy_matches_hand_computation():
    # Weights [3,1,1,3] pull each centre towards its heavy point:
    # (3*0 + 1*0.5)/4 = 0.125 and (1*0.5 + 3*1)/4 = 0.875.
    states = list(kmeans_iter(TOY_X, 2, init=[[0, 0], [1, 1]], sample_weight=TOY_WEIGHTS))
    final = states[-1]
    assert final.labels.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(final.centers, [[0.125, 0], [0.875, 1]])
    # 3*0.125² + 0.375² + 0.375² + 3*0.125² = 0.375
    assert final.inertia == pytest.approx(0.375)
    assert final.converged and final.n_changed == 0
    assert final.center_shift == pytest.approx(2 * 0.125**2)


def test_iteration_zero_is_assignment_to_initial_centres():
    # State 0 keeps the given centres, has no shift, and every row counts as changed.
    first = next(kmeans_iter(TOY_X, 2, init=[[0, 0], [1, 1]]))
    assert first.iteration == 0
    np.testing.assert_array_equal(first.centers, [[0, 0], [1, 1]])
    assert first.labels.tolist() == [0, 0, 1, 1]
    assert first.center_shift == 0.0
    assert first.n_changed == 4
    assert first.inertia == pytest.approx(0.25 + 0.25)
    assert not first.converged


def test_states_are_frozen_and_read_only():
    # A state cannot be modified, neither its fields nor its arrays.
    state = kmeans(TOY_X, 2, init=[[0, 0], [1, 1]])
    assert isinstance(state, KMeansState)
    with pytest.raises(AttributeError):
        state.inertia = 0.0
    with pytest.raises(ValueError):
        state.labels[0] = 1
    with pytest.raises(ValueError):
        state.centers[0, 0] = 1.0


def test_empty_cluster_takes_the_farthest_row():
    # Centre 2 starts far from all data, so it is empty after iteration 0.
    # It must move onto the row farthest from its own centre, here [10, 0]
    # (distance² 25 from centre [5, 0]); no centre may become NaN.
    X = np.array([[0, 0], [1, 0], [9, 0], [10, 0], [0.5, 0.1]])
    init = np.array([[0.5, 0], [5, 0], [100, 100]])
    states = list(kmeans_iter(X, 3, init=init))
    assert np.bincount(states[0].labels, minlength=3)[2] == 0
    np.testing.assert_allclose(states[1].centers[2], [10, 0])
    # The donor cluster {9, 10} lost row [10, 0], so its centre is now 9.
    np.testing.assert_allclose(states[1].centers[1], [9, 0])
    assert all(np.isfinite(s.centers).all() for s in states)
    assert np.bincount(states[-1].labels, minlength=3).min() > 0


def test_empty_cluster_relocation_is_deterministic():
    # Two identical runs with an empty cluster relocate to the same row.
    X = np.random.default_rng(0).random((500, 3))
    init = np.vstack([X[:3], [[50, 50, 50]]])
    a, b = kmeans(X, 4, init=init), kmeans(X, 4, init=init)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_k_equal_one_gives_the_mean():
    # One cluster: its centre is the mean, inertia the total sum of squares.
    X = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 6.0]])
    state = kmeans(X, 1, seed=0)
    np.testing.assert_allclose(state.centers, [[2.0, 2.0]])
    assert state.inertia == pytest.approx(((X - [2, 2]) ** 2).sum())


def test_blobs_are_recovered(blobs):
    # Three well separated blobs: each is one cluster, whatever the seed.
    for seed in range(3):
        labels = kmeans(blobs, 3, seed=seed).labels
        for blob in range(3):
            assert len(np.unique(labels[blob * 100 : (blob + 1) * 100])) == 1
        assert len(np.unique(labels)) == 3


# --- invariants ----------------------------------------------------------------


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_inertia_never_increases(image_features, init):
    # Each update and each assignment can only lower the inertia.
    inertias = [s.inertia for s in kmeans_iter(image_features, 6, init=init, seed=1)]
    assert len(inertias) > 2
    # Exactly, up to float64 rounding: no tolerance for float32 noise.
    assert all(after <= before * (1 + 1e-12) for before, after in zip(inertias, inertias[1:]))


def test_labels_are_nearest_centre_labels_in_every_state(image_features):
    # Truthful states: each label is exactly the nearest centre (ties: lower index).
    for state in kmeans_iter(image_features, 5, seed=3):
        sq = brute_force_sq_distances(image_features, state.centers)
        np.testing.assert_array_equal(state.labels, sq.argmin(axis=1))
        # and the reported inertia is the sum of those distances, to float64 rounding
        chosen = sq[np.arange(len(sq)), state.labels]
        assert state.inertia == pytest.approx(chosen.sum(), rel=1e-10)


def test_n_changed_counts_label_changes(image_features):
    # n_changed is exactly the number of rows whose label differs from the previous state.
    states = list(kmeans_iter(image_features, 4, seed=0))
    for previous, current in zip(states, states[1:]):
        assert current.n_changed == np.count_nonzero(previous.labels != current.labels)


def test_center_shift_is_sum_of_squared_moves(image_features):
    # center_shift is the sum over centres of their squared displacement.
    states = list(kmeans_iter(image_features, 4, seed=0))
    for previous, current in zip(states, states[1:]):
        expected = np.sum((current.centers - previous.centers) ** 2)
        assert current.center_shift == pytest.approx(expected)


def test_only_the_last_state_is_converged(image_features):
    # The run stops at its first converged state.
    states = list(kmeans_iter(image_features, 4, seed=0))
    assert [s.converged for s in states[:-1]] == [False] * (len(states) - 1)
    assert states[-1].converged
    assert [s.iteration for s in states] == list(range(len(states)))


def test_max_iter_stops_without_convergence(image_features):
    # With max_iter=2 there are exactly 3 states and the last is not converged.
    states = list(kmeans_iter(image_features, 8, seed=0, max_iter=2, tol=0))
    assert [s.iteration for s in states] == [0, 1, 2]
    assert not states[-1].converged
    only_initial = list(kmeans_iter(image_features, 8, seed=0, max_iter=0))
    assert len(only_initial) == 1


def test_tol_uses_scaled_centre_shift(image_features):
    # A huge tol stops after the first update; tol=0 runs until no label changes.
    loose = list(kmeans_iter(image_features, 4, seed=0, tol=1e6))
    assert len(loose) == 2 and loose[-1].converged
    strict = list(kmeans_iter(image_features, 4, seed=0, tol=0))
    assert strict[-1].converged and strict[-1].n_changed == 0


def test_same_seed_same_labels(image_features):
    # Determinism: same data, parameters and seed give identical labels.
    for init in ("k-means++", "random"):
        a = kmeans(image_features, 5, init=init, seed=7)
        b = kmeans(image_features, 5, init=init, seed=np.random.default_rng(7))
        np.testing.assert_array_equal(a.labels, b.labels)


def test_zero_weight_rows_do_not_move_centres(blobs):
    # A row of weight 0 has no influence: same centres as without it.
    outlier = np.vstack([blobs, [[100.0, 100.0]]])
    weights = np.ones(len(outlier))
    weights[-1] = 0
    init = blobs[[0, 150, 250]]
    with_zero = kmeans(outlier, 3, init=init, sample_weight=weights)
    without = kmeans(blobs, 3, init=init)
    np.testing.assert_allclose(with_zero.centers, without.centers, rtol=1e-6)


def test_integer_weights_equal_repeated_rows(blobs):
    # Weight 2 on a row is the same as that row appearing twice.
    weights = np.ones(len(blobs))
    weights[:50] = 2
    repeated = np.vstack([blobs, blobs[:50]])
    init = blobs[[0, 150, 250]]
    a = kmeans(blobs, 3, init=init, sample_weight=weights)
    b = kmeans(repeated, 3, init=init)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-5)
    assert a.inertia == pytest.approx(b.inertia, rel=1e-5)


def test_labels_use_a_small_integer_type():
    # Labels are stored compactly: uint8 up to 256 clusters.
    state = kmeans(TOY_X, 2, init=[[0, 0], [1, 1]])
    assert state.labels.dtype == np.uint8
    assert kmeans_module._label_dtype(300) == np.uint16


# --- k-means++ -----------------------------------------------------------------


def test_kmeans_plusplus_picks_distinct_data_rows(image_features):
    # Centres are k distinct rows of X, reproducible from the seed.
    centers = kmeans_plusplus(image_features, 6, seed=0)
    assert centers.shape == (6, 5)
    assert len(np.unique(centers, axis=0)) == 6
    rows = {tuple(r) for r in image_features.astype(np.float64)}
    assert all(tuple(c) in rows for c in centers)
    np.testing.assert_array_equal(centers, kmeans_plusplus(image_features, 6, seed=0))


def test_kmeans_plusplus_spreads_centres_over_blobs(blobs):
    # On well separated blobs, k-means++ puts one centre in each blob.
    for seed in range(5):
        centers = kmeans_plusplus(blobs, 3, seed=seed)
        blob_of = np.argmin(brute_force_sq_distances(centers, np.array([[0, 0], [5, 5], [0, 10]])), axis=1)
        assert sorted(blob_of) == [0, 1, 2]


def test_kmeans_plusplus_never_picks_zero_weight_rows():
    # Rows of weight 0 are never chosen as centres.
    X = np.arange(20.0).reshape(10, 2)
    weights = np.array([0, 1] * 5)
    for seed in range(10):
        centers = kmeans_plusplus(X, 3, seed=seed, sample_weight=weights, n_local_trials=1)
        chosen = [int(np.flatnonzero((X == c).all(axis=1))[0]) for c in centers]
        assert all(weights[i] > 0 for i in chosen)


def test_random_init_picks_distinct_rows_despite_duplicates():
    # 'random' initialisation returns k distinct rows even when most rows repeat.
    X = np.vstack([np.zeros((1000, 2)), [[1, 1]], [[2, 2]]])
    for seed in range(5):
        state = next(kmeans_iter(X, 3, init="random", seed=seed))
        assert len(np.unique(state.centers, axis=0)) == 3


# --- oracle: scikit-learn -------------------------------------------------------


@pytest.mark.parametrize("k", [3, 8])
def test_matches_scikit_learn_lloyd(image_features, k):
    # Same data, same initial centres, same tol: the same clustering as
    # scikit-learn's compiled Lloyd, label for label and iteration for iteration.
    from sklearn.cluster import KMeans

    init = kmeans_plusplus(image_features, k, seed=0)
    ours = kmeans(image_features, k, init=init, tol=1e-4)
    theirs = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=1e-4,
                    max_iter=100).fit(image_features)
    # Identical labels, but for at most 2 of 16384 pixels: near-ties at float32
    # resolution, which scikit-learn itself decides differently with 1 or 2
    # OpenMP threads (ours are exact and do not depend on threads).
    assert np.count_nonzero(ours.labels != theirs.labels_) <= 2
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, atol=1e-5)
    assert ours.iteration == theirs.n_iter_  # tol > 0: the same stopping iteration
    # scikit-learn sums float32 distances in float32; ours are exact to 1e-10
    assert ours.inertia == pytest.approx(theirs.inertia_, rel=1e-4)


@pytest.mark.parametrize("tol", [1e-2, 1e-3, 0.0])
def test_iteration_count_matches_scikit_learn_across_seeds(image_features, tol):
    # Convergence is decided by the same rule (relative tol on the squared shift).
    # With tol=0 scikit-learn needs one more pass to see that no label changed.
    from sklearn.cluster import KMeans

    for seed in range(2):
        init = kmeans_plusplus(image_features, 5, seed=seed)
        ours = kmeans(image_features, 5, init=init, tol=tol)
        theirs = KMeans(n_clusters=5, init=init, n_init=1, algorithm="lloyd", tol=tol,
                        max_iter=100).fit(image_features)
        np.testing.assert_array_equal(ours.labels, theirs.labels_)
        assert ours.iteration + (1 if tol == 0 else 0) == theirs.n_iter_


# --- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k=0"),
        ({"k": 5}, "k=5 must be at most the number of distinct rows"),
        ({"k": 2, "init": "kmeans"}, "init='kmeans'"),
        ({"k": 2, "init": [[0, 0]]}, "init must be"),
        ({"k": 2, "init": [[0, np.nan], [1, 1]]}, "init contains NaN"),
        ({"k": 2, "max_iter": -1}, "max_iter=-1"),
        ({"k": 2, "tol": -1.0}, "tol=-1"),
        ({"k": 2, "sample_weight": [1, 1]}, "sample_weight must have shape (4,)"),
        ({"k": 2, "sample_weight": [1, -1, 1, 1]}, "non-negative"),
        ({"k": 2, "sample_weight": [0, 0, 0, 0]}, "at least one positive"),
        ({"k": 3, "sample_weight": [1, 1, 0, 0]}, "k=3 must be at most"),
        ({"k": 2, "algorithm": "fast"}, "algorithm='fast'"),
        ({"k": 2, "n_init": 0}, "n_init=0"),
        ({"k": 2, "n_init": 2, "init": [[0, 0], [1, 1]]}, "n_init=2 needs a random init"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(kwargs, message):
    # Each bad parameter raises at call time (not at the first state) and names itself.
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kmeans_iter(TOY_X, **kwargs)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros(4), "2-D array"),
        (np.zeros((0, 2)), "at least one row"),
        ([[0.0, np.nan], [1.0, 1.0]], "NaN or infinite"),
        ([[0.0, np.inf], [1.0, 1.0]], "NaN or infinite"),
        (np.array([["a", "b"]]), "real numbers"),
    ],
)
def test_invalid_data_raises_value_error(X, message):
    # Malformed X is rejected with a message about X.
    with pytest.raises(ValueError, match=message):
        kmeans(X, 1)


def test_too_few_distinct_rows_has_its_own_type():
    # Callers can tell "k too large for this data" from other errors, and still
    # catch it as a ValueError.
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(TooFewDistinctPointsError) as caught:
        kmeans(X, 3)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.k, caught.value.n_distinct) == (3, 2)


def test_wrong_types_raise_type_error():
    # Non-integer k and a bad seed object are type errors.
    with pytest.raises(TypeError, match="k=2.5"):
        kmeans(TOY_X, 2.5)
    with pytest.raises(TypeError, match="seed"):
        kmeans(TOY_X, 2, seed="abc")


# --- the plain reference and the fast loop agree -------------------------------


def run_both(X, k, **kwargs):
    """States of the fast and the plain loop for the same problem."""
    fast = list(kmeans_iter(X, k, algorithm="hamerly", **kwargs))
    plain = list(kmeans_iter(X, k, algorithm="lloyd", **kwargs))
    return fast, plain


def assert_same_states(fast, plain):
    """Identical labels in every state, numbers equal to float64 rounding."""
    assert [s.iteration for s in fast] == [s.iteration for s in plain]
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a.labels, b.labels)
        assert (a.n_changed, a.converged) == (b.n_changed, b.converged)
        np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
        assert a.inertia == pytest.approx(b.inertia, rel=1e-10, abs=1e-12)
        assert a.center_shift == pytest.approx(b.center_shift, rel=1e-9, abs=1e-15)


def test_assign_reference_by_hand():
    # Nearest centre by squared distance; an exact tie goes to the lower index.
    labels = assign_reference([[0.0], [1.0], [1.1], [3.0]], [[0.0], [2.0], [4.0]])
    assert labels.tolist() == [0, 0, 1, 1]  # 1.0 ties between 0 and 2; 3.0 between 2 and 4


def test_update_reference_by_hand():
    # Means of the members; weights pull towards heavy rows; an empty cluster
    # takes the row farthest from its own centre.
    X = [[0.0], [1.0], [4.0]]
    np.testing.assert_allclose(update_reference(X, [0, 0, 1], [[0.0], [4.0]]), [[0.5], [4.0]])
    np.testing.assert_allclose(update_reference(X, [0, 0, 1], [[0.0], [4.0]], [3, 1, 1]),
                               [[0.25], [4.0]])
    # cluster 1 is empty: row 2 (distance² 16 from centre 0) moves to it
    np.testing.assert_allclose(update_reference(X, [0, 0, 0], [[0.0], [9.0]]), [[0.5], [4.0]])


@pytest.mark.parametrize("seed", range(4))
def test_fast_equals_plain_on_random_data(seed):
    # Random float data: the bounds never change a label.
    X = np.random.default_rng(seed).normal(size=(2000, 3)).astype(np.float32)
    assert_same_states(*run_both(X, 6, seed=seed, tol=0))


@pytest.mark.parametrize("seed", range(4))
def test_fast_equals_plain_on_integer_data_with_exact_ties(seed):
    # Integer points on a 4x4 grid: many rows are exactly equidistant from two
    # centres. Both loops send every tie to the lower index.
    X = np.random.default_rng(seed).integers(0, 4, size=(1500, 2))
    fast, plain = run_both(X, 5, seed=seed, init="random", tol=0)
    assert_same_states(fast, plain)
    distances = brute_force_sq_distances(X, fast[0].centers)
    assert (np.sort(distances, axis=1)[:, 0] == np.sort(distances, axis=1)[:, 1]).any()


def test_fast_equals_plain_with_weights_and_empty_clusters():
    # Weighted rows (some weight 0) and two centres that start far from all
    # data, so clusters are empty and must be relocated.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 2))
    weights = rng.integers(0, 4, size=600).astype(float) * 0.3
    init = np.vstack([X[:3], [[50.0, 50.0], [-60.0, 0.0]]])
    fast, plain = run_both(X, 5, init=init, sample_weight=weights, tol=0)
    assert np.bincount(fast[0].labels, minlength=5)[3:].tolist() == [0, 0]
    assert_same_states(fast, plain)


def test_fast_equals_plain_across_chunk_edges(monkeypatch):
    # Blocks of 7 rows: every chunked loop (assign, bounds, sums, k-means++) sees
    # many block edges and partial last blocks.
    monkeypatch.setattr(kmeans_module, "_CHUNK", 7)
    X = np.random.default_rng(9).random((250, 3))
    assert_same_states(*run_both(X, 4, seed=1, tol=0))


# --- exactness on awkward data -------------------------------------------------


def test_inertia_is_monotone_on_the_astronaut_to_float64_rounding():
    # The reviewer's case: full-size astronaut, RGB + position, k=6, tol=1e-6.
    # With float32 inertia the curve went up at one iteration.
    from segmentation.features import FeatureSpec, extract_features

    image = data.astronaut().astype(np.float32) / 255
    X = extract_features(image, FeatureSpec.from_weights("rgb", position_weight=0.3)).values
    inertias = [s.inertia for s in kmeans_iter(X, 6, seed=0, tol=1e-6, max_iter=300)]
    assert len(inertias) > 20
    assert all(after <= before * (1 + 1e-12) for before, after in zip(inertias, inertias[1:]))


@pytest.mark.parametrize("offset", [1e3, 1e4, 1e6])
def test_data_far_from_the_origin(offset):
    # Two blobs of spread ~1 far from the origin: the labels are the exact
    # nearest centres and the inertia is the true one (float32 without centring
    # was 20 % wrong at 1e4).
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) + [3.0, 0.0]]) + offset
    state = kmeans(X, 2, seed=0)
    sq = brute_force_sq_distances(X, state.centers)
    np.testing.assert_array_equal(state.labels, sq.argmin(axis=1))
    true_inertia = sq[np.arange(len(X)), state.labels].sum()
    assert state.inertia == pytest.approx(true_inertia, rel=1e-6)


def test_rows_that_differ_only_far_from_the_origin_stay_distinct():
    # 1e8, 1e8+1, 1e8+2 are one value in float32, but three rows of X.
    state = kmeans([[1e8], [1e8 + 1], [1e8 + 2]], 3, seed=0)
    assert sorted(state.labels.tolist()) == [0, 1, 2]
    assert state.inertia == 0.0


@pytest.mark.parametrize(
    ("X", "message"),
    [
        ([[0.0], [1e20], [-1e20]], "rescale X"),
        ([[0.0], [1.0], [1.0 + 1e-12]], "below float32 resolution"),
    ],
)
def test_values_float32_cannot_hold_are_rejected(X, message):
    # Overflow (squares beyond float32) and rows that merge in float32 raise a
    # ValueError that says what to do, instead of NaN inertia or a silent merge.
    with pytest.raises(ValueError, match=message):
        kmeans(X, len(X), seed=0)


def test_kmeans_plusplus_returns_distinct_rows_below_float32_noise():
    # 1e-30 is a different row from 0: k-means++ must take all three.
    centers = kmeans_plusplus([[0.0], [1e-30], [1.0]], 3, seed=2)
    assert sorted(centers.ravel().tolist()) == [0.0, 1e-30, 1.0]


def test_kmeans_plusplus_finds_the_one_row_beside_many_duplicates():
    # 50 colours x 2000 copies plus one row 1e-4 away from one of them: with
    # k=51 the odd row must be chosen, never a duplicate.
    colours = np.random.default_rng(0).random((50, 3))
    X = np.vstack([np.repeat(colours, 2000, axis=0), colours[:1] + 1e-4])
    for seed in range(10):
        centers = kmeans_plusplus(X, 51, seed=seed)
        assert len(np.unique(centers, axis=0)) == 51


def test_weighted_relocation_keeps_the_donor_intact():
    # Row 7 (weight 0.3) leaves cluster 1 for the empty cluster 2; cluster 1 is
    # then empty and keeps its centre 6.0 (it became 12.0 when the subtracted
    # amount differed from the added one).
    states = list(kmeans_iter([[0], [0.1], [0.2], [7]], 3, init=[[0.1], [6], [100]],
                              sample_weight=[0.3] * 4, max_iter=1))
    np.testing.assert_allclose(states[1].centers.ravel(), [0.1, 6.0, 7.0], rtol=1e-6)


def test_several_empty_clusters_take_tied_rows_by_index():
    # Rows -1, 1, 10 and 12 all lie at distance 1 from their centre; the empty
    # clusters 2 and 3 take the first two by index, and cluster 0, left with no
    # row, keeps its centre.
    X = [[-1.0], [1.0], [10.0], [11.0], [12.0]]
    init = [[0.0], [11.0], [100.0], [200.0]]
    for algorithm in ALGORITHMS:
        states = list(kmeans_iter(X, 4, init=init, max_iter=1, algorithm=algorithm))
        assert states[0].labels.tolist() == [0, 0, 1, 1, 1]
        assert states[1].centers.ravel().tolist() == [0.0, 11.0, -1.0, 1.0]
        assert states[1].labels.tolist() == [2, 3, 1, 1, 1]


def test_ties_go_to_the_lower_index_in_the_fast_loop():
    # 1 is as close to 0 as to 2, and 3 as close to 2 as to 4.
    state = next(kmeans_iter([[1.0], [1.5], [3.0]], 3, init=[[0.0], [2.0], [4.0]]))
    assert state.labels.tolist() == [0, 1, 1]


def test_tol_is_relative_to_the_spread_of_the_data(image_features):
    # Scaling the data scales the centre shifts and the variance alike, so the
    # run stops at the same iteration with the same labels.
    init = kmeans_plusplus(image_features, 5, seed=0)
    small = kmeans(image_features, 5, init=init, tol=1e-3)
    large = kmeans(image_features * 1000.0, 5, init=init * 1000.0, tol=1e-3)
    assert small.iteration == large.iteration
    assert not small.converged or small.n_changed > 0  # stopped by tol, not by no change
    np.testing.assert_array_equal(small.labels, large.labels)


def test_weighted_variance_scales_tol_like_repeated_rows(blobs):
    # Weight 2 on a row is two copies of it, for the tol threshold too.
    weights = np.ones(len(blobs))
    weights[:100] = 3
    init = blobs[[0, 150, 250]]
    a = list(kmeans_iter(blobs, 3, init=init, sample_weight=weights, tol=1e-2))
    b = list(kmeans_iter(np.vstack([blobs, blobs[:100], blobs[:100]]), 3, init=init, tol=1e-2))
    assert len(a) == len(b)


def test_module_is_reachable_by_its_name():
    # `import segmentation.kmeans as km` gives the module, not the function.
    import segmentation.kmeans as km

    assert km is kmeans_module
    assert callable(km.kmeans) and callable(km.kmeans_iter)


def test_n_init_keeps_the_lowest_inertia_run(blobs):
    # Best of 5 starts: the final inertia is the minimum over the five single
    # runs drawn one after the other from the same seed.
    rng = np.random.default_rng(0)
    X = rng.random((400, 2))
    best = kmeans(X, 6, n_init=5, seed=3, init="random")
    generator = np.random.default_rng(3)
    singles = [kmeans(X, 6, seed=generator, init="random").inertia for _ in range(5)]
    assert best.inertia == min(singles)
    assert len(set(singles)) > 1  # the starts really differ
    with pytest.raises(ValueError, match="n_init=2 needs a random init"):
        kmeans(X, 2, n_init=2, init=X[:2])


# --- behaviours pinned down by mutation testing (README "Mutation testing") ----


def test_update_reference_returns_float_means_for_integer_input():
    # Integer data and centres still give float64 means (0.5, not 0).
    new_centers = update_reference([[0], [1], [5]], [0, 0, 0], [[0], [9]])
    assert new_centers.dtype == np.float64
    assert new_centers.tolist() == [[0.5], [5.0]]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_cluster_with_only_zero_weight_rows_is_empty(algorithm):
    # Cluster 1 holds only row [10] of weight 0: it counts as empty and takes
    # the positive-weight row farthest from its own centre, row [1] (distance² 1).
    X, weights, init = [[0.0], [1.0], [10.0]], [1.0, 1.0, 0.0], [[0.0], [10.0]]
    np.testing.assert_allclose(update_reference(X, [0, 0, 1], init, weights), [[0.0], [1.0]])
    states = list(kmeans_iter(X, 2, init=init, sample_weight=weights, max_iter=1,
                              algorithm=algorithm))
    assert states[0].labels.tolist() == [0, 0, 1]
    np.testing.assert_allclose(states[1].centers, [[0.0], [1.0]])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_empty_cluster_never_takes_a_zero_weight_row(algorithm):
    # Row [10] is the farthest from its centre but weighs 0: the empty cluster
    # 1 takes the next one, row [1], and cluster 0 keeps row [0] alone.
    X, weights, init = [[0.0], [1.0], [10.0]], [1.0, 1.0, 0.0], [[0.0], [50.0]]
    np.testing.assert_allclose(update_reference(X, [0, 0, 0], init, weights), [[0.0], [1.0]])
    states = list(kmeans_iter(X, 2, init=init, sample_weight=weights, max_iter=1,
                              algorithm=algorithm))
    np.testing.assert_allclose(states[1].centers, [[0.0], [1.0]])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_donor_emptied_by_two_relocations_keeps_its_centre(algorithm):
    # Cluster 1 (rows [10] and [12], weights 0.1 and 0.2, both at distance 1
    # from its centre 11) gives both rows to the empty clusters 2 and 3 (ties
    # by index). It is then empty and keeps 11, although 0.1 + 0.2 - 0.1 - 0.2
    # leaves a float64 residue of 5.6e-17 in its mass.
    X = [[0.0], [0.01], [10.0], [12.0]]
    states = list(kmeans_iter(X, 4, init=[[0.0], [11.0], [100.0], [200.0]], max_iter=1,
                              sample_weight=[1.0, 1.0, 0.1, 0.2], algorithm=algorithm))
    np.testing.assert_allclose(states[1].centers.ravel(), [0.005, 11.0, 10.0, 12.0])


def test_fast_equals_plain_with_empty_clusters_across_chunk_edges(monkeypatch):
    # Blocks of 7 rows while empty clusters are relocated: the farthest rows
    # are searched in every block, weighted and not.
    monkeypatch.setattr(kmeans_module, "_CHUNK", 7)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 2))
    init = np.vstack([X[:2], [[40.0, 40.0], [-40.0, 0.0]]])
    assert_same_states(*run_both(X, 4, init=init, tol=0))
    weights = rng.integers(0, 3, size=120).astype(float)
    fast, plain = run_both(X, 4, init=init, sample_weight=weights, tol=0)
    assert_same_states(fast, plain)
    assert np.bincount(fast[0].labels, minlength=4)[2:].tolist() == [0, 0]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tol_boundary_is_inclusive_and_max_iter_is_exact(algorithm):
    # X = 0, 1, 2, 3 (variance 1.25) from centres 0 and 1: the update moves
    # centre 1 to 2 (shift 1) and row 1 changes label (a tie, to centre 0).
    # With tol = 0.8 the threshold is 0.8 * 1.25 = 1 = shift: converged, since
    # the rule is center_shift <= tol * variance.
    X, init = [[0.0], [1.0], [2.0], [3.0]], [[0.0], [1.0]]
    states = list(kmeans_iter(X, 2, init=init, tol=0.8, algorithm=algorithm))
    assert [s.iteration for s in states] == [0, 1]
    assert (states[1].center_shift, states[1].n_changed, states[1].converged) == (1.0, 1, True)
    assert states[1].labels.tolist() == [0, 0, 1, 1]
    # Without tol it needs one more step; max_iter=1 stops before, unconverged.
    assert [s.converged for s in kmeans_iter(X, 2, init=init, tol=0, algorithm=algorithm)] \
        == [False, False, True]
    stopped = list(kmeans_iter(X, 2, init=init, tol=0, max_iter=1, algorithm=algorithm))
    assert [s.iteration for s in stopped] == [0, 1] and not stopped[-1].converged


def test_random_init_draws_rows_in_proportion_to_weight():
    # Forgy's method by weight: with weights 1 and 3 the first centre is row
    # [1] in about 3/4 of the seeds; a row of weight 0 is never drawn, and a
    # valid call emits no NumPy warning (no division by a zero weight).
    import warnings

    X = [[0.0], [1.0], [2.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picks = [next(kmeans_iter(X, 1, init="random", seed=seed,
                                  sample_weight=[1.0, 3.0, 0.0])).centers[0, 0]
                 for seed in range(400)]
    assert set(picks) == {0.0, 1.0}
    assert 0.68 < np.mean(picks) < 0.82  # 0.75 expected; 400 draws: std 0.022


def test_results_do_not_depend_on_the_number_of_threads(image_features, monkeypatch):
    # Blocks of rows run in threads; their partial results are combined in
    # block order, so one thread and four give bit-identical states.
    monkeypatch.setattr(kmeans_module, "_CHUNK", 1024)  # many blocks
    runs = []
    before = kmeans_module.get_num_threads()
    try:
        for threads in (1, 4):
            kmeans_module.set_num_threads(threads)
            assert kmeans_module.get_num_threads() == threads
            runs.append(list(kmeans_iter(image_features, 5, seed=2)))
            used = kmeans_module._EXECUTOR
            assert (used is None) if threads == 1 else (used._max_workers == 4)
    finally:
        kmeans_module.set_num_threads(before)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.centers, b.centers)
        assert a.inertia == b.inertia
    assert len(runs[0]) == len(runs[1])


@pytest.mark.parametrize("n", [0, -1, 1.5, "2"])
def test_set_num_threads_rejects_bad_values(n):
    with pytest.raises((ValueError, TypeError), match="n"):
        kmeans_module.set_num_threads(n)


def test_kmeans_plusplus_fallback_skips_chosen_and_zero_weight_rows():
    # 0, 1e-30 and 2e-30 are within float32 noise of each other: once 0 (or
    # 2e-30) and 1 are chosen no potential is left, and the third centre is
    # drawn among the rows not chosen yet with positive weight: never a
    # chosen row again, never the weight-0 row 1e-30.
    X = [[0.0], [1e-30], [2e-30], [1.0]]
    weights = [1.0, 0.0, 1.0, 1.0]
    for seed in range(6):
        centers = kmeans_plusplus(X, 3, seed=seed, sample_weight=weights)
        assert sorted(centers.ravel().tolist()) == [0.0, 2e-30, 1.0]


def test_kmeans_plusplus_checks_and_uses_n_local_trials():
    # n_local_trials must be an integer >= 1, and it is used: 1 candidate per
    # centre (plain k-means++) and 30 (greedy) choose differently for some seed.
    # Centres come back as float64 even for integer X.
    X = np.random.default_rng(0).integers(0, 100, size=(200, 2))
    with pytest.raises(ValueError, match="^n_local_trials=0"):
        kmeans_plusplus(X, 3, n_local_trials=0)
    with pytest.raises(TypeError, match="^n_local_trials=2.5"):
        kmeans_plusplus(X, 3, n_local_trials=2.5)
    assert kmeans_plusplus(X, 3, seed=0).dtype == np.float64
    assert any(not np.array_equal(kmeans_plusplus(X, 3, seed=seed, n_local_trials=1),
                                  kmeans_plusplus(X, 3, seed=seed, n_local_trials=30))
               for seed in range(5))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_kmeans_runs_in_a_forked_child_after_the_parent_used_threads():
    # The block threads of the parent do not exist in a fork; the child must
    # start its own pool instead of waiting forever on the parent's.
    X = np.random.default_rng(0).random((5000, 3))
    monkeypatch_chunk = kmeans_module._CHUNK
    kmeans_module._CHUNK = 512  # many blocks, so the pool is used
    try:
        kmeans(X, 3, seed=0)
        pid = os.fork()
        if pid == 0:  # the child: exit 0 only if k-means finishes
            signal.alarm(20)
            try:
                kmeans(X, 3, seed=0)
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
    finally:
        kmeans_module._CHUNK = monkeypatch_chunk
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("seed", range(3))
def test_kmeans_plusplus_draw_is_the_first_row_where_the_cumulative_potential_reaches_the_target(
        monkeypatch, seed):
    # The draw over per-block totals (no cumulative sum over all n rows) picks
    # exactly the row a plain cumulative sum would: the first whose running
    # total of w * D² reaches the target, never a row with D² = 0. Integer
    # values keep every sum exact, so the two must agree row for row.
    monkeypatch.setattr(kmeans_module, "_CHUNK", 8)
    rng = np.random.default_rng(seed)
    closest = rng.integers(0, 4, size=100).astype(np.float32)  # many zeros
    closest[:8] = 0  # a whole empty block first
    w = rng.integers(1, 3, size=100).astype(np.float32)
    values = closest.astype(np.float64) * w
    blocks = np.array([values[i:i + 8].sum() for i in range(0, 100, 8)])
    cumulative = np.cumsum(values)
    for target in np.concatenate([rng.uniform(0, cumulative[-1], 200), cumulative[values > 0]]):
        if target <= 0:
            continue
        row = kmeans_module._draw(float(target), blocks, closest, w)
        assert row == int(np.searchsorted(cumulative, target)), target
        assert values[row] > 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_callers_data_is_never_modified(order):
    # Centring works on a private copy: a float32 array far from the origin,
    # in either memory order, comes back exactly as it went in.
    X = np.asarray(np.random.default_rng(0).random((200, 2)) + 1000, dtype=np.float32, order=order)
    before = X.copy()
    kmeans(X, 2, seed=0)
    kmeans_plusplus(X, 2, seed=0)
    np.testing.assert_array_equal(X, before)


def test_blas_held_to_one_thread_with_the_pools_found_once(monkeypatch):
    # Each run limits BLAS to one thread while it computes, through one
    # ThreadpoolController per process: finding the pools walks every loaded
    # library (tens of ms in a busy server), too slow to repeat per run.
    import contextlib

    import segmentation.kmeans as km

    created, limits = [], []

    class Controller:
        def __init__(self):
            created.append(self)

        def limit(self, **kwargs):
            limits.append(kwargs)
            return contextlib.nullcontext()

    km._blas_controller.cache_clear()
    monkeypatch.setattr(km, "ThreadpoolController", Controller)
    try:
        X = np.random.default_rng(0).random((200, 3))
        for seed in (0, 1):
            km.kmeans(X, 3, seed=seed)
        assert len(created) == 1
        assert limits and all(kw == {"limits": 1, "user_api": "blas"} for kw in limits)
    finally:
        km._blas_controller.cache_clear()


# --------------------------------------------------------------------------- #
# Found by mutation testing (second full run): shortcuts that no test pinned.
# --------------------------------------------------------------------------- #
def plain_greedy_kmeans_plusplus(X, k, seed, n_local_trials, weights=None) -> list[int]:
    """Greedy k-means++ as the textbook writes it (float64, one cumulative sum over all
    rows), drawing from the random generator exactly as kmeans_plusplus does."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    p = None if weights is None else w / w.sum()
    chosen = [int(rng.choice(len(X), p=p))]
    closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        potential = (w * closest).sum()
        targets = potential * (1.0 - rng.random(n_local_trials))
        cumulative = np.cumsum(w * closest)
        candidates = [int(np.searchsorted(cumulative, target)) for target in targets]
        after = [np.minimum(closest, ((X - X[c]) ** 2).sum(axis=1)) for c in candidates]
        best = int(np.argmin([(w * a).sum() for a in after]))
        chosen.append(candidates[best])
        closest = after[best]
    return chosen


@pytest.mark.parametrize("n", [3000, 70_000])  # one chunk of rows; three chunks
@pytest.mark.parametrize("weighted", [False, True])
def test_kmeans_plusplus_picks_the_rows_of_the_plain_greedy_algorithm(n, weighted):
    # Integer data: every squared distance and sum is exact in float32 and
    # float64 alike, so the chunked fast draw must pick exactly the rows of
    # the plain algorithm, with its default 2 + log(k) candidates per centre.
    rng = np.random.default_rng(n)
    X = rng.integers(0, 40, size=(n, 3)).astype(np.float64)
    weights = rng.integers(1, 5, size=n).astype(np.float64) if weighted else None
    for k, seed in [(3, 0), (6, 1), (9, 2)]:
        centers = kmeans_plusplus(X, k, seed=seed, sample_weight=weights)
        rows = plain_greedy_kmeans_plusplus(X, k, seed, 2 + int(np.log(k)), weights)
        np.testing.assert_array_equal(centers, X[rows])


def test_kmeans_plusplus_fallback_draws_by_weight():
    # Rows 0, 1 and 2 are within float32 noise of each other; row 3 is far.
    # After the heavy rows and row 3 are chosen no potential is left, and the
    # third centre is drawn among the rest *in proportion to weight*: the
    # weight-999 row nearly always, the weight-1 row 0 almost never.
    X = [[0.0], [1e-30], [2e-30], [1.0]]
    weights = [1.0, 999.0, 1000.0, 1.0]
    picks = [kmeans_plusplus(X, 3, seed=seed, sample_weight=weights).ravel().tolist()
             for seed in range(40)]
    assert all(len(set(p)) == 3 for p in picks)
    assert sum(0.0 in p for p in picks) <= 2


def test_a_cluster_of_only_zero_weight_rows_is_relocated_like_an_empty_one():
    # Cluster 2 holds one row of weight 0: it has a row but no mass, so it has
    # no weighted mean. It is treated as empty (relocated to the farthest row,
    # here row 0), exactly as the plain reference does, and no centre is NaN.
    X = np.array([[0.0], [1.0], [10.0], [11.0], [30.0]])
    run = dict(init=[[0.5], [10.5], [30.0]], sample_weight=[1.0, 1.0, 1.0, 1.0, 0.0], tol=0)
    fast = list(kmeans_iter(X, 3, **run))
    plain = list(kmeans_iter(X, 3, algorithm="lloyd", **run))
    assert all(np.isfinite(s.centers).all() for s in fast)
    np.testing.assert_array_equal(fast[1].centers.ravel(), [1.0, 10.5, 0.0])
    for a, b in zip(fast, plain, strict=True):
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.centers, b.centers)


def test_empty_cluster_relocation_across_chunks_matches_the_reference():
    # 70 000 rows span three chunks of the fast loop; centre 3 starts far away
    # and is empty after the first assignment. The fast path must relocate it
    # to the same row as the plain reference, whatever chunk that row is in.
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(c, 1.0, size=(23_334, 2)) for c in ([0, 0], [8, 0], [0, 8])])
    init = np.vstack([X[[0, 30_000, 60_000]], [[500.0, 500.0]]])
    fast = list(kmeans_iter(X, 4, init=init, max_iter=5, tol=0))
    plain = list(kmeans_iter(X, 4, init=init, max_iter=5, tol=0, algorithm="lloyd"))
    assert np.bincount(fast[0].labels, minlength=4)[3] == 0
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_allclose(a.centers, b.centers, rtol=0, atol=1e-9)


def test_draw_when_rounding_puts_the_target_past_the_last_drawable_row():
    # The draw's target is potential * (1 - u), and potential is a float sum
    # that rounding can put a hair above the cumulative sum of the chunks.
    # Only row 5 (in the first of three chunks) can be drawn; a target past the
    # total must land on it, not on an empty chunk or past the end.
    chunk = kmeans_module._CHUNK
    w = np.ones(3 * chunk, dtype=np.float32)
    closest = np.zeros(3 * chunk, dtype=np.float32)
    closest[5] = 2.0
    chunk_potential = np.array([2.0, 0.0, 0.0])
    for target in (2.0, np.nextafter(2.0, 3.0), 2.0 * (1 + 1e-12)):
        assert kmeans_module._draw(target, chunk_potential, closest, w) == 5



# --------------------------------------------------------------------------- #
# Found by mutation testing (second full run, continued)
# --------------------------------------------------------------------------- #
def test_defaults_are_the_package_defaults():
    # One source of truth: kmeans_iter's own defaults are those of SegmentParams.
    import inspect

    from segmentation.params import SegmentParams

    defaults = {name: p.default for name, p in inspect.signature(kmeans_iter).parameters.items()}
    params = SegmentParams()
    for name in ("max_iter", "tol", "init", "n_init"):
        assert defaults[name] == getattr(params, name), name
    # ... and a run that leaves them out is the run that passes them.
    X = np.random.default_rng(4).random((500, 3))
    implicit = list(kmeans_iter(X, 6, seed=1))
    explicit = list(kmeans_iter(X, 6, seed=1, max_iter=params.max_iter, tol=params.tol,
                                init=params.init, n_init=params.n_init))
    assert len(implicit) == len(explicit) > 3
    np.testing.assert_array_equal(implicit[-1].labels, explicit[-1].labels)


def test_algorithm_lloyd_runs_the_plain_reference(monkeypatch):
    # algorithm="lloyd" runs the lesson's two functions; the default does not.
    calls = []
    real = kmeans_module.assign_reference

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kmeans_module, "assign_reference", spy)
    X = np.random.default_rng(0).random((60, 2))
    kmeans(X, 3, seed=0)
    assert calls == []
    kmeans(X, 3, seed=0, algorithm="lloyd")
    assert calls


def test_best_of_n_init_is_the_lowest_of_the_single_starts():
    # n_init starts draw their centres one after the other from one generator:
    # the result is the run with the lowest final inertia among them, for 2 and 3.
    X = np.random.default_rng(3).random((400, 2))
    for n_init in (2, 3):
        rng = np.random.default_rng(11)
        singles = [kmeans(X, 5, seed=rng, init="random") for _ in range(n_init)]
        best = min(singles, key=lambda state: state.inertia)
        result = kmeans(X, 5, seed=11, init="random", n_init=n_init)
        assert result.inertia == best.inertia
        np.testing.assert_array_equal(result.labels, best.labels)
        assert len({s.inertia for s in singles}) > 1  # the starts really differ


def test_best_of_n_init_keeps_the_first_of_equal_runs():
    # Two tight pairs far apart, k = 2: every start ends at the same inertia,
    # but the labels 0/1 depend on the start; the first start's run is kept.
    X = np.array([[0.0, 0.0], [0.0, 0.1], [10.0, 0.0], [10.0, 0.1]])
    rng = np.random.default_rng(5)
    singles = [kmeans(X, 2, seed=rng) for _ in range(6)]
    assert len({s.inertia for s in singles}) == 1
    # The fewest starts whose last run is numbered differently from the first.
    n_init = next(n for n in range(2, 7)
                  if not np.array_equal(singles[n - 1].labels, singles[0].labels))
    result = kmeans(X, 2, seed=5, n_init=n_init)
    np.testing.assert_array_equal(result.labels, singles[0].labels)


@pytest.mark.parametrize("k", [2, 3])
def test_fast_path_matches_the_reference_for_small_k(k):
    # With k = 2 a row's only other centre is its second-nearest: the lower bound
    # of the Hamerly loop must still be that distance (not infinity).
    rng = np.random.default_rng(k)
    X = np.vstack([rng.normal(c, 1.0, size=(400, 2)) for c in ([0, 0], [2.5, 0], [0, 2.5])])
    for seed in range(3):
        fast = list(kmeans_iter(X, k, seed=seed, init="random", tol=0))
        plain = list(kmeans_iter(X, k, seed=seed, init="random", tol=0, algorithm="lloyd"))
        assert len(fast) == len(plain)
        for a, b in zip(fast, plain):
            np.testing.assert_array_equal(a.labels, b.labels)


def test_weighted_stopping_rule_ignores_units_and_weight_scale():
    # tol is relative to the weighted variance of the features, so scaling the data,
    # shifting it, or scaling every weight changes neither the iterations nor the labels.
    rng = np.random.default_rng(8)
    X = np.vstack([rng.normal(c, 1.0, size=(300, 2)) for c in ([0, 0], [3, 0], [0, 3])])
    w = rng.integers(1, 6, size=len(X)).astype(float)
    run = dict(seed=2, init="random", tol=1e-2)
    base = list(kmeans_iter(X, 4, sample_weight=w, **run))
    to_the_end = list(kmeans_iter(X, 4, sample_weight=w, **{**run, "tol": 0.0}))
    assert 2 < len(base) < len(to_the_end)  # tol stops it early, before no change
    for X2, w2 in ((X * 1000.0, w), (X + 50.0, w), (X, w * 10.0)):
        other = list(kmeans_iter(X2, 4, sample_weight=w2, **run))
        assert len(other) == len(base)
        np.testing.assert_array_equal(other[-1].labels, base[-1].labels)


def test_given_centres_are_moved_with_the_data_far_from_the_origin():
    # Data far from the origin is centred inside; centres the caller gives are
    # in the caller's coordinates and must be shifted the same way.
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 1.0, size=(200, 2)) for c in ([0, 0], [6, 0])])
    init = np.array([[1.0, 0.0], [5.0, 0.0]])
    near = kmeans(X, 2, init=init)
    far = kmeans(X + 1e4, 2, init=init + 1e4)
    np.testing.assert_array_equal(far.labels, near.labels)
    np.testing.assert_allclose(far.centers - 1e4, near.centers, atol=1e-6)


@pytest.mark.parametrize(("k", "dtype"), [(256, np.uint8), (257, np.uint16)])
def test_labels_type_is_the_smallest_that_holds_k_segments(k, dtype):
    X = np.arange(300, dtype=float)[:, None]
    assert kmeans(X, k, seed=0, max_iter=1).labels.dtype == dtype



def test_kmeans_plusplus_fallback_twice_in_a_row():
    # Four rows within float32 noise of 0, and 1: once 1 and one of the zeros are
    # chosen, no potential is left, and the last two centres both come from the
    # fallback, each a row not chosen yet.
    X = [[0.0], [1e-30], [2e-30], [3e-30], [1.0]]
    for seed in range(5):
        centers = kmeans_plusplus(X, 4, seed=seed).ravel().tolist()
        assert len(centers) == len(set(centers)) == 4
        assert 1.0 in centers


def test_draw_within_a_chunk_counts_from_the_chunk_start():
    # Rows 0, 1, 2 of the first chunk each hold potential 1: targets in (0, 1],
    # (1, 2], (2, 3] draw rows 0, 1, 2 (a target lands on the first row whose
    # cumulative potential reaches it).
    chunk = kmeans_module._CHUNK
    w = np.ones(2 * chunk, dtype=np.float32)
    closest = np.zeros(2 * chunk, dtype=np.float32)
    closest[:3] = 1.0
    potential = np.array([3.0, 0.0])
    draws = [kmeans_module._draw(t, potential, closest, w) for t in (0.5, 1.0, 1.5, 2.5, 3.0)]
    assert draws == [0, 0, 1, 2, 2]


def test_draw_guard_finds_rows_with_small_potential():
    # The rounding guard must find drawable rows whatever their size: here the
    # only potential is 0.25 at row 7, and the target is a hair past the total.
    chunk = kmeans_module._CHUNK
    w = np.ones(chunk, dtype=np.float32)
    closest = np.zeros(chunk, dtype=np.float32)
    closest[7] = 0.25
    assert kmeans_module._draw(np.nextafter(0.25, 1.0), np.array([0.25]), closest, w) == 7


@pytest.mark.parametrize("offset", [1e4, -1e4])
def test_float32_data_far_from_the_origin(offset):
    # float32 input is centred in float32 (by what float32 can hold): far from
    # the origin, on either side, it gets the labels of the same data near it.
    rng = np.random.default_rng(6)
    X = np.vstack([rng.normal(c, 1.0, size=(300, 2)) for c in ([0, 0], [6, 0])])
    near = kmeans(X.astype(np.float32), 2, seed=0)
    far = kmeans((X + offset).astype(np.float32), 2, seed=0)
    np.testing.assert_array_equal(far.labels, near.labels)
    np.testing.assert_allclose(far.centers - offset, near.centers, atol=1e-2)


def test_huge_negative_values_are_refused_like_huge_positive_ones():
    with pytest.raises(ValueError, match="rescale X"):
        kmeans([[-1e30, 0.0], [1.0, 0.0], [2.0, 1.0]], 2)


@given(arrays(np.float32, st.tuples(st.integers(1, 60), st.integers(1, 4)),
              elements=st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, 3e38])))
@settings(max_examples=200, deadline=None)
def test_distinct_hashes_never_exceed_distinct_rows(rows):
    """The quick check may only undercount (then the exact pass decides): equal rows,
    -0.0 and 0.0 included, always hash equally."""
    exact = len(np.unique(rows + np.float32(0.0), axis=0))
    assert kmeans_module._n_distinct_hashes(rows) <= exact


def test_distinct_hashes_tell_rows_apart():
    rows = np.array([[0.0, 1.0], [-0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [2.0, 1.0]], np.float32)
    assert kmeans_module._n_distinct_hashes(rows) == 3
