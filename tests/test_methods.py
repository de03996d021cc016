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


def test_superpixel_speedup_keeps_the_fastest_of_its_repeats(quadrants):
    # The times are the fastest of `repeat` runs; the SLIC step is part of the superpixel time.
    comparison = superpixel_speedup(quadrants, 4, n_superpixels=16, position_weight=0.3, repeat=3)
    assert comparison.speedup == pytest.approx(comparison.pixels.seconds
                                               / comparison.superpixels.seconds)
    assert 0 < comparison.slic_seconds
    with pytest.raises(ValueError, match="repeat=0 must be >= 1"):
        superpixel_speedup(quadrants, 4, n_superpixels=16, repeat=0)


def test_equivalent_weight_hand_computed():
    # K = 4 on 101 x 101: S = 50.5, side 100, w = m * 100 / (100 * 50.5) = m / 50.5,
    # whatever the colours (SLIC measures colour in Lab units, as we do, divided by 100).
    image = np.zeros((101, 101), dtype=np.uint8)
    image[:, 50:] = 255
    assert equivalent_position_weight(image, 4, 1.0) == pytest.approx(1 / 50.5, rel=1e-3)
    assert equivalent_position_weight(image // 2, 4, 1.0) == pytest.approx(1 / 50.5, rel=1e-3)


def test_equivalent_weight_is_where_slic_and_kmeans_agree():
    # On a photo at teaching size, SLIC (K = k, no connectivity step) at compactness m and
    # our k-means at the equivalent weight find nearly the same segments, and each
    # compactness agrees better with its own equivalent weight than with the other's: the
    # formula carries over SLIC's balance of colour and position. (Not an exact peak: the
    # two start differently, SLIC from a grid, k-means++ from far-apart pixels, and
    # k-means's local optimum can jump between nearby weights.)
    from segmentation.choosing_k import working_image
    from segmentation.samples import load_sample

    small = working_image(np.asarray(load_sample("astronaut")))  # 160 x 160
    compactness = (10.0, 100.0)
    weights = tuple(round(equivalent_position_weight(small, 4, m), 3) for m in compactness)
    assert weights == pytest.approx((0.199, 1.988), abs=1e-3)
    grid = slic_vs_kmeans_agreement(small, 4, compactness=compactness,
                                    position_weights=(0.0, *weights))
    ari = grid.adjusted_rand  # rows: m = 10, 100; columns: w = 0, 0.199, 1.988
    assert ari[0, 1] > 0.9 and ari[1, 2] > 0.95
    assert ari[0, 1] > ari[0, 2] and ari[1, 2] > ari[1, 1]
    assert ari[1, 2] == ari[1].max()  # strong position: colour alone disagrees


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
