"""Describe a segmentation: per-segment statistics and scores against a ground truth.

Two questions a student asks after running k-means on a photo:

1. *What did each segment capture?* :func:`segment_statistics` answers with its
   size, mean colour, centroid and compactness (how tightly its pixels gather
   around their centre in feature space), as frozen :class:`SegmentStats`.
   :func:`statistics_rows` and :func:`statistics_csv` turn them into a table.
2. *How close is it to a human segmentation?* :func:`compare_to_ground_truth`
   computes three complementary scores:

   - the **adjusted Rand index** (ARI): the fraction of pixel pairs on which both
     segmentations agree (same segment / different segments), corrected for
     chance so that random labelings score about 0 and identical ones 1
     (Hubert & Arabie 1985);
   - the **variation of information** (VI): how many bits we lose and gain going
     from one partition to the other, split into over-segmentation (split) and
     under-segmentation (merge) (Meila 2007);
   - the **mean best IoU**: each ground-truth segment is paired with at most one
     predicted segment by the Hungarian algorithm, maximising the total
     intersection over union (Kuhn 1955).

All three ignore label *names*: k-means numbers its clusters arbitrarily, so a
permuted but otherwise identical labeling scores perfectly.

References
----------
Hubert, L. and Arabie, P. (1985). Comparing partitions. *Journal of
Classification*, 2(1), 193-218. :doi:`10.1007/BF01908075`

Meila, M. (2007). Comparing clusterings - an information based distance.
*Journal of Multivariate Analysis*, 98(5), 873-895. :doi:`10.1016/j.jmva.2006.11.013`

Kuhn, H. W. (1955). The Hungarian method for the assignment problem. *Naval
Research Logistics Quarterly*, 2(1-2), 83-97. :doi:`10.1002/nav.3800020109`
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from skimage.metrics import variation_of_information

from ._validation import check_data_matrix, check_image, check_labels

__all__ = [
    "GroundTruthScores",
    "STATISTICS_COLUMNS",
    "SegmentMatch",
    "SegmentStats",
    "compare_to_ground_truth",
    "segment_statistics",
    "statistics_csv",
    "statistics_rows",
]

# Column names of :func:`statistics_rows` and of the CSV header, in order.
STATISTICS_COLUMNS: tuple[str, ...] = (
    "segment", "pixels", "percent", "compactness", "mean_color",
    "mean_r", "mean_g", "mean_b", "centroid_row", "centroid_col",
)

# Rows of features processed at once when measuring distances to the centres:
# bounds the temporary (chunk, d) array to a few MB even on a 12-megapixel photo.
_CHUNK_ROWS = 1 << 16

# Largest dense contingency table (truth segments x predicted segments) we build.
# 25 million int64 cells is 200 MB; beyond that the Hungarian step is too slow anyway.
_MAX_TABLE_CELLS = 25_000_000


# --------------------------------------------------------------------------- #
# Per-segment statistics
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class SegmentStats:
    """What one segment (cluster) of a segmentation contains.

    Examples
    --------
    >>> SegmentStats(0, 3, 50.0, 0.25, (255, 128, 0), (0.0, 1.0)).hex_color
    '#ff8000'
    """

    label: int  # the segment's label, 0..k-1 (its row in the centres array)
    pixel_count: int  # number of pixels assigned to it; 0 for an empty segment
    percentage: float  # 100 * pixel_count / (H * W): share of the image, in 0..100
    compactness: float  # mean Euclidean distance of its pixels to its centre, in feature units; NaN if empty
    mean_color: tuple[int, int, int]  # mean RGB of its pixels in the photo, uint8 values; (0, 0, 0) if empty
    centroid: tuple[float, float]  # mean (row, col) pixel position; (NaN, NaN) if empty

    @property
    def hex_color(self) -> str:
        """The mean colour as a ``"#rrggbb"`` string (for tables and legends)."""
        red, green, blue = self.mean_color
        return f"#{red:02x}{green:02x}{blue:02x}"


def segment_statistics(image, labels, features, centers) -> tuple[SegmentStats, ...]:
    """Compute size, colour, position and compactness of every segment.

    Parameters
    ----------
    image : (H, W[, 3]) ndarray
        The segmented photo, uint8 or float in [0, 1]; grayscale is treated as
        three equal channels.
    labels : (H, W) ndarray of int
        Segment of every pixel, each in ``0 .. k-1``.
    features : (H * W, d) ndarray of float
        Feature vector of every pixel, in row-major pixel order (the matrix the
        clustering ran on).
    centers : (k, d) ndarray of float
        Cluster centres in the same feature space; ``k = len(centers)``.

    Returns
    -------
    tuple of SegmentStats
        One entry per label ``0 .. k-1``, including empty segments (with
        ``pixel_count == 0``, NaN compactness and centroid).

    Raises
    ------
    ValueError
        If ``image`` is not a valid image, ``labels`` is not (H, W) integers in
        ``[0, k)``, ``features`` does not have ``H * W`` rows, or ``features``
        and ``centers`` have different numbers of columns.

    Examples
    --------
    >>> image = np.array([[[255, 0, 0], [0, 0, 255]]], dtype=np.uint8)
    >>> labels = np.array([[0, 1]])
    >>> features = np.array([[0.0], [1.0]])
    >>> centers = np.array([[0.0], [0.5]])
    >>> stats = segment_statistics(image, labels, features, centers)
    >>> [(s.pixel_count, s.hex_color, s.compactness) for s in stats]
    [(1, '#ff0000', 0.0), (1, '#0000ff', 0.5)]
    """
    rgb = check_image(image)  # (H, W, 3) float32 in [0, 1]
    height, width = rgb.shape[:2]
    n_pixels = height * width
    centers = check_data_matrix(centers, "centers")  # (k, d)
    features = check_data_matrix(features, "features")  # (n, d)
    n_segments = centers.shape[0]
    if features.shape[0] != n_pixels:
        raise ValueError(
            f"features must have one row per pixel, H * W = {height} * {width} = {n_pixels}, "
            f"got {features.shape[0]} rows"
        )
    if features.shape[1] != centers.shape[1]:
        raise ValueError(
            f"features and centers must have the same number of columns, "
            f"got {features.shape[1]} and {centers.shape[1]}"
        )
    labels = check_labels(labels, "labels", shape=(height, width), n_labels=n_segments)
    flat = labels.reshape(-1)  # (n,), row-major like features

    # Every per-segment sum is one bincount over the flat labels: O(n), no pixel loop.
    counts = np.bincount(flat, minlength=n_segments)  # (k,)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty segments give 0/0 = NaN
        compactness = _distance_sums(features, centers, flat) / counts  # (k,)
        rows = np.repeat(np.arange(height, dtype=np.float64), width)  # (n,) row of each pixel
        cols = np.tile(np.arange(width, dtype=np.float64), height)  # (n,) column of each pixel
        centroid_rows = np.bincount(flat, weights=rows, minlength=n_segments) / counts
        centroid_cols = np.bincount(flat, weights=cols, minlength=n_segments) / counts
    colors = _mean_colors(rgb.reshape(-1, 3), flat, n_segments)  # (k, 3) uint8

    return tuple(
        SegmentStats(
            label=j,
            pixel_count=int(counts[j]),
            percentage=100.0 * float(counts[j]) / n_pixels,
            compactness=float(compactness[j]),
            mean_color=(int(colors[j, 0]), int(colors[j, 1]), int(colors[j, 2])),
            centroid=(float(centroid_rows[j]), float(centroid_cols[j])),
        )
        for j in range(n_segments)
    )


def _distance_sums(features: np.ndarray, centers: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Sum, per segment, of the Euclidean distances of its pixels to its centre.

    Assumes validated input. Works in chunks of rows so that the temporary
    ``features - centers[labels]`` array stays small on large photos.
    """
    n_segments = centers.shape[0]
    sums = np.zeros(n_segments, dtype=np.float64)
    for start in range(0, features.shape[0], _CHUNK_ROWS):
        chunk_labels = flat[start:start + _CHUNK_ROWS]  # (c,)
        diff = features[start:start + _CHUNK_ROWS] - centers[chunk_labels]  # (c, d)
        distances = np.sqrt(np.einsum("ij,ij->i", diff, diff, dtype=np.float64))  # (c,)
        sums += np.bincount(chunk_labels, weights=distances, minlength=n_segments)
    return sums


def _mean_colors(pixels: np.ndarray, flat: np.ndarray, n_segments: int) -> np.ndarray:
    """Mean RGB of each segment as (n_segments, 3) uint8; black for empty segments.

    Assumes validated input: ``pixels`` is (n, 3) float in [0, 1] and ``flat``
    holds labels in ``[0, n_segments)``. Shared with :mod:`segmentation.visualize`.
    """
    counts = np.bincount(flat, minlength=n_segments).astype(np.float64)  # (k,)
    means = np.zeros((n_segments, 3), dtype=np.float64)
    for channel in range(3):
        sums = np.bincount(flat, weights=pixels[:, channel], minlength=n_segments)  # (k,)
        np.divide(sums, counts, out=means[:, channel], where=counts > 0)
    # Sums run in float64, so a uint8 photo's exact mean survives the /255 * 255 trip.
    return np.clip(np.rint(means * 255.0), 0, 255).astype(np.uint8)


def statistics_rows(stats) -> list[dict[str, object]]:
    """Turn segment statistics into table rows, one dict per segment.

    Parameters
    ----------
    stats : sequence of SegmentStats
        As returned by :func:`segment_statistics`.

    Returns
    -------
    list of dict
        Keys are :data:`STATISTICS_COLUMNS`: ``segment``, ``pixels``,
        ``percent`` (2 decimals), ``compactness`` (4 decimals, NaN if empty),
        ``mean_color`` (``"#rrggbb"``), ``mean_r``, ``mean_g``, ``mean_b``,
        ``centroid_row`` and ``centroid_col`` (1 decimal, NaN if empty).

    Examples
    --------
    >>> row = statistics_rows([SegmentStats(0, 2, 100 / 3, 0.123456, (1, 2, 3), (0.54, 1.26))])[0]
    >>> row["percent"], row["compactness"], row["mean_color"], row["centroid_col"]
    (33.33, 0.1235, '#010203', 1.3)
    """
    return [
        {
            "segment": s.label,
            "pixels": s.pixel_count,
            "percent": round(s.percentage, 2),
            "compactness": round(s.compactness, 4),
            "mean_color": s.hex_color,
            "mean_r": s.mean_color[0],
            "mean_g": s.mean_color[1],
            "mean_b": s.mean_color[2],
            "centroid_row": round(s.centroid[0], 1),
            "centroid_col": round(s.centroid[1], 1),
        }
        for s in stats
    ]


def statistics_csv(stats) -> str:
    """Format segment statistics as CSV text with a header row.

    Parameters
    ----------
    stats : sequence of SegmentStats
        As returned by :func:`segment_statistics`.

    Returns
    -------
    str
        A header line with :data:`STATISTICS_COLUMNS`, then one line per
        segment, values as in :func:`statistics_rows`. Missing values (NaN
        compactness and centroid of an empty segment) are written as empty
        cells, which spreadsheets read as blanks.

    Examples
    --------
    >>> print(statistics_csv([SegmentStats(0, 2, 100.0, 0.5, (255, 0, 0), (0.0, 0.5))]), end="")
    segment,pixels,percent,compactness,mean_color,mean_r,mean_g,mean_b,centroid_row,centroid_col
    0,2,100.0,0.5,#ff0000,255,0,0,0.0,0.5
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=STATISTICS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in statistics_rows(stats):
        writer.writerow({
            key: "" if isinstance(value, float) and math.isnan(value) else value
            for key, value in row.items()
        })
    return buffer.getvalue()


# --------------------------------------------------------------------------- #
# Comparison with a ground-truth segmentation
# --------------------------------------------------------------------------- #
class SegmentMatch(NamedTuple):
    """One ground-truth segment paired with a predicted segment by the Hungarian algorithm."""

    truth_label: int  # label value in the ground truth, as given
    predicted_label: int  # label value in the prediction, as given
    iou: float  # intersection over union of the two segments, in (0, 1]


@dataclass(frozen=True)
class GroundTruthScores:
    """How a segmentation compares with a ground-truth (human) segmentation.

    Entropies are in **bits** (base-2 logarithms, as in scikit-image).
    """

    adjusted_rand: float  # ARI: 1 for identical partitions, about 0 for chance agreement, can be < 0
    variation_of_information: float  # VI = vi_split + vi_merge, in bits; 0 for identical partitions
    vi_split: float  # H(predicted | truth) in bits: over-segmentation, truth segments split apart
    vi_merge: float  # H(truth | predicted) in bits: under-segmentation, truth segments merged together
    mean_best_iou: float  # mean over truth segments of the IoU of its matched segment (0 if unmatched)
    matching: tuple[SegmentMatch, ...]  # Hungarian pairs with IoU > 0, sorted by truth label


def compare_to_ground_truth(labels, truth) -> GroundTruthScores:
    r"""Score a segmentation against a ground-truth segmentation of the same image.

    Parameters
    ----------
    labels : (H, W) ndarray of int
        Predicted segmentation, arbitrary non-negative label values.
    truth : (H, W) ndarray of int or bool
        Ground-truth segmentation, arbitrary non-negative label values.

    Returns
    -------
    GroundTruthScores
        Adjusted Rand index, variation of information (with its split and
        merge parts, in bits), mean best IoU and the Hungarian matching.

    Raises
    ------
    ValueError
        If either array is not 2-D non-negative integers, if their shapes
        differ, or if the two have so many segments that their contingency
        table would exceed 25 million cells.

    Notes
    -----
    Every score is read off the contingency table ``n[i, j]``, the number of
    pixels in truth segment ``i`` and predicted segment ``j``. With row sums
    ``a_i``, column sums ``b_j`` and ``C(m) = m (m - 1) / 2`` pairs,

    .. math::

        ARI = \frac{\sum_{ij} C(n_{ij}) - E}{\tfrac12 (\sum_i C(a_i) + \sum_j C(b_j)) - E},
        \quad E = \frac{\sum_i C(a_i) \sum_j C(b_j)}{C(n)}.

    When both partitions are trivial (one segment each, or one pixel per
    segment) the denominator is 0 and ARI is defined as 1, as in scikit-learn.

    Examples
    --------
    >>> truth = np.array([[0, 0, 1, 1]])
    >>> scores = compare_to_ground_truth(np.array([[5, 5, 2, 2]]), truth)
    >>> scores.adjusted_rand, scores.variation_of_information, scores.mean_best_iou
    (1.0, 0.0, 1.0)
    """
    labels = check_labels(labels, "labels")
    truth = check_labels(truth, "truth")
    if labels.shape != truth.shape:
        raise ValueError(
            f"labels and truth must have the same shape, got labels {labels.shape} "
            f"and truth {truth.shape}"
        )
    # Compact arbitrary label values to 0..m-1 so they can index a table.
    truth_values, truth_index = np.unique(truth.reshape(-1), return_inverse=True)
    pred_values, pred_index = np.unique(labels.reshape(-1), return_inverse=True)
    n_truth, n_pred = truth_values.size, pred_values.size
    if n_truth * n_pred > _MAX_TABLE_CELLS:
        raise ValueError(
            f"truth has {n_truth} segments and labels {n_pred}: their contingency table of "
            f"{n_truth * n_pred} cells exceeds the limit of {_MAX_TABLE_CELLS}"
        )
    table = np.bincount(
        truth_index.astype(np.int64) * n_pred + pred_index, minlength=n_truth * n_pred
    ).reshape(n_truth, n_pred)  # (n_truth, n_pred) int64 pixel counts

    # skimage returns (H(image1 | image0), H(image0 | image1)) = (split, merge) with the
    # truth as image0. We give it the compacted labels rather than our table: in
    # scikit-image 0.26 its table= argument fails on a shape check of the missing images.
    vi_split, vi_merge = variation_of_information(
        truth_index.reshape(truth.shape), pred_index.reshape(labels.shape)
    )
    mean_best_iou, matching = _hungarian_iou(table, truth_values, pred_values)
    return GroundTruthScores(
        adjusted_rand=_adjusted_rand(table),
        variation_of_information=float(vi_split + vi_merge),
        vi_split=float(vi_split),
        vi_merge=float(vi_merge),
        mean_best_iou=mean_best_iou,
        matching=matching,
    )


def _pairs(counts: np.ndarray) -> int:
    """Total number of unordered pairs, sum of C(m) = m (m - 1) / 2, exactly.

    int64 holds C(m) for m up to 4 billion pixels; the sum becomes a Python int.
    """
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _adjusted_rand(table: np.ndarray) -> float:
    """Adjusted Rand index from a contingency table (Hubert & Arabie 1985).

    Assumes an int64 table. Pair counts are Python ints, so the products below
    (up to ~1e28 on a 12-megapixel image) are exact instead of overflowing int64.
    """
    index = _pairs(table)  # pairs together in both partitions
    truth_pairs = _pairs(table.sum(axis=1))  # pairs together in the truth
    pred_pairs = _pairs(table.sum(axis=0))  # pairs together in the prediction
    all_pairs = _pairs(np.array([table.sum()]))
    # ARI = (index - expected) / (max - expected) with expected = truth * pred / all
    # and max = (truth + pred) / 2; multiplying through by 2 * all keeps it in integers.
    numerator = 2 * (all_pairs * index - truth_pairs * pred_pairs)
    denominator = all_pairs * (truth_pairs + pred_pairs) - 2 * truth_pairs * pred_pairs
    if denominator == 0:  # both partitions trivial: they agree on every pair
        return 1.0
    return numerator / denominator


def _hungarian_iou(
    table: np.ndarray, truth_values: np.ndarray, pred_values: np.ndarray
) -> tuple[float, tuple[SegmentMatch, ...]]:
    """Match truth to predicted segments one-to-one, maximising the total IoU (Kuhn 1955).

    Assumes a contingency table whose rows and columns all have positive sums.
    """
    truth_sizes = table.sum(axis=1)  # (n_truth,)
    pred_sizes = table.sum(axis=0)  # (n_pred,)
    union = truth_sizes[:, None] + pred_sizes[None, :] - table  # (n_truth, n_pred), all > 0
    iou = table / union  # (n_truth, n_pred) in [0, 1]
    truth_rows, pred_cols = linear_sum_assignment(iou, maximize=True)  # rows sorted
    best = np.zeros(table.shape[0])  # truth segments left unmatched keep IoU 0
    best[truth_rows] = iou[truth_rows, pred_cols]
    matching = tuple(
        SegmentMatch(int(truth_values[i]), int(pred_values[j]), float(iou[i, j]))
        for i, j in zip(truth_rows, pred_cols)
        if iou[i, j] > 0
    )
    return float(best.mean()), matching
