"""Tests for segmentation.pipeline: segment() end to end on images with known answers."""

import pickle

import numpy as np
import pytest
from skimage import data

from segmentation import (
    FeatureSpec,
    TooFewDistinctPixelsError,
    TooFewDistinctPointsError,
    compare_to_ground_truth,
    extract_features,
    kmeans_plusplus,
    pipeline,
    segment,
)
from segmentation._validation import check_image
from segmentation.samples import load_sample, synthetic_shapes


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
    # Colour only: the two blue discs share one segment, whatever the seed.
    # With a strong position weight (and k=6: the large background takes two
    # segments, which lowers the inertia more than splitting the discs) they
    # are in different segments for every seed.
    image, truth = shapes
    left, right = truth == 1, truth == 2
    for seed in range(4):
        colour_only = segment(image, k=6, color="lab", position_weight=0, seed=seed).labels
        assert np.bincount(colour_only[left]).argmax() == np.bincount(colour_only[right]).argmax()
        with_position = segment(image, k=6, color="lab", position_weight=1.0, seed=seed).labels
        assert np.bincount(with_position[left]).argmax() != np.bincount(with_position[right]).argmax()


def test_shapes_with_position_match_the_truth_better_than_colour_alone(shapes):
    # Position makes the regions coherent: the ground-truth score rises.
    image, truth = shapes
    with_position = segment(image, k=6, color="lab", position_weight=1.0, seed=0)
    colour_only = segment(image, k=6, color="lab", position_weight=0, seed=0)
    assert (compare_to_ground_truth(with_position.labels, truth).mean_best_iou
            > compare_to_ground_truth(colour_only.labels, truth).mean_best_iou + 0.05)


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


# ---------------------------------------------------------------------------
# The distinct-colour path: colour-only features cluster each colour once,
# weighted by its pixel count. Every test below checks it against the plain
# all-pixel path or against an independent count.
# ---------------------------------------------------------------------------


@pytest.fixture
def all_pixel_path(monkeypatch):
    """A function running ``segment`` with the distinct-colour path switched off."""

    def run(*args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "_is_colour_only", lambda spec: False)
            return segment(*args, **kwargs)

    return run


@pytest.fixture
def kmeans_rows(monkeypatch):
    """Records the (rows, sample_weight) that segment() hands to k-means."""
    calls = []
    original = pipeline.kmeans_iter

    def spy(X, k, **kwargs):
        calls.append((np.asarray(X), kwargs.get("sample_weight")))
        return original(X, k, **kwargs)

    monkeypatch.setattr(pipeline, "kmeans_iter", spy)
    return calls


def random_small_image() -> np.ndarray:
    """30 x 40 random RGB colours, with repeats (each drawn from 300)."""
    rng = np.random.default_rng(1)
    palette = rng.integers(0, 256, (300, 3), dtype=np.uint8)
    return palette[rng.integers(0, 300, (30, 40))]


@pytest.mark.parametrize(
    ("image_name", "color", "k"),
    [("astronaut", "rgb", 5), ("astronaut", "lab", 4), ("coffee", "hsv", 6),
     ("random", "rgb", 4), ("random", "lab", 5), ("coins", "gray", 4)],
)
def test_distinct_colour_path_equals_all_pixel_path(image_name, color, k, kmeans_rows,
                                                    all_pixel_path):
    # The invariant of _cluster_distinct_colours: from the same starting
    # centres, k-means on the weighted distinct colours is k-means on every
    # pixel: the same labels in every state, the same n_changed (in pixels),
    # the same inertia up to float rounding, the same statistics.
    image = random_small_image() if image_name == "random" else load_sample(image_name)
    if image_name == "coins":
        image = image[:, :, 0]  # a true (H, W) grayscale image
    spec = FeatureSpec(color=color)
    init = kmeans_plusplus(extract_features(image, spec).values, k, seed=0)
    fast = segment(image, k, spec=spec, init=init)
    rows, weights = kmeans_rows[0]
    assert weights is not None and weights.sum() == image.shape[0] * image.shape[1]
    assert len(rows) < image.shape[0] * image.shape[1]  # the fast path really ran
    plain = all_pixel_path(image, k, spec=spec, init=init)
    assert kmeans_rows[1][1] is None  # ... and the plain one on every pixel

    assert len(fast.states) == len(plain.states)
    for ours, reference in zip(fast.states, plain.states):
        np.testing.assert_array_equal(ours.labels, reference.labels)
        assert ours.n_changed == reference.n_changed
        assert ours.converged == reference.converged
        assert ours.inertia == pytest.approx(reference.inertia, rel=1e-6)
        np.testing.assert_allclose(ours.centers, reference.centers, rtol=1e-6, atol=1e-7)
    for ours, reference in zip(fast.statistics, plain.statistics):
        assert ours.pixel_count == reference.pixel_count
        assert ours.mean_color == reference.mean_color
        assert ours.centroid == pytest.approx(reference.centroid, rel=1e-9)
        assert ours.compactness == pytest.approx(reference.compactness, rel=1e-6)


def test_gray_level_image_is_at_most_256_rows(kmeans_rows):
    # An 8-bit grayscale image has at most 256 colours, so k-means sees at
    # most 256 weighted rows whatever its size; an RGB image with
    # color="gray" sees one row per distinct gray *value*.
    image = load_sample("coins")[:, :, 0]
    result = segment(image, k=3, color="gray", position_weight=0, seed=0)
    rows, weights = kmeans_rows[-1]
    assert rows.shape == (len(np.unique(image)), 1) and len(rows) <= 256
    assert weights.sum() == image.size
    photo = data.astronaut()[::4, ::4]
    segment(photo, k=3, color="gray", position_weight=0, seed=0)
    rows, weights = kmeans_rows[-1]
    gray = extract_features(photo, FeatureSpec(color="gray")).values
    assert len(rows) <= len(np.unique(gray))
    assert len(np.unique(rows)) == len(rows)  # equal gray values were merged
    assert weights.sum() == photo.shape[0] * photo.shape[1]
    assert result.labels.shape == image.shape


@pytest.mark.parametrize("gray", [False, True])
def test_distinct_colours_rebuild_the_image(gray):
    # colours[inverse] is the image, bit for bit; the colours and counts are
    # np.unique's (sorted by R, then G, then B); a float copy of the image
    # with exactly the 8-bit levels gives the same answer as the uint8 one.
    image = random_small_image()[:, :, 0] if gray else random_small_image()
    rgb = check_image(image)
    colours = pipeline._distinct_colours(image, rgb)
    np.testing.assert_array_equal(colours.rgb[colours.inverse], rgb.reshape(-1, 3))
    expected, expected_counts = np.unique(rgb.reshape(-1, 3), axis=0, return_counts=True)
    np.testing.assert_array_equal(colours.rgb, expected)
    np.testing.assert_array_equal(colours.counts, expected_counts)
    from_float = pipeline._distinct_colours(rgb, rgb)
    for got, want in zip(from_float, colours):
        np.testing.assert_array_equal(got, want)


def test_float_image_finer_than_8_bits_uses_all_pixel_path(kmeans_rows):
    # 0.5001 is not q / 255: no 8-bit key is exact, so every pixel is clustered.
    image = np.full((6, 8), 0.5001)
    image[:, 4:] = 0.25
    assert pipeline._distinct_colours(image, check_image(image)) is None
    result = segment(image, k=2, position_weight=0, seed=0)
    assert kmeans_rows[-1][1] is None and len(kmeans_rows[-1][0]) == 48
    assert [s.pixel_count for s in result.statistics] == [24, 24]


def test_distinct_colour_path_counts_changed_pixels():
    # n_changed of a weighted run counts rows; segment() recounts it in pixels.
    image = data.astronaut()[::4, ::4]
    result = segment(image, k=5, position_weight=0, seed=0)
    assert result.states[0].n_changed == image.shape[0] * image.shape[1]
    for before, after in zip(result.states, result.states[1:]):
        assert after.n_changed == np.count_nonzero(after.labels != before.labels)
        assert not after.labels.flags.writeable


def test_distinct_colour_path_is_deterministic():
    # Same image, parameters and seed: identical labels, states and inertia.
    image = data.coffee()[::2, ::2]
    a = segment(image, k=6, position_weight=0, seed=7)
    b = segment(image, k=6, position_weight=0, seed=7)
    assert len(a.states) == len(b.states)
    for state_a, state_b in zip(a.states, b.states):
        np.testing.assert_array_equal(state_a.labels, state_b.labels)
        assert state_a.inertia == state_b.inertia


@pytest.mark.parametrize("position_weight", [0, 0.3])
def test_too_few_distinct_pixels_is_a_specific_error(two_colour_image, position_weight):
    # k above the number of different pixels (in feature space) raises the
    # image-worded subclass, on both paths; it is still a ValueError and a
    # TooFewDistinctPointsError, and it survives pickling (for worker pools).
    image = two_colour_image[:1, 24:26]  # 1 x 2 pixels, two colours
    with pytest.raises(TooFewDistinctPixelsError, match=r"k=3 is more segments .* \(it has 2\)") as info:
        segment(image, k=3, position_weight=position_weight)
    error = info.value
    assert isinstance(error, TooFewDistinctPointsError) and isinstance(error, ValueError)
    assert (error.k, error.n_distinct) == (3, 2)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is TooFewDistinctPixelsError and str(copy) == str(error)


def test_n_init_keeps_the_best_of_several_starts():
    # segment(n_init=N) keeps the start with the lowest inertia, with all its
    # iterations: never worse than the first start alone, and deterministic.
    image = data.astronaut()[::8, ::8]
    one = segment(image, k=6, init="random", seed=1)
    best = segment(image, k=6, init="random", seed=1, n_init=4)
    assert best.inertia <= one.inertia
    again = segment(image, k=6, init="random", seed=1, n_init=4)
    np.testing.assert_array_equal(best.labels, again.labels)
    assert best.states[-1].labels.reshape(best.shape).tolist() == best.labels.tolist()


# --------------------------------------------------------------------------- #
# Precomputed features (an app keeps them per picture and feature settings)
# --------------------------------------------------------------------------- #
def _same_run(first, second) -> None:
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.n_iter == second.n_iter and first.inertia == second.inertia
    for a, b in zip(first.states, second.states, strict=True):
        np.testing.assert_array_equal(a.centers, b.centers)
    assert first.statistics == second.statistics


@pytest.mark.parametrize("spec", [FeatureSpec(color="lab", position=True, position_weight=0.3),
                                  FeatureSpec(color="hsv", texture=True),
                                  FeatureSpec(color="rgb")])  # colour only: the other path
def test_given_features_give_the_same_result(spec):
    image = load_sample("coffee")[::6, ::6]
    given = segment(image, k=5, spec=spec, seed=3, features=extract_features(image, spec))
    _same_run(given, segment(image, k=5, spec=spec, seed=3))


def test_given_features_are_used_not_recomputed(shapes):
    """k-means clusters the matrix it is given: another picture's features give that
    picture's labels (the statistics still describe this picture's colours)."""
    spec = FeatureSpec(color="lab", position=True, position_weight=0.5)
    image = shapes[0]
    other = np.ascontiguousarray(image[::-1])  # same size, other pixels
    result = segment(image, k=4, spec=spec, features=extract_features(other, spec))
    expected = segment(other, k=4, spec=spec).labels  # row i of the matrix is pixel i
    # The same partition; the numbers differ, as segments are ordered by this picture's colours.
    pairs = np.unique(np.stack([result.labels.ravel(), expected.ravel()]), axis=1)
    assert pairs.shape[1] == 4
    assert not np.array_equal(result.labels, segment(image, k=4, spec=spec).labels)


def test_given_features_are_checked(two_colour_image):
    spec = FeatureSpec(color="lab", position=True, position_weight=0.3)
    features = extract_features(two_colour_image, spec)
    with pytest.raises(TypeError, match="features must be a FeatureMatrix"):
        segment(two_colour_image, k=2, spec=spec, features=features.values)
    with pytest.raises(ValueError, match=r"features has columns .* shape \(2400, 5\).*need"):
        segment(two_colour_image[:20], k=2, spec=spec, features=features)
    rgb_spec = FeatureSpec(color="rgb", position=True, position_weight=0.3)
    with pytest.raises(ValueError, match="'red', 'green', 'blue', 'row', 'col'"):
        segment(two_colour_image, k=2, spec=rgb_spec, features=features)
