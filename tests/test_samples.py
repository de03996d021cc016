"""Tests for segmentation.samples: the gallery and the synthetic ground truth."""

import numpy as np
import pytest

from segmentation import samples
from segmentation.samples import (
    DEFAULT_SAMPLE,
    SAMPLE_GROUPS,
    SAMPLES,
    get_sample,
    load_ground_truth,
    load_sample,
)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.key)
def test_every_sample_loads_offline_as_rgb_uint8(sample):
    # Each gallery image loads without network as (H, W, 3) uint8.
    image = load_sample(sample.key)
    assert image.ndim == 3 and image.shape[2] == 3
    assert image.dtype == np.uint8
    assert min(image.shape[:2]) >= 100
    assert sample.group in SAMPLE_GROUPS


def test_gallery_covers_every_group_with_enough_samples():
    # At least 6 samples and every application area has one; keys are unique.
    assert len(SAMPLES) >= 6
    assert {s.group for s in SAMPLES} == set(SAMPLE_GROUPS)
    assert len({s.key for s in SAMPLES}) == len(SAMPLES)
    assert get_sample(DEFAULT_SAMPLE).key == DEFAULT_SAMPLE


@pytest.mark.parametrize("key", list(samples.SYNTHETIC))
def test_stored_synthetic_assets_match_their_generator(key):
    # assets/*.png are exactly what assets/make_synthetic.py makes.
    image, truth = samples.SYNTHETIC[key]()
    np.testing.assert_array_equal(load_sample(key), image)
    np.testing.assert_array_equal(load_ground_truth(key), truth)


def test_shapes_truth_has_two_separate_same_colour_discs():
    # The lesson of 'shapes': regions 1 and 2 share a colour but are far apart.
    image, truth = samples.synthetic_shapes()
    left = image[truth == 1].mean(axis=0)
    right = image[truth == 2].mean(axis=0)
    np.testing.assert_allclose(left, right, atol=2.0)
    left_cols = np.nonzero(truth == 1)[1]
    right_cols = np.nonzero(truth == 2)[1]
    assert right_cols.min() - left_cols.max() > 100


def test_photos_have_no_ground_truth():
    assert load_ground_truth("astronaut") is None


def test_unknown_sample_names_the_choices():
    # A typo in a URL or a call lists the valid names.
    with pytest.raises(ValueError, match="sample='astronot' is not a sample image; choose one of astronaut"):
        load_sample("astronot")


@pytest.fixture(scope="module")
def stuck_starts():
    # k-means with k = 8 from 20 seeds, k-means++ and random, on the stored
    # 'stuck' image in RGB colour only (the sample's "try this" settings).
    from segmentation import FeatureSpec, extract_features
    from segmentation.stability import compare_starts

    features = extract_features(load_sample("stuck"), FeatureSpec.from_weights("rgb", position_weight=0))
    return compare_starts(features.values, 8, n_seeds=20, seed=0)


def test_stuck_sample_is_in_the_synthetic_group_with_its_try_this():
    # The gallery entry points at the lesson: synthetic, with truth, k=8 RGB without position.
    sample = get_sample("stuck")
    assert sample.group == "Synthetic with ground truth" and sample.has_truth
    assert sample.try_this == {"k": 8, "color": "rgb", "position": False}
    assert np.unique(load_ground_truth("stuck")).tolist() == list(range(8))


def test_stuck_balloons_are_small_and_the_background_is_big():
    # Six equal balloons under 1.5 % of the pixels each; sky and field hold the rest.
    truth = load_ground_truth("stuck")
    fractions = np.bincount(truth.ravel()) / truth.size
    assert np.ptp(fractions[2:]) == 0 and fractions[2] < 0.015
    assert fractions[:2].sum() > 0.9


def test_stuck_kmeanspp_reaches_the_good_minimum_and_random_starts_do_not(stuck_starts):
    # The lesson of 'stuck': over 20 seeds, k-means++ ends within 1 % of the best
    # inertia in at least 80 % of runs; random starts in at most 50 %.
    assert stuck_starts.good_fraction("k-means++", 0.01) >= 0.8
    assert stuck_starts.good_fraction("random", 0.01) <= 0.5


def test_stuck_good_minimum_is_one_segment_per_colour(stuck_starts):
    # The best run recovers the ground truth exactly (ARI 1): it is the right answer,
    # and a random start's worst run is clearly worse (ARI well below 1).
    from segmentation.stability import adjusted_rand_index

    truth = load_ground_truth("stuck").ravel()
    assert adjusted_rand_index(stuck_starts.best("k-means++").labels, truth) == pytest.approx(1.0)
    assert adjusted_rand_index(stuck_starts.worst("random").labels, truth) < 0.99
    assert stuck_starts.worst("random").inertia > 1.5 * stuck_starts.best_inertia
