"""Tests of segmentation/learning.py: the pixel classifier trained on strokes, example strokes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from segmentation.choosing_k import working_image
from segmentation.learning import (
    Scribble,
    example_scribbles,
    rasterize_scribbles,
    train_pixel_classifier,
)
from segmentation.samples import load_ground_truth, load_sample
from segmentation.visualize import resize_labels


@pytest.fixture
def two_halves() -> tuple[np.ndarray, np.ndarray]:
    """A 60 x 80 picture, left half noisy red, right half noisy blue, and its truth (1, 2)."""
    rng = np.random.default_rng(3)
    truth = np.ones((60, 80), dtype=np.int64)
    truth[:, 40:] = 2
    colors = np.array([[0, 0, 0], [200, 40, 40], [40, 60, 200]], dtype=np.float64)
    image = colors[truth] + rng.normal(scale=25, size=truth.shape + (3,))
    return np.clip(np.round(image), 0, 255).astype(np.uint8), truth


@pytest.fixture
def few_strokes() -> np.ndarray:
    """Two short vertical strokes, one in each half of the 60 x 80 picture (20 px each)."""
    strokes = np.zeros((60, 80), dtype=np.int64)
    strokes[20:40, 10] = 1
    strokes[20:40, 70] = 2
    return strokes


def test_two_halves_learned_from_two_strokes(two_halves, few_strokes):
    # 40 painted pixels of 4,800 are enough to label at least 95 % of the pixels right.
    image, truth = two_halves
    result = train_pixel_classifier(image, few_strokes, n_estimators=20)
    assert result.classes == (1, 2) and result.n_classes == 2
    assert result.n_training_pixels == 40
    assert (result.labels == truth).mean() >= 0.95
    assert result.labels.shape == truth.shape and not result.labels.flags.writeable
    assert result.seconds == pytest.approx(result.feature_seconds + result.fit_seconds
                                           + result.predict_seconds)
    assert result.seconds > 0 and result.n_features > 3


def test_shapes_sample_learned_from_example_strokes():
    # The shapes sample at teaching size, classes sand / disc (both) / square / triangle:
    # the example scribbles (about 2 % of the pixels) teach >= 95 % of the pixels right.
    image = working_image(load_sample("shapes"))
    truth = resize_labels(load_ground_truth("shapes"), image.shape[:2])
    classes = [[0], [1, 2], [3], [4]]
    strokes = rasterize_scribbles(example_scribbles(truth, classes, seed=0), image.shape[:2])
    assert np.count_nonzero(strokes) < 0.05 * strokes.size
    as_classes = np.array([1, 2, 2, 3, 4])[truth]
    result = train_pixel_classifier(image, strokes, seed=0)
    assert result.classes == (1, 2, 3, 4)
    assert (result.labels == as_classes).mean() >= 0.95


def test_same_input_same_prediction(two_halves, few_strokes):
    # Fixed random_state and one thread: two trainings give identical labels.
    image, _ = two_halves
    first = train_pixel_classifier(image, few_strokes, n_estimators=15, seed=7)
    second = train_pixel_classifier(image, few_strokes, n_estimators=15, seed=7)
    np.testing.assert_array_equal(first.labels, second.labels)


def test_class_numbers_are_kept(two_halves, few_strokes):
    # Classes painted as 2 and 5 come back as 2 and 5 (the page colours them by number).
    image, truth = two_halves
    strokes = np.where(few_strokes == 1, 2, np.where(few_strokes == 2, 5, 0))
    result = train_pixel_classifier(image, strokes, n_estimators=10)
    assert result.classes == (2, 5)
    assert set(np.unique(result.labels).tolist()) <= {2, 5}


@pytest.mark.parametrize("strokes, message", [
    (np.zeros((60, 80), dtype=int), "nothing is painted"),
    (np.pad(np.ones((10, 10), dtype=int), ((0, 50), (0, 70))), "only class 1 is painted"),
])
def test_fewer_than_two_classes_is_a_clear_error(two_halves, strokes, message):
    image, _ = two_halves
    with pytest.raises(ValueError, match=f"at least 2 classes.*{message}"):
        train_pixel_classifier(image, strokes)


def test_strokes_of_the_wrong_shape_name_both_shapes(two_halves, few_strokes):
    image, _ = two_halves
    with pytest.raises(ValueError, match=r"strokes must have shape \(60, 80\).*\(60, 79\)"):
        train_pixel_classifier(image, few_strokes[:, :79])


@pytest.mark.parametrize("kwargs, message", [
    ({"sigma_min": 0.0}, "sigma_min=0"),
    ({"sigma_min": 4.0, "sigma_max": 2.0}, "sigma_max=2 must be at least sigma_min=4"),
    ({"n_estimators": 0}, "n_estimators=0"),
    ({"n_estimators": 1000}, "n_estimators=1000"),
])
def test_parameters_out_of_range_are_named(two_halves, few_strokes, kwargs, message):
    image, _ = two_halves
    with pytest.raises(ValueError, match=message):
        train_pixel_classifier(image, few_strokes, **kwargs)


def test_negative_or_float_strokes_are_rejected(two_halves, few_strokes):
    image, _ = two_halves
    with pytest.raises(ValueError, match="non-negative"):
        train_pixel_classifier(image, -few_strokes)
    with pytest.raises(ValueError, match="integers"):
        train_pixel_classifier(image, few_strokes.astype(float))


def test_importing_the_package_does_not_load_scikit_learn():
    # A fresh interpreter: `import segmentation, segmentation.learning` leaves sklearn
    # (and skimage.future, which would pull it in) unloaded until a classifier is trained.
    code = ("import sys, segmentation, segmentation.learning; "
            "print('sklearn' in sys.modules, 'skimage.future' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert output == ["False", "False"]


# --------------------------------------------------------------------------- #
# Example scribbles
# --------------------------------------------------------------------------- #
def test_scribbles_stay_inside_their_class_and_reach_every_region():
    # Classes: background, and both discs as one class. Each disc gets a scribble, and
    # every vertex lies inside the class that scribble paints.
    image = working_image(load_sample("shapes"))
    truth = resize_labels(load_ground_truth("shapes"), image.shape[:2])
    classes = [[0, 3, 4], [1, 2]]
    scribbles = example_scribbles(truth, classes, seed=0)
    as_classes = np.array([1, 2, 2, 1, 1])[truth]
    for scribble in scribbles:
        assert len(scribble.points) >= 2
        assert all(as_classes[r, c] == scribble.label for r, c in scribble.points)
    disc_truths = {int(truth[s.points[0]]) for s in scribbles if s.label == 2}
    assert disc_truths == {1, 2}
    # Painted with a 1 px brush radius, the strokes stay inside their class too.
    strokes = rasterize_scribbles(scribbles, truth.shape)
    painted = strokes > 0
    assert (strokes[painted] == as_classes[painted]).all()


def test_scribbles_are_deterministic():
    truth = np.zeros((50, 50), dtype=int)
    truth[10:40, 10:40] = 1
    assert example_scribbles(truth, seed=4) == example_scribbles(truth, seed=4)
    assert example_scribbles(truth, seed=4) != example_scribbles(truth, seed=5)


def test_scribble_classes_must_cover_the_truth():
    truth = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match=r"misses the truth values \[2\]"):
        example_scribbles(truth, [[0], [1]])
    with pytest.raises(ValueError, match="twice"):
        example_scribbles(truth, [[0, 1], [1, 2]])


def test_rasterize_paints_lines_and_rejects_points_outside():
    strokes = rasterize_scribbles([Scribble(1, ((0, 0), (2, 2))), Scribble(3, ((2, 0),))],
                                  (3, 3), radius=0)
    np.testing.assert_array_equal(strokes, [[1, 0, 0], [0, 1, 0], [3, 0, 1]])
    with pytest.raises(ValueError, match="leaves the image"):
        rasterize_scribbles([Scribble(1, ((0, 0), (3, 0)))], (3, 3))
