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
