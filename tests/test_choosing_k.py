"""Tests for segmentation.choosing_k: the elbow curve, the elbow, silhouette and CH."""

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score as sk_calinski_harabasz
from sklearn.metrics import silhouette_score as sk_silhouette

from segmentation import FeatureSpec, extract_features
from segmentation.choosing_k import (
    WORKING_MAX_SIDE,
    calinski_harabasz_score,
    elbow_curve,
    silhouette_score,
    suggest_elbow,
    working_image,
)
from segmentation.kmeans import assign_reference
from segmentation.samples import load_sample

# Corners of the RGB cube pulled in by 0.1: any two are at least 0.8 apart.
CUBE_COLOURS = np.array([[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0],
                         [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]]) * 0.8 + 0.1


def flat_colour_image(n_colours, seed=0, size=48, noise=0.04):
    """Equal vertical stripes of n flat colours plus Gaussian noise: the answer is k = n."""
    rng = np.random.default_rng(seed)
    stripe = np.arange(size) * n_colours // size  # (size,) stripe of each column
    truth = np.broadcast_to(stripe, (size, size))
    image = CUBE_COLOURS[:n_colours][truth] + rng.normal(scale=noise, size=(size, size, 3))
    return np.clip(image, 0, 1).astype(np.float32)


def colour_features(image):
    return extract_features(image, FeatureSpec.from_weights("rgb", position_weight=0)).values


@pytest.fixture(scope="module")
def curves():
    # The default elbow curve (k = 2..12) of a 4-colour and a 6-colour image.
    return {n: elbow_curve(colour_features(flat_colour_image(n, seed=n)), seed=0) for n in (4, 6)}


@pytest.fixture(scope="module")
def photo_features():
    # Colour + position features of a small astronaut, a natural photo.
    image = working_image(load_sample("astronaut"), 48)
    return extract_features(image, FeatureSpec.from_weights("rgb", position_weight=0.3)).values


# --- silhouette and Calinski-Harabasz -------------------------------------------------


def test_silhouette_hand_computed_toy():
    # Two pairs on a line: row 0 has a = 1, b = 10.5, s = 9.5/10.5; row 1 a = 1, b = 9.5.
    expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
    assert silhouette_score([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_silhouette_and_ch_match_scikit_learn_on_random_data(seed):
    # Oracle: arbitrary label values, offsets and scales, 2 to 7 clusters, singletons possible.
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4)) * rng.uniform(0.1, 50) + rng.uniform(-1e3, 1e3)
    labels = rng.integers(0, rng.integers(2, 8), size=300) * 7 + 3
    labels[0] = 999  # a singleton cluster: silhouette 0 for that row
    assert silhouette_score(X, labels) == pytest.approx(sk_silhouette(X, labels), abs=1e-6)
    assert calinski_harabasz_score(X, labels) == pytest.approx(
        sk_calinski_harabasz(X, labels), rel=1e-9)


def test_silhouette_matches_scikit_learn_on_a_sample_of_image_pixels(photo_features):
    # Oracle on what the page computes: k-means labels of 1000 sampled pixels.
    curve = elbow_curve(photo_features, ks=[3, 5], n_init=1, seed=1, sample_size=1000)
    rows = curve.sample_rows
    for value, labels in zip(curve.silhouettes, curve.labels):
        oracle = sk_silhouette(photo_features[rows], labels[rows])
        assert value == pytest.approx(oracle, abs=1e-6)


def test_ch_is_one_when_clusters_are_points():
    # scikit-learn's convention: no spread within clusters gives 1.0.
    assert calinski_harabasz_score([[0.0], [0.0], [1.0], [2.0]], [0, 0, 1, 2]) == 1.0


def test_criteria_refuse_a_single_cluster_and_wrong_shapes():
    # Errors name the rule and the value.
    with pytest.raises(ValueError, match="labels has 1 distinct values"):
        silhouette_score([[0.0], [1.0], [2.0]], [4, 4, 4])
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        calinski_harabasz_score([[0.0], [1.0], [2.0]], [0, 1])
    with pytest.raises(ValueError, match="labels must hold integers"):
        silhouette_score([[0.0], [1.0], [2.0]], [0.0, 1.0, 1.0])


# --- the elbow curve ------------------------------------------------------------------


@pytest.mark.parametrize("n_colours", [4, 6])
def test_inertia_never_increases_with_k(curves, n_colours):
    # The invariant of the curve: with best-of-N plus the warm start, inertia(k+1) <= inertia(k).
    inertias = curves[n_colours].inertias
    assert np.all(np.diff(inertias) <= 0)


def test_inertia_never_increases_on_a_photo_even_with_one_start(photo_features):
    # The warm start, not luck: with n_init=1 and several seeds the curve still never rises.
    for seed in range(2):
        curve = elbow_curve(photo_features, ks=range(2, 9), n_init=1, seed=seed)
        assert np.all(np.diff(curve.inertias) <= 0)


@pytest.mark.parametrize("n_colours", [4, 6])
def test_suggested_elbow_is_the_number_of_flat_colours(curves, n_colours):
    # Known answer: n flat colours plus noise have their elbow at k = n.
    suggestion = curves[n_colours].suggestion()
    assert suggestion.k == n_colours
    assert suggestion.ks[suggestion.index] == n_colours


@pytest.mark.parametrize("n_colours", [4, 6])
def test_silhouette_and_ch_peak_at_the_number_of_colours(curves, n_colours):
    # The criteria that do not always fall: both are highest at the true k, then drop.
    curve = curves[n_colours]
    assert curve.ks[int(np.nanargmax(curve.silhouettes))] == n_colours
    assert curve.ks[int(np.nanargmax(curve.calinski_harabasz))] == n_colours
    assert curve.silhouettes[-1] < curve.silhouettes[n_colours - 2]


def test_curve_results_are_truthful_and_read_only(curves):
    # Each k's labels are the nearest-centre labels of its centres; arrays cannot be changed.
    curve = curves[4]
    image_rows = colour_features(flat_colour_image(4, seed=4))
    for k, labels, centers in zip(curve.ks, curve.labels, curve.centers):
        assert centers.shape == (k, 3)
        np.testing.assert_array_equal(labels, assign_reference(image_rows, centers))
    for array in (curve.inertias, curve.silhouettes, curve.calinski_harabasz, curve.sample_rows):
        assert not array.flags.writeable


def test_curve_is_deterministic_and_reports_progress(photo_features):
    # Same seed, same curve; progress rises to exactly 1 once per k.
    seen = []
    first = elbow_curve(photo_features, ks=[2, 3, 4], n_init=2, seed=7, progress=seen.append)
    second = elbow_curve(photo_features, ks=[2, 3, 4], n_init=2, seed=7)
    np.testing.assert_array_equal(first.inertias, second.inertias)
    np.testing.assert_array_equal(first.sample_rows, second.sample_rows)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_silhouette_sample_is_fixed_and_sized(photo_features):
    # One sample of rows, sorted and distinct, of the requested size (all rows if fewer).
    curve = elbow_curve(photo_features, ks=[2, 3], n_init=1, seed=0, sample_size=200)
    assert curve.sample_rows.size == 200 and np.all(np.diff(curve.sample_rows) > 0)
    small = elbow_curve(photo_features[:50], ks=[2, 3], n_init=1, seed=0, sample_size=200)
    np.testing.assert_array_equal(small.sample_rows, np.arange(50))


def test_k_of_one_has_no_silhouette():
    # A single cluster has no silhouette or CH: NaN, not an error.
    curve = elbow_curve([[0.0], [1.0], [5.0], [6.0]], ks=[1, 2], seed=0)
    assert np.isnan(curve.silhouettes[0]) and np.isnan(curve.calinski_harabasz[0])
    assert curve.inertias.tolist() == pytest.approx([26.0, 1.0])


@pytest.mark.parametrize("ks, message", [
    ([], "at least one"),
    ([3, 2], "strictly increasing"),
    ([0, 2], "ks=0 must be >= 1"),
])
def test_elbow_curve_rejects_bad_ks(ks, message):
    # Errors that name ks and the rule.
    with pytest.raises(ValueError, match=message):
        elbow_curve([[0.0], [1.0], [2.0]], ks=ks)


# --- the elbow ------------------------------------------------------------------------


def test_suggest_elbow_hand_computed():
    # x = (0, .25, .5, .75, 1), y = (I - 6) / 94; distance (1 - x - y) / sqrt 2 is largest at k = 3.
    suggestion = suggest_elbow([1, 2, 3, 4, 5], [100.0, 40.0, 10.0, 8.0, 6.0])
    y = (np.array([100.0, 40.0, 10.0, 8.0, 6.0]) - 6) / 94
    expected = (1 - np.array([0, 0.25, 0.5, 0.75, 1]) - y) / np.sqrt(2)
    np.testing.assert_allclose(suggestion.distances, expected)
    assert (suggestion.k, suggestion.index) == (3, 2)
    assert suggestion.chord == ((1.0, 100.0), (5.0, 6.0))


def test_suggest_elbow_on_a_straight_line_picks_the_first():
    # No bend: every distance is 0 and the first k wins the tie.
    suggestion = suggest_elbow([2, 3, 4], [3.0, 2.0, 1.0])
    np.testing.assert_allclose(suggestion.distances, 0.0, atol=1e-15)
    assert suggestion.k == 2


@pytest.mark.parametrize("ks, inertias, message", [
    ([2, 3], [2.0, 1.0], "at least 3 values of k"),
    ([2, 3, 4], [2.0, 1.0], "one value per k"),
    ([2, 3, 4], [1.0, 2.0, 3.0], "must fall"),
    ([2, 3, 4], [3.0, np.nan, 1.0], "finite"),
])
def test_suggest_elbow_rejects_curves_without_an_elbow(ks, inertias, message):
    # Errors that say what an elbow needs.
    with pytest.raises(ValueError, match=message):
        suggest_elbow(ks, inertias)


def test_working_image_fits_the_working_size():
    # The helper keeps the aspect ratio and never enlarges.
    photo = load_sample("astronaut")
    assert working_image(photo).shape == (WORKING_MAX_SIDE, WORKING_MAX_SIDE, 3)
    assert working_image(photo[:100, :50]).shape == (100, 50, 3)
