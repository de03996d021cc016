"""Tests for segmentation.metrics: segment statistics, CSV export, ground-truth scores."""

from __future__ import annotations

import csv
import io
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage.metrics import variation_of_information

from segmentation import metrics as metrics_module
from segmentation.metrics import (
    STATISTICS_COLUMNS,
    SegmentStats,
    _adjusted_rand,
    compare_to_ground_truth,
    segment_statistics,
    statistics_csv,
    statistics_rows,
)


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


@pytest.fixture
def toy():
    """A 2x3 photo with two segments whose statistics are easy to compute by hand.

    labels      segment 0 = pixels (0,0) (0,1) (1,0); segment 1 = (0,2) (1,1) (1,2)
    0 0 1
    0 1 1
    """
    image = np.array(
        [[[30, 60, 90], [60, 90, 120], [255, 0, 0]],
         [[90, 120, 150], [255, 0, 0], [0, 0, 0]]],
        dtype=np.uint8,
    )
    labels = np.array([[0, 0, 1], [0, 1, 1]], dtype=np.uint8)
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    # Row-major pixels; distances to their own centre: 5, 0, 0 | 1, 5, 2.
    features = np.array([[3, 4], [0, 0], [10, 10], [0, 1], [13, 14], [10, 12]], dtype=float)
    return image, labels, features, centers


# --------------------------------------------------------------------------- #
# segment_statistics
# --------------------------------------------------------------------------- #
def test_statistics_toy_hand_computed(toy):
    """Counts, percentages, mean colours, centroids and compactness match the hand computation."""
    first, second = segment_statistics(*toy)
    assert (first.label, first.pixel_count, second.pixel_count) == (0, 3, 3)
    assert first.percentage == pytest.approx(50.0) and second.percentage == pytest.approx(50.0)
    assert first.mean_color == (60, 90, 120)  # mean of (30,60,90), (60,90,120), (90,120,150)
    assert second.mean_color == (170, 0, 0)  # (255 + 255 + 0) / 3
    assert first.centroid == pytest.approx((1 / 3, 1 / 3))
    assert second.centroid == pytest.approx((2 / 3, 5 / 3))
    assert first.compactness == pytest.approx((5 + 0 + 1) / 3)
    assert second.compactness == pytest.approx((0 + 5 + 2) / 3)


def test_statistics_empty_segment(toy):
    """A centre with no pixels gets count 0, 0 %, NaN compactness and centroid, black colour."""
    image, labels, features, centers = toy
    centers = np.vstack([centers, [[100.0, 100.0]]])
    stats = segment_statistics(image, labels, features, centers)
    assert len(stats) == 3
    empty = stats[2]
    assert (empty.label, empty.pixel_count, empty.percentage) == (2, 0, 0.0)
    assert math.isnan(empty.compactness)
    assert all(math.isnan(value) for value in empty.centroid)
    assert empty.mean_color == (0, 0, 0)


def test_statistics_percentages_sum_to_100(rng):
    """On a random labeling every pixel is counted once: counts sum to H*W, percentages to 100."""
    image = rng.random((7, 9, 3))
    labels = rng.integers(0, 4, size=(7, 9))
    features = rng.random((63, 5))
    centers = rng.random((4, 5))
    stats = segment_statistics(image, labels, features, centers)
    assert sum(s.pixel_count for s in stats) == 63
    assert sum(s.percentage for s in stats) == pytest.approx(100.0)
    # Oracle for compactness: the plain per-segment loop.
    for s in stats:
        members = labels.reshape(-1) == s.label
        expected = np.linalg.norm(features[members] - centers[s.label], axis=1).mean()
        assert s.compactness == pytest.approx(expected, rel=1e-5)


def test_statistics_grayscale_float_image():
    """A float grayscale photo gives grey mean colours (three equal channels)."""
    image = np.array([[0.0, 1.0], [0.2, 0.2]])
    labels = np.array([[0, 0], [1, 1]])
    stats = segment_statistics(image, labels, np.zeros((4, 1)), np.zeros((2, 1)))
    assert stats[0].mean_color == (128, 128, 128)  # 0.5 * 255 = 127.5 rounds to 128
    assert stats[1].mean_color == (51, 51, 51)  # 0.2 * 255
    assert stats[1].hex_color == "#333333"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda im, lab, f, c: (im, lab[:, :2], f, c), "labels must have shape"),
        (lambda im, lab, f, c: (im, lab, f[:5], c), "features must have one row per pixel"),
        (lambda im, lab, f, c: (im, lab, f, c[:, :1]), "features and centers"),
        (lambda im, lab, f, c: (im, lab + 1, f, c), "labels must be between 0 and 1"),
        (lambda im, lab, f, c: (im, lab.astype(int) - 1, f, c), "labels must be non-negative"),
        (lambda im, lab, f, c: (im, lab.astype(float), f, c), "labels must hold integers"),
        (lambda im, lab, f, c: (im * 2.0, lab, f, c), "image"),
    ],
)
def test_statistics_validation_names_parameter(toy, change, message):
    """Each inconsistent input raises a ValueError naming the offending parameter."""
    with pytest.raises(ValueError, match=message):
        segment_statistics(*change(*toy))


def test_hex_color():
    """hex_color formats the uint8 mean colour as lowercase #rrggbb."""
    stats = SegmentStats(0, 1, 100.0, 0.0, (255, 16, 1), (0.0, 0.0))
    assert stats.hex_color == "#ff1001"


# --------------------------------------------------------------------------- #
# Table rows and CSV
# --------------------------------------------------------------------------- #
def test_statistics_rows_columns_and_rounding(toy):
    """Rows have the documented columns in order, with rounded numbers and hex colours."""
    rows = statistics_rows(segment_statistics(*toy))
    assert [list(row) for row in rows] == [list(STATISTICS_COLUMNS)] * 2
    assert rows[0] == {
        "segment": 0, "pixels": 3, "percent": 50.0, "compactness": 2.0,
        "mean_color": "#3c5a78", "mean_r": 60, "mean_g": 90, "mean_b": 120,
        "centroid_row": 0.3, "centroid_col": 0.3,
    }
    assert rows[1]["compactness"] == 2.3333  # 7 / 3 to 4 decimals
    assert rows[1]["centroid_col"] == 1.7


def test_statistics_csv_parses_back(toy):
    """The CSV has a header and one row per segment (empty ones too), and parses back to the rows."""
    image, labels, features, centers = toy
    stats = segment_statistics(image, labels, features, np.vstack([centers, [[1.0, 1.0]]]))
    text = statistics_csv(stats)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(STATISTICS_COLUMNS)
    assert len(parsed) == 1 + len(stats)
    records = list(csv.DictReader(io.StringIO(text)))
    for record, row in zip(records, statistics_rows(stats)):
        assert int(record["pixels"]) == row["pixels"]
        assert record["mean_color"] == row["mean_color"]
    assert float(records[0]["compactness"]) == pytest.approx(2.0)
    # NaN values of the empty segment become blank cells.
    assert records[2]["compactness"] == "" and records[2]["centroid_row"] == ""


# --------------------------------------------------------------------------- #
# compare_to_ground_truth
# --------------------------------------------------------------------------- #
def test_ari_matches_sklearn_on_random_labelings(rng):
    """ARI equals scikit-learn's adjusted_rand_score (oracle) on random labelings."""
    metrics = pytest.importorskip("sklearn.metrics")
    for n_truth, n_pred in [(2, 2), (3, 5), (6, 4), (1, 3)]:
        truth = rng.integers(0, n_truth, size=(20, 30))
        labels = rng.integers(0, n_pred, size=(20, 30)) * 7 + 3  # arbitrary label values
        # Make the prediction partly agree so the ARI is not just ~0.
        labels[:10] = truth[:10]
        expected = metrics.adjusted_rand_score(truth.ravel(), labels.ravel())
        scores = compare_to_ground_truth(labels, truth)
        assert scores.adjusted_rand == pytest.approx(expected, abs=1e-12)


def test_ari_trivial_partitions_match_sklearn():
    """Degenerate cases (one segment each, one pixel per segment) follow sklearn's convention of 1.0."""
    metrics = pytest.importorskip("sklearn.metrics")
    single = np.zeros((3, 4), dtype=int)
    singletons = np.arange(12).reshape(3, 4)
    for labels, truth in [(single, single), (singletons, singletons), (single, singletons)]:
        expected = metrics.adjusted_rand_score(truth.ravel(), labels.ravel())
        assert compare_to_ground_truth(labels, truth).adjusted_rand == pytest.approx(expected)


def test_identical_up_to_permutation_is_perfect(rng):
    """A relabelled copy of the truth has ARI 1, VI 0 and mean best IoU 1, with the permutation recovered."""
    truth = rng.integers(0, 4, size=(15, 15))
    permutation = np.array([10, 2, 7, 0])
    scores = compare_to_ground_truth(permutation[truth], truth)
    assert scores.adjusted_rand == pytest.approx(1.0)
    assert scores.variation_of_information == pytest.approx(0.0, abs=1e-12)
    assert scores.vi_split == pytest.approx(0.0, abs=1e-12)
    assert scores.vi_merge == pytest.approx(0.0, abs=1e-12)
    assert scores.mean_best_iou == pytest.approx(1.0)
    assert [(m.truth_label, m.predicted_label) for m in scores.matching] == [
        (0, 10), (1, 2), (2, 7), (3, 0)
    ]
    assert all(m.iou == pytest.approx(1.0) for m in scores.matching)


def test_vi_matches_skimage(rng):
    """VI split and merge equal skimage's (H(pred|truth), H(truth|pred)) on random labelings."""
    truth = rng.integers(0, 3, size=(12, 17))
    labels = rng.integers(0, 5, size=(12, 17))
    labels[:6] = truth[:6]
    split, merge = variation_of_information(truth, labels)
    scores = compare_to_ground_truth(labels, truth)
    assert scores.vi_split == pytest.approx(split)
    assert scores.vi_merge == pytest.approx(merge)
    assert scores.variation_of_information == pytest.approx(split + merge)


def test_vi_hand_computed_split():
    """Cutting a single truth segment in two equal halves costs exactly 1 bit of split, no merge."""
    truth = np.zeros((2, 4), dtype=int)
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    scores = compare_to_ground_truth(labels, truth)
    assert scores.vi_split == pytest.approx(1.0)
    assert scores.vi_merge == pytest.approx(0.0, abs=1e-12)


def test_mean_best_iou_hand_computed():
    """Toy: IoU(t0, p0) = 2/3 and IoU(t1, p1) = 1/2 are the best pairing, mean 7/12."""
    truth = np.array([[0, 0, 1, 1]])
    labels = np.array([[0, 0, 0, 1]])
    scores = compare_to_ground_truth(labels, truth)
    assert scores.mean_best_iou == pytest.approx(7 / 12)
    assert [tuple(m) for m in scores.matching] == [
        (0, 0, pytest.approx(2 / 3)), (1, 1, pytest.approx(1 / 2))
    ]


def test_mean_best_iou_counts_unmatched_truth_as_zero():
    """With 3 truth segments and 2 predicted ones, the unmatched truth segment adds IoU 0."""
    truth = np.array([[0, 1, 2, 2]])
    labels = np.array([[0, 0, 1, 1]])
    scores = compare_to_ground_truth(labels, truth)
    # One of t0/t1 gets p0 (IoU 1/2), t2 gets p1 (IoU 1), the other gets nothing.
    assert scores.mean_best_iou == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert len(scores.matching) == 2


def test_compare_accepts_bool_truth():
    """A boolean mask works as a two-segment ground truth."""
    truth = np.array([[True, True, False, False]])
    scores = compare_to_ground_truth(np.array([[1, 1, 0, 0]]), truth)
    assert scores.adjusted_rand == pytest.approx(1.0)


def test_compare_shape_mismatch_names_both_shapes():
    """Different shapes raise a ValueError quoting both."""
    with pytest.raises(ValueError, match=r"labels \(2, 3\) and truth \(3, 2\)"):
        compare_to_ground_truth(np.zeros((2, 3), dtype=int), np.zeros((3, 2), dtype=int))


def test_compare_rejects_negative_truth():
    """Negative ground-truth labels raise a ValueError naming truth."""
    with pytest.raises(ValueError, match="truth must be non-negative"):
        compare_to_ground_truth(np.zeros((2, 2), dtype=int), -np.ones((2, 2), dtype=int))


def test_adjusted_rand_exact_on_large_counts():
    """With 12-megapixel-sized counts, the integer formula equals an exact rational computation.

    Pair-count products reach ~1e27 here, far beyond int64, so this checks that
    nothing overflows.
    """
    table = np.array([[4_000_000, 1_000_000], [2_000_000, 5_000_000]], dtype=np.int64)

    def pairs(m):
        return Fraction(int(m) * (int(m) - 1), 2)

    index = sum(pairs(m) for m in table.ravel())
    truth_pairs = sum(pairs(m) for m in table.sum(axis=1))
    pred_pairs = sum(pairs(m) for m in table.sum(axis=0))
    expected_index = truth_pairs * pred_pairs / pairs(table.sum())
    expected = (index - expected_index) / ((truth_pairs + pred_pairs) / 2 - expected_index)
    assert _adjusted_rand(table) == pytest.approx(float(expected), rel=1e-12)


# --------------------------------------------------------------------------- #
# Benchmark scores: Rand index, covering, boundaries, confusion, evaluate_segmentation
# --------------------------------------------------------------------------- #
from segmentation.metrics import (  # noqa: E402
    boundary_scores,
    confusion_matrix,
    evaluate_segmentation,
    probabilistic_rand_index,
    segmentation_covering,
)


@pytest.fixture
def halves():
    """A 4 x 6 truth: left three columns 0, right three columns 1."""
    truth = np.zeros((4, 6), dtype=int)
    truth[:, 3:] = 1
    return truth


def test_identical_labelling_scores_perfectly(halves):
    # Identical partitions: ARI 1, VI 0, IoU 1, PRI 1, covering 1, boundaries found.
    quality = evaluate_segmentation(halves, halves)
    assert (quality.adjusted_rand, quality.variation_of_information, quality.mean_best_iou) == (1.0, 0.0, 1.0)
    assert (quality.rand_index, quality.covering) == (1.0, 1.0)
    assert (quality.boundary.precision, quality.boundary.recall) == (1.0, 1.0)


def test_permuted_labelling_scores_the_same(rng):
    # Renaming the segments changes no score.
    truth = rng.integers(0, 4, (12, 12))
    labels = rng.integers(0, 3, (12, 12))
    permuted = np.array([7, 2, 9])[labels]
    first, second = evaluate_segmentation(labels, truth), evaluate_segmentation(permuted, truth)
    for name in ("adjusted_rand", "rand_index", "variation_of_information", "covering", "mean_best_iou"):
        assert getattr(first, name) == pytest.approx(getattr(second, name))
    assert first.boundary == second.boundary


def test_rand_index_hand_computed(halves):
    # Labels [[0,0,0,1]]-like split: on the 1x4 toy 3 of 6 pairs agree.
    truth = np.array([[0, 0, 1, 1]])
    labels = np.array([[0, 0, 0, 1]])
    # Pairs: (a,b) together in both; (a,c),(b,c) together only in labels; (a,d),(b,d) apart
    # in both; (c,d) together only in truth: 1 + 2 = 3 of 6 agree.
    assert probabilistic_rand_index(labels, truth) == 0.5
    # Against two truths, the mean of the two Rand indices.
    assert probabilistic_rand_index(labels, [truth, labels]) == 0.75


def test_rand_index_matches_sklearn(rng):
    # Oracle: scikit-learn's rand_score on random labelings.
    from sklearn.metrics import rand_score

    truth, labels = rng.integers(0, 5, (20, 20)), rng.integers(0, 3, (20, 20))
    assert probabilistic_rand_index(labels, truth) == pytest.approx(rand_score(truth.ravel(), labels.ravel()))


def test_covering_hand_computed():
    # Truth regions of 2 and 2 pixels, best IoUs 2/3 and 1/2: (2*2/3 + 2*1/2) / 4.
    covering = segmentation_covering(np.array([[0, 0, 0, 1]]), np.array([[0, 0, 1, 1]]))
    assert covering == pytest.approx((2 * 2 / 3 + 2 * 1 / 2) / 4)


def test_boundary_tolerance_boundary(halves):
    # A border moved by 2 columns: found within 2 pixels, missed within 1.
    moved = np.zeros((4, 6), dtype=int)
    moved[:, 5:] = 1
    assert boundary_scores(moved, halves, tolerance=2).f_measure == 1.0
    scores = boundary_scores(moved, halves, tolerance=1)
    assert scores.precision == 0.5 and scores.recall == 0.5


def test_boundary_without_prediction_boundaries():
    # One predicted segment: no boundary claimed (precision 1), none found (recall 0).
    truth = np.array([[0, 1]])
    scores = boundary_scores(np.zeros((1, 2), int), truth)
    assert (scores.precision, scores.recall, scores.f_measure) == (1.0, 0.0, 0.0)


def test_confusion_matrix_rows_are_truth_regions(halves):
    # Rows sum to the true region sizes, columns to the predicted ones.
    labels = np.zeros((4, 6), dtype=int)
    labels[:, 4:] = 5
    confusion = confusion_matrix(labels, halves)
    assert confusion.table.tolist() == [[12, 0], [4, 8]]
    assert confusion.predicted_labels.tolist() == [0, 5]


def test_evaluate_scores_connected_regions(halves):
    # Two discs of one label are two regions: with connected=True the truth's two
    # regions are matched exactly although the prediction has one label value.
    truth = np.zeros((3, 5), dtype=int)
    truth[:, 2] = 1
    labels = truth.copy()
    labels[:, 4] = 1  # the right column shares a label with the middle, apart from it
    connected = evaluate_segmentation(labels, truth)
    assert connected.n_regions == 4 and connected.n_truth_regions == 3
    assert evaluate_segmentation(labels, truth, connected=False).n_regions == 2


def test_ground_truth_set_is_complete_and_valid():
    # assets/ground_truth holds at least 12 images of 256 x 256 with connected,
    # 0..n-1 numbered truths of the same size.
    from pathlib import Path

    from segmentation.io import load_image_file
    from segmentation.postprocess import connected_regions

    folder = Path(__file__).resolve().parent.parent / "assets" / "ground_truth"
    truths = sorted(folder.glob("*_truth.png"))
    assert len(truths) >= 12
    for path in truths:
        image = load_image_file(folder / path.name.replace("_truth", "")).image
        truth = load_image_file(path).image[..., 0]
        assert image.shape == (256, 256, 3) and truth.shape == (256, 256)
        assert connected_regions(truth).count == int(truth.max()) + 1


@given(arrays(st.sampled_from([np.uint8, np.uint16, np.int32, np.int64]),
              st.tuples(st.integers(1, 30), st.integers(1, 30)),
              elements=st.integers(0, 255)),
       st.sampled_from([0, 70_000, 10**9]))
@settings(max_examples=150, deadline=None)
def test_values_and_index_is_np_unique(labels, offset):
    """The table path (small labels) and the sorting path (large ones) both give exactly
    np.unique's values, dtype and inverse."""
    if offset:
        labels = labels.astype(np.int64) + offset * (labels.astype(np.int64) % 2)
    values, index = metrics_module._values_and_index(labels)
    expected_values, expected_index = np.unique(labels.reshape(-1), return_inverse=True)
    assert values.dtype == expected_values.dtype
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(index, expected_index.reshape(-1))
