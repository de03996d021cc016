"""Tests for segmentation.stability: ARI, stability across starts and similar images, k-means++ steps."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation import FeatureSpec, SegmentParams, extract_features
from segmentation.choosing_k import working_image
from segmentation.kmeans import kmeans, kmeans_plusplus
from segmentation.samples import load_sample
from segmentation.stability import (
    adjusted_rand_index,
    compare_starts,
    kmeanspp_steps,
    pairwise_stability,
    perturbations,
    stability_to_perturbations,
)


@pytest.fixture(scope="module")
def small_photo():
    # The default sample at 40 px: a natural photo, fast to segment many times.
    return working_image(load_sample("astronaut"), 40)


@pytest.fixture(scope="module")
def photo_features(small_photo):
    return extract_features(small_photo, FeatureSpec.from_weights("rgb", position_weight=0.3)).values


@pytest.fixture(scope="module")
def starts(photo_features):
    # 6 seeds of each init, k = 4, on the small photo.
    return compare_starts(photo_features, 4, n_seeds=6, seed=3)


# --- adjusted Rand index --------------------------------------------------------------


def test_ari_of_a_labeling_with_itself_is_one(photo_features):
    # A run compared with itself agrees on every pair.
    labels = kmeans(photo_features, 5, seed=0).labels
    assert adjusted_rand_index(labels, labels) == 1.0


def test_ari_ignores_label_names():
    # Permuting the label values (and using other integers) changes nothing.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=(30, 40))
    permuted = np.array([7, 3, 11, 0, 2])[labels]
    assert adjusted_rand_index(labels, permuted) == 1.0


def test_ari_hand_computed_toy():
    # [0,0,1,1] vs [0,1,0,1]: no pair together in both; index 0, expected 1/3, max 1 -> -0.5.
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5


@pytest.mark.parametrize("seed", range(6))
def test_ari_matches_scikit_learn(seed):
    # Oracle: random labelings with related and unrelated structure, 1 to 9 labels.
    rng = np.random.default_rng(seed)
    a = rng.integers(0, rng.integers(1, 10), size=500)
    b = np.where(rng.random(500) < 0.6, a, rng.integers(0, rng.integers(1, 10), size=500))
    value = adjusted_rand_index(a, b)
    assert value == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert -1.0 <= value <= 1.0


def test_ari_with_negative_and_huge_label_values_matches_scikit_learn():
    # The compacting path (labels that cannot index a small table) gives the same ARI.
    rng = np.random.default_rng(1)
    a = rng.integers(-5, 5, size=400)
    b = np.where(rng.random(400) < 0.5, a * 10**9, rng.integers(0, 3, size=400))
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_ari_of_trivial_partitions_is_one():
    # One segment each (denominator 0): defined as 1, as in scikit-learn.
    assert adjusted_rand_index([[3, 3], [3, 3]], [[0, 0], [0, 0]]) == 1.0


@pytest.mark.parametrize("a, b, message", [
    ([0, 1], [0, 1, 1], "same shape"),
    ([], [], "at least one"),
    ([0.0, 1.0], [0, 1], "labels_a must hold integers"),
])
def test_ari_errors_name_the_argument(a, b, message):
    # Bad input is refused with the rule and the value.
    with pytest.raises(ValueError, match=message):
        adjusted_rand_index(np.array(a), np.array(b))


def test_pairwise_stability_matrix_and_summary():
    # Symmetric, 1 on the diagonal, summary over the distinct pairs only.
    runs = [[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]]
    result = pairwise_stability(runs)
    np.testing.assert_array_equal(result.ari, result.ari.T)
    np.testing.assert_array_equal(np.diag(result.ari), 1.0)
    assert (result.mean, result.min, result.max, result.n_pairs) == (0.0, -0.5, 1.0, 3)
    assert not result.ari.flags.writeable
    with pytest.raises(ValueError, match="at least 2 labelings, got 1"):
        pairwise_stability(runs[:1])


# --- similar images -------------------------------------------------------------------


def test_perturbations_are_small_and_deterministic(small_photo):
    # Noise of the requested size, an exact brightness step, the same copies for the same seed.
    noise, brighter, shifted = perturbations(small_photo, seed=1, noise_sigma=0.03, brightness=0.08)
    again = perturbations(small_photo, seed=1, noise_sigma=0.03, brightness=0.08)
    np.testing.assert_array_equal(noise.image, again[0].image)
    for perturbation in (noise, brighter, shifted):
        assert perturbation.image.shape == small_photo.shape
        assert perturbation.image.dtype == np.uint8 and not perturbation.image.flags.writeable
    difference = noise.image.astype(float) - small_photo
    unclipped = (small_photo > 30) & (small_photo < 225)
    assert np.std(difference[unclipped]) == pytest.approx(0.03 * 255, rel=0.15)
    room = small_photo <= 255 - 21  # where +0.08 * 255 = 20.4 is not clipped
    step = brighter.image.astype(int) - small_photo
    assert set(np.unique(step[room]).tolist()) <= {20, 21}


def test_shift_regions_line_up_exactly(small_photo):
    # The overlap of the shifted copy is the original, pixel for pixel.
    shifted = perturbations(small_photo, shift_fraction=0.05)[2]
    np.testing.assert_array_equal(shifted.image[shifted.perturbed_region],
                                  small_photo[shifted.original_region])
    rows, cols = shifted.perturbed_region
    assert (rows.start, cols.start) == (2, 2)  # 5 % of 40 pixels


@pytest.mark.parametrize("keyword, value, message", [
    ("noise_sigma", -0.1, "noise_sigma=-0.1 must be >= 0"),
    ("brightness", 2.0, "brightness=2 must be between -1.0 and 1.0"),
    ("shift_fraction", 0.5, "shift_fraction=0.5 must be below 0.5"),
])
def test_perturbations_reject_bad_amounts(small_photo, keyword, value, message):
    # Errors name the amount and its rule.
    with pytest.raises(ValueError, match=message):
        perturbations(small_photo, **{keyword: value})


def test_flat_regions_are_stable_to_perturbations():
    # Known answer: two flat halves split the same way after noise, brightness and shift.
    image = np.zeros((24, 30, 3), dtype=np.uint8)
    image[:, 15:] = (200, 120, 40)
    image[:, :15] = (30, 60, 90)
    seen = []
    result = stability_to_perturbations(image, SegmentParams(k=2, position_weight=0),
                                        progress=seen.append)
    assert result.ari == (1.0, 1.0, 1.0)
    assert seen == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert [labels.shape for labels in result.perturbed_labels] == [(24, 30)] * 3


def test_photo_stability_numbers_are_bounded(small_photo):
    # On a photo every ARI is a number in [-1, 1], and a little noise keeps most pairs.
    result = stability_to_perturbations(small_photo, SegmentParams(k=4), seed=0)
    assert all(-1.0 <= value <= 1.0 for value in result.ari)
    assert result.ari[0] > 0.5
    with pytest.raises(TypeError, match="params must be a SegmentParams"):
        stability_to_perturbations(small_photo, {"k": 4})


# --- many starts ----------------------------------------------------------------------


def test_compare_starts_runs_every_seed_of_every_init(starts):
    # 6 seeds x 2 inits, seeds seed..seed+5, grouped by init.
    assert starts.seeds == (3, 4, 5, 6, 7, 8)
    assert [run.init for run in starts.runs] == ["k-means++"] * 6 + ["random"] * 6
    assert starts.best_inertia == min(run.inertia for run in starts.runs)
    for init in starts.inits:
        assert starts.best(init).inertia <= starts.worst(init).inertia
        assert 0.0 <= starts.good_fraction(init) <= 1.0
    assert max(starts.good_fraction(init) for init in starts.inits) > 0  # the best run counts


def test_compare_starts_runs_can_be_repeated_alone(starts, photo_features):
    # Run i of an init is exactly kmeans(X, k, init=..., seed=seed + i).
    run = starts.runs_of("random")[2]
    again = kmeans(photo_features, 4, init="random", seed=run.seed)
    assert again.inertia == run.inertia and again.iteration == run.n_iter
    np.testing.assert_array_equal(again.labels, run.labels)


def test_stability_across_starts_is_bounded(starts):
    # Pairwise ARI between runs is in [-1, 1], with the summary inside its range.
    for init in starts.inits:
        stability = starts.stability(init)
        assert -1.0 <= stability.min <= stability.mean <= stability.max <= 1.0
        assert stability.n_pairs == 15


def test_compare_starts_reports_progress_and_checks_inits(photo_features):
    # One progress call per run, ending at 1; an unknown init is named.
    seen = []
    compare_starts(photo_features, 3, n_seeds=2, inits=["random"], progress=seen.append)
    assert seen == pytest.approx([0.5, 1.0])
    with pytest.raises(ValueError, match="inits='forgy' must be one of"):
        compare_starts(photo_features, 3, inits=["forgy"])


# --- k-means++ step by step ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_kmeanspp_steps_make_the_same_picks_as_kmeans_plusplus(photo_features, seed):
    # Consistency: the picks are those of kmeans_plusplus with n_local_trials=1.
    steps = kmeanspp_steps(photo_features, 6, seed=seed)
    expected = kmeans_plusplus(photo_features, 6, seed=seed, n_local_trials=1)
    np.testing.assert_array_equal(steps.centers, expected)
    np.testing.assert_array_equal(photo_features[list(steps.rows)], expected)


def test_kmeanspp_probabilities_are_the_d2_rule(photo_features):
    # Each row sums to 1; pick j had a positive chance; picks already made have none.
    steps = kmeanspp_steps(photo_features, 5, seed=1)
    np.testing.assert_allclose(steps.probabilities.sum(axis=1), 1.0)
    for j, row in enumerate(steps.rows):
        assert steps.probabilities[j, row] > 0
        assert np.all(steps.probabilities[j, list(steps.rows[:j])] == 0)
    assert not steps.probabilities.flags.writeable


def test_kmeanspp_steps_hand_computed_with_weights():
    # Rows 0, 1, 3 on a line, weights 1, 1, 2: pick 0 by weight; then w D² from the pick.
    steps = kmeanspp_steps([[0.0], [1.0], [3.0]], 2, seed=0, sample_weight=[1, 1, 2])
    np.testing.assert_allclose(steps.probabilities[0], [0.25, 0.25, 0.5])
    first = steps.rows[0]
    d2 = (np.array([0.0, 1.0, 3.0]) - [0.0, 1.0, 3.0][first]) ** 2 * [1, 1, 2]
    np.testing.assert_allclose(steps.probabilities[1], d2 / d2.sum())
