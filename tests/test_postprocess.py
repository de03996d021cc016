"""Tests for segmentation.postprocess: each clean-up step on small label images with known outcomes."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import graph

from segmentation.postprocess import (
    CleanSteps,
    clean,
    clean_steps,
    connected_regions,
    fill_holes,
    merge_similar_regions,
    region_adjacency_graph,
    remove_small_regions,
    smooth_boundaries,
)


@pytest.fixture
def island():
    """A 6 x 6 field of label 0 with a 3-pixel L-shaped island of label 1."""
    labels = np.zeros((6, 6), dtype=np.int64)
    labels[2, 2] = labels[2, 3] = labels[3, 3] = 1
    return labels


@pytest.fixture
def two_halves_image():
    """A 10 x 10 RGB image: black left half, light gray right half."""
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[:, 5:] = 200
    return image


# --------------------------------------------------------------------------- #
# connected_regions
# --------------------------------------------------------------------------- #
def test_connected_regions_counts_label_zero_and_uses_4_connectivity():
    # Two diagonal 1-pixels touch only by a corner: two regions; 0 is a region too.
    labels = np.array([[1, 0],
                       [0, 1]])
    regions = connected_regions(labels)
    assert regions.count == 4
    assert regions.sizes.tolist() == [1, 1, 1, 1]
    assert sorted(regions.segment.tolist()) == [0, 0, 1, 1]
    assert not regions.labels.flags.writeable


# --------------------------------------------------------------------------- #
# remove_small_regions
# --------------------------------------------------------------------------- #
def test_three_pixel_island_goes_at_min_size_4_and_stays_at_3(island):
    # The size boundary exactly: "smaller than min_size" goes.
    assert (remove_small_regions(island, 4) == 0).all()
    np.testing.assert_array_equal(remove_small_regions(island, 3), island)


def test_small_region_joins_the_longest_border_not_a_background():
    # A 2-pixel region of label 2 touches label 1 along 3 pixel edges and label 0
    # along 1: it becomes 1 (there is no background), and the dtype is kept.
    labels = np.array([[0, 2, 1, 1],
                       [1, 2, 1, 1],
                       [1, 1, 1, 1]], dtype=np.uint8)
    out = remove_small_regions(labels, 2 + 1)
    assert out.dtype == np.uint8
    assert out[0, 1] == 1 and out[1, 1] == 1
    assert out[0, 0] == 1  # the 1-pixel 0 also goes (1 < 3), into 1


def test_remove_small_regions_cascades_from_smallest():
    # Two small neighbours: the 1-pixel 2 joins the 2-pixel 1 (their shared border
    # is longest), which is then still small and joins the large 0.
    labels = np.zeros((5, 5), dtype=int)
    labels[2, 1:3] = 1
    labels[2, 3] = 2
    assert (remove_small_regions(labels, 4) == 0).all()


def test_remove_small_regions_keeps_a_lone_region():
    # The whole image is one region with no neighbour: it stays, whatever min_size.
    np.testing.assert_array_equal(remove_small_regions(np.ones((2, 2), int), 100), np.ones((2, 2)))


@pytest.mark.parametrize("min_size, error, message", [
    (-1, ValueError, "min_size=-1 must be >= 0"),
    (2.5, TypeError, "min_size=2.5 must be an integer"),
])
def test_remove_small_regions_errors_name_parameter(island, min_size, error, message):
    # Errors say which parameter, the rule and the value received.
    with pytest.raises(error, match=message):
        remove_small_regions(island, min_size)


# --------------------------------------------------------------------------- #
# fill_holes
# --------------------------------------------------------------------------- #
def test_a_hole_is_filled_and_a_bay_is_not():
    # A 1-pixel hole inside label 1 is filled; a notch open to the border is not.
    labels = np.ones((5, 5), dtype=int)
    labels[2, 2] = 0  # hole
    labels[0, 4] = 0  # on the border: not a hole
    out = fill_holes(labels)
    assert out[2, 2] == 1 and out[0, 4] == 0


def test_fill_holes_nested_outer_segment_wins():
    # Segment 0 encloses a ring of 1 which encloses a 2: filling 0's hole (the
    # largest) covers everything, whatever the order of labels.
    labels = np.zeros((7, 7), dtype=int)
    labels[1:6, 1:6] = 1
    labels[3, 3] = 2
    assert (fill_holes(labels) == 0).all()


def test_fill_holes_max_size_limits_the_filling():
    # Only holes of at most max_size pixels are filled.
    labels = np.zeros((8, 8), dtype=int)
    labels[2:5, 2:5] = 1  # a 9-pixel hole of segment 0
    assert (fill_holes(labels, max_size=8) == labels).all()
    assert (fill_holes(labels, max_size=9) == 0).all()


# --------------------------------------------------------------------------- #
# merge_similar_regions
# --------------------------------------------------------------------------- #
def test_equal_mean_colours_merge_and_different_ones_do_not(two_halves_image):
    # Left half split into labels 0 and 1 of the same black: they merge. The gray
    # right half (ΔE about 80 from black) stays apart.
    labels = np.zeros((10, 10), dtype=int)
    labels[:, 2:5] = 1
    labels[:, 5:] = 2
    out = merge_similar_regions(labels, two_halves_image, threshold=5.0)
    assert len(np.unique(out[:, :5])) == 1
    assert (out[:, 5:] == 2).all() and out[0, 0] != 2


def test_merge_threshold_zero_changes_nothing(two_halves_image):
    # threshold 0: nothing is closer than 0, so nothing merges.
    labels = np.repeat(np.arange(10)[None, :], 10, axis=0)
    np.testing.assert_array_equal(merge_similar_regions(labels, two_halves_image, 0.0), labels)


def test_region_adjacency_graph_matches_skimage_rag_mean_color(rng_image):
    # Oracle: our bincount-built graph has the edges and weights of scikit-image's
    # rag_mean_color (connectivity 1) on the same CIELAB image and regions.
    from skimage import color

    image, labels = rng_image
    rag, regions = region_adjacency_graph(labels, image)
    lab = color.rgb2lab(image.astype(np.float64) / 255)
    reference = graph.rag_mean_color(lab, np.asarray(regions.labels), connectivity=1)
    assert sorted(rag.edges) == sorted(tuple(sorted(e)) for e in reference.edges)
    for a, b in reference.edges:
        assert rag.edges[a, b]["weight"] == pytest.approx(reference.edges[a, b]["weight"], rel=1e-6)


@pytest.fixture
def rng_image():
    """A 12 x 12 random RGB image and a random 3-label image (many small regions)."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    labels = rng.integers(0, 3, (12, 12))
    return image, labels


def test_merge_shape_mismatch_names_both():
    # The photo and the labels must have the same height and width.
    with pytest.raises(ValueError, match=r"labels must have shape \(3, 3\)"):
        merge_similar_regions(np.zeros((2, 2), int), np.zeros((3, 3), np.uint8), 1.0)


# --------------------------------------------------------------------------- #
# smooth_boundaries
# --------------------------------------------------------------------------- #
def test_majority_filter_removes_a_speck_and_keeps_a_straight_border():
    # A lone pixel is outvoted; a straight vertical border between halves stays put.
    labels = np.zeros((9, 9), dtype=int)
    labels[:, 5:] = 1
    speckled = labels.copy()
    speckled[4, 1] = 1
    np.testing.assert_array_equal(smooth_boundaries(speckled, 1), labels)
    np.testing.assert_array_equal(smooth_boundaries(labels, 2), labels)


def test_majority_filter_radius_zero_is_identity(island):
    # radius 0: the disk is the pixel itself.
    np.testing.assert_array_equal(smooth_boundaries(island, 0), island)


# --------------------------------------------------------------------------- #
# clean and clean_steps
# --------------------------------------------------------------------------- #
def test_clean_steps_records_every_step_with_counts(island):
    # The input, then one entry per step switched on, with segment and region counts.
    image = np.zeros((6, 6), dtype=np.uint8)
    calls = []
    steps = clean_steps(island, image, min_size=4, fill=True, merge_threshold=0, smooth_radius=1,
                        progress=lambda done, total, name: calls.append((done, total, name)))
    assert isinstance(steps, CleanSteps)
    assert [s.name for s in steps.steps] == ["input", "remove small regions", "fill holes", "smooth"]
    assert [(s.n_segments, s.n_regions) for s in steps.steps] == [(2, 2), (1, 1), (1, 1), (1, 1)]
    assert calls[-1] == (3, 3, "done") and calls[0] == (0, 3, "remove small regions")
    assert all(not s.labels.flags.writeable for s in steps.steps)


def test_clean_keeps_label_values_and_returns_writeable_copy(rng_image):
    # Cleaning only moves pixels between existing segments.
    image, labels = rng_image
    out = clean(labels, image)
    assert set(np.unique(out)) <= set(np.unique(labels))
    assert out.flags.writeable and out.shape == labels.shape


def test_clean_rejects_non_bool_fill(island):
    # fill is a switch, not a size.
    with pytest.raises(TypeError, match="fill=3 must be True or False"):
        clean(island, np.zeros((6, 6), np.uint8), fill=3)
