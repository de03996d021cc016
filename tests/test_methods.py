"""Tests for segmentation.methods: every method returns a valid label image with its time."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.methods import (
    Hierarchy,
    MethodResult,
    compare_methods,
    equivalent_position_weight,
    kmeans_on_superpixels,
    merge_hierarchy,
    run_felzenszwalb,
    run_hierarchy,
    run_kmeans,
    run_slic,
    slic_vs_kmeans_agreement,
    superpixel_speedup,
)


@pytest.fixture(scope="module")
def quadrants():
    """A 48 x 48 RGB image of four flat, noisy quadrants (red, green, blue, white)."""
    rng = np.random.default_rng(3)
    image = np.zeros((48, 48, 3), dtype=np.float64)
    image[:24, :24] = (0.8, 0.1, 0.1)
    image[:24, 24:] = (0.1, 0.7, 0.1)
    image[24:, :24] = (0.1, 0.1, 0.8)
    image[24:, 24:] = (0.9, 0.9, 0.9)
    image += rng.normal(0, 0.02, image.shape)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def truth():
    """The quadrant labels of the `quadrants` image."""
    labels = np.zeros((48, 48), dtype=int)
    labels[:24, 24:], labels[24:, :24], labels[24:, 24:] = 1, 2, 3
    return labels


def check_result(result: MethodResult, shape) -> None:
    """A valid label image 0..n-1 of the image's shape, read-only, with a positive time."""
    assert isinstance(result, MethodResult)
    assert result.labels.shape == shape and not result.labels.flags.writeable
    assert result.labels.min() == 0 and result.labels.max() == result.n_segments - 1
    assert result.n_regions >= result.n_segments >= 1
    assert result.seconds > 0


def test_every_method_returns_a_valid_label_image(quadrants):
    # Each method, through compare_methods, gives labels of the image's shape and a time.
    calls = []
    results = compare_methods(quadrants, 4, n_superpixels=16, felzenszwalb_min_size=50,
                              progress=lambda done, total, name: calls.append(name))
    assert [r.method for r in results] == ["k-means", "k-means on superpixels", "SLIC",
                                          "Felzenszwalb", "hierarchy"]
    for result in results:
        check_result(result, quadrants.shape[:2])
    assert calls[-1] == "done" and len(calls) == 6


@pytest.mark.parametrize("run", [
    lambda image: run_kmeans(image, 4, position_weight=0),
    lambda image: kmeans_on_superpixels(image, 4, n_superpixels=16, position_weight=0),
    lambda image: run_felzenszwalb(image, scale=100, min_size=50),
    lambda image: run_hierarchy(image, 4, n_superpixels=16),
])
def test_methods_find_the_four_quadrants(run, quadrants, truth):
    # On four flat quadrants every method with k=4 (or a fitting scale) finds them
    # (Felzenszwalb merges by local contrast and may shift a border by a few pixels).
    from segmentation.metrics import compare_to_ground_truth

    result = run(quadrants)
    assert result.n_segments == 4
    assert compare_to_ground_truth(result.labels, truth).adjusted_rand > 0.9


def test_hierarchy_browses_from_fine_to_coarse(quadrants):
    # Every level from all superpixels down to one region has exactly that many regions,
    # and the threshold cut agrees with the merge distances.
    hierarchy = merge_hierarchy(quadrants, n_superpixels=16)
    assert isinstance(hierarchy, Hierarchy)
    assert hierarchy.coarsest == 1
    assert len(hierarchy.merges) == hierarchy.n_superpixels - 1
    for n_regions in range(1, hierarchy.n_superpixels + 1):
        assert len(np.unique(hierarchy.labels_at(n_regions))) == n_regions
    # The four quadrants are far apart in colour: the last three merges are the big ones.
    assert hierarchy.n_regions_at_threshold(20.0) == 4
    with pytest.raises(ValueError, match="n_regions=0 must be between 1 and"):
        hierarchy.labels_at(0)


def test_superpixel_speedup_agrees_on_an_easy_image(quadrants):
    # Superpixel k-means reproduces pixel k-means on flat quadrants at no inertia cost.
    comparison = superpixel_speedup(quadrants, 4, n_superpixels=16, position_weight=0)
    assert comparison.agreement == pytest.approx(1.0)
    assert comparison.inertia_ratio == pytest.approx(1.0, rel=1e-6)
    assert comparison.speedup > 0


def test_equivalent_weight_hand_computed():
    # Lab range 100 (black and white), K = 4 on 101 x 101: S = 50.5, side 100,
    # w = 100 * m * 100 / (100 * 50.5) = m * 1.98.
    image = np.zeros((101, 101), dtype=np.uint8)
    image[:, 50:] = 255
    assert equivalent_position_weight(image, 4, 1.0) == pytest.approx(100 / 50.5, rel=1e-3)


def test_slic_vs_kmeans_agreement_grid_shape_and_best(quadrants):
    # The grid has one ARI per (compactness, weight) pair; on flat quadrants some
    # pair agrees fully.
    grid = slic_vs_kmeans_agreement(quadrants, 4, compactness=(0.01, 100.0),
                                    position_weights=(0.0, 5.0))
    assert grid.adjusted_rand.shape == (2, 2)
    assert grid.best[2] == pytest.approx(1.0)
    assert len(grid.equivalent_weights) == 2 and grid.equivalent_weights[0] < grid.equivalent_weights[1]


@pytest.mark.parametrize("call, message", [
    (lambda image: run_slic(image, 0), "n_segments=0 must be >= 1"),
    (lambda image: run_slic(image, 4, compactness=0), "compactness=0 must be > 0"),
    (lambda image: run_felzenszwalb(image, scale=-1), "scale=-1 must be >= 0"),
    (lambda image: slic_vs_kmeans_agreement(image, 4, compactness=()), "at least one value"),
])
def test_errors_name_the_parameter(call, message, quadrants):
    # Invalid settings raise ValueError naming the parameter and the value.
    with pytest.raises(ValueError, match=message):
        call(quadrants)
