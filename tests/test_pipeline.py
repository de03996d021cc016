"""Tests for segmentation.pipeline: segment() end to end on images with known answers."""

import numpy as np
import pytest
from skimage import data

from segmentation import FeatureSpec, compare_to_ground_truth, segment
from segmentation.samples import synthetic_shapes


@pytest.fixture(scope="module")
def two_colour_image() -> np.ndarray:
    """A 40 x 60 image: dark red on the left, light blue on the right."""
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    image[:, :25] = (120, 20, 20)
    image[:, 25:] = (150, 200, 250)
    return image


@pytest.fixture(scope="module")
def shapes():
    return synthetic_shapes()


def test_two_flat_colours_split_perfectly(two_colour_image):
    # Two flat colours, k=2: a perfect split, darker region labelled 0.
    result = segment(two_colour_image, k=2, position_weight=0)
    expected = np.zeros((40, 60), dtype=int)
    expected[:, 25:] = 1
    np.testing.assert_array_equal(result.labels, expected)
    assert [s.pixel_count for s in result.statistics] == [40 * 25, 40 * 35]
    # Zero up to float32 rounding of ||x||² - 2x·c + ||c||² (~1e-7 per pixel);
    # a wrong split would cost about 0.5 per pixel.
    assert result.inertia < 1e-6 * result.labels.size
    assert result.converged


def test_position_weight_separates_same_colour_regions(shapes):
    # Colour only: the two blue discs share one segment. With position, they split.
    image, truth = shapes
    left, right = truth == 1, truth == 2
    colour_only = segment(image, k=4, position_weight=0, seed=0).labels
    assert np.bincount(colour_only[left]).argmax() == np.bincount(colour_only[right]).argmax()
    with_position = segment(image, k=5, color="lab", position_weight=0.3, seed=0).labels
    assert np.bincount(with_position[left]).argmax() != np.bincount(with_position[right]).argmax()


def test_shapes_are_recovered_with_position(shapes):
    # With Lab colour + a moderate position weight the five regions are found
    # almost exactly; colour alone cannot reach that with any k.
    image, truth = shapes
    result = segment(image, k=5, color="lab", position_weight=0.3, seed=0)
    assert compare_to_ground_truth(result.labels, truth).mean_best_iou > 0.95
    colour_only = segment(image, k=5, color="lab", position_weight=0, seed=0)
    assert compare_to_ground_truth(colour_only.labels, truth).mean_best_iou < 0.8


def test_segments_are_numbered_dark_to_bright_in_every_state():
    # Renumbering: final segment brightness increases with the label, and every
    # state uses the same numbering (labels of the last state == result.labels).
    image = data.coffee()[::4, ::4]
    result = segment(image, k=5, seed=0)
    luma = np.array([s.mean_color for s in result.statistics]) @ [0.299, 0.587, 0.114]
    assert np.all(np.diff(luma) > 0)
    np.testing.assert_array_equal(result.labels_at(result.n_iter), result.labels)
    assert len(result.states) == result.n_iter + 1
    # The renumbered states are still truthful: each state's centres reproduce its labels.
    from segmentation.features import extract_features
    X = extract_features(image, result.spec).values.astype(np.float64)
    for state in result.states:
        sq = ((X[:, None, :] - state.centers[None]) ** 2).sum(axis=2)
        chosen = sq[np.arange(len(X)), state.labels]
        assert np.all(chosen <= sq.min(axis=1) + 1e-5)


def test_same_seed_same_labels_different_seed_may_differ():
    # Determinism: identical parameters and seed give identical label images.
    image = data.astronaut()[::8, ::8]
    a = segment(image, k=6, seed=3)
    b = segment(image, k=6, seed=3)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_spec_replaces_feature_keywords(two_colour_image):
    # Passing spec= uses it, whatever the feature keywords say.
    spec = FeatureSpec(color="lab", position=True, position_weight=0.5)
    result = segment(two_colour_image, k=2, color="gray", spec=spec)
    assert result.spec == spec
    assert result.feature_names == ("L", "a", "b", "row", "col")
    assert result.states[-1].centers.shape == (2, 5)


def test_grayscale_and_float_input(two_colour_image):
    # A (H, W) float image in [0, 1] works with every colour choice.
    gray = two_colour_image.mean(axis=2) / 255
    for color in ("gray", "rgb", "hsv", "lab"):
        assert segment(gray, k=2, color=color, position_weight=0).labels.shape == (40, 60)


def test_labels_at_validates_iteration(two_colour_image):
    result = segment(two_colour_image, k=2)
    with pytest.raises(ValueError, match="iteration=99"):
        result.labels_at(99)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 3, "position_weight": 0}, "k=3 is more segments than this image has different pixels"),
        ({"k": 0}, "k=0"),
        ({"color": "cmyk"}, "color='cmyk'"),
        ({"color": "none", "position_weight": 0}, "Select at least one feature"),
        ({"position_weight": -1}, "position_weight=-1"),
    ],
)
def test_bad_parameters_give_clear_errors(two_colour_image, kwargs, message):
    # Every bad parameter is a ValueError that says what is wrong.
    with pytest.raises(ValueError, match=message):
        segment(two_colour_image, **kwargs)


def test_bad_images_give_clear_errors():
    with pytest.raises(ValueError, match=r"shape \(H, W\) or \(H, W, 3\)"):
        segment(np.zeros((4, 4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        segment(np.full((4, 4), 2.0))
