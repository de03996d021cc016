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

3. *And as a benchmark would score it?* :func:`evaluate_segmentation` adds the
   scores of the Berkeley segmentation benchmark (Arbeláez et al. 2011): the
   **probabilistic Rand index** (the Rand index averaged over annotators,
   Unnikrishnan et al. 2007), the **segmentation covering**, **boundary
   precision and recall** within a few pixels (Martin et al. 2004), and the
   **confusion** table between predicted segments and true regions. It
   scores *connected regions*: a person draws regions, while a k-means
   segment is a class scattered over the image, so both label images are
   first split into connected pieces (4-connectivity). A segment in 300
   specks then counts as 300 regions, which is why clean-up
   (:mod:`segmentation.postprocess`) matters.

References
----------
Hubert, L. and Arabie, P. (1985). Comparing partitions. *Journal of
Classification*, 2(1), 193-218. :doi:`10.1007/BF01908075`

Meila, M. (2007). Comparing clusterings - an information based distance.
*Journal of Multivariate Analysis*, 98(5), 873-895. :doi:`10.1016/j.jmva.2006.11.013`

Unnikrishnan, R., Pantofaru, C. and Hebert, M. (2007). Toward objective
evaluation of image segmentation algorithms. *IEEE TPAMI*, 29(6), 929-944.
:doi:`10.1109/TPAMI.2007.1046`

Martin, D. R., Fowlkes, C. C. and Malik, J. (2004). Learning to detect natural
image boundaries using local brightness, color, and texture cues. *IEEE TPAMI*,
26(5), 530-549. :doi:`10.1109/TPAMI.2004.1273918`

Arbeláez, P., Maire, M., Fowlkes, C. and Malik, J. (2011). Contour detection
and hierarchical image segmentation. *IEEE TPAMI*, 33(5), 898-916.
:doi:`10.1109/TPAMI.2010.161`

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
from scipy.ndimage import distance_transform_edt
from scipy.optimize import linear_sum_assignment
from skimage import measure
from skimage.metrics import variation_of_information

from ._validation import check_data_matrix, check_float, check_image, check_labels

__all__ = [
    "BoundaryScores",
    "Confusion",
    "GroundTruthScores",
    "STATISTICS_COLUMNS",
    "SegmentMatch",
    "SegmentStats",
    "SegmentationQuality",
    "boundary_scores",
    "compare_to_ground_truth",
    "confusion_matrix",
    "evaluate_segmentation",
    "probabilistic_rand_index",
    "segment_statistics",
    "segmentation_covering",
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
    return _segment_statistics(rgb, labels, features, centers)


def _segment_statistics(rgb, labels, features, centers) -> tuple[SegmentStats, ...]:
    """:func:`segment_statistics` of validated input (``segment()`` validated it already).

    ``rgb`` (H, W, 3) float32 in [0, 1], ``labels`` (H, W) integers in
    ``[0, k)``, ``features`` (H * W, d) and ``centers`` (k, d) finite float32,
    as the validation gives them (the distances are measured in float32 units).
    """
    height, width = labels.shape
    n_pixels = height * width
    n_segments = centers.shape[0]
    # intp once: bincount would convert uint8 labels again at every call.
    flat = labels.reshape(-1).astype(np.intp)  # (n,), row-major like features

    # Every per-segment sum is one bincount over the flat labels: O(n), no pixel loop.
    counts = np.bincount(flat, minlength=n_segments)  # (k,)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty segments give 0/0 = NaN
        compactness = _distance_sums(features, centers, flat) / counts  # (k,)
        centroid_rows, centroid_cols = _position_sums(flat.reshape(height, width), n_segments)
        centroid_rows, centroid_cols = centroid_rows / counts, centroid_cols / counts
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


def _position_sums(labels: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the row and of the column indices of each segment's pixels, (k,) each.

    Counted, not added up pixel by pixel: one bincount of (row, segment) pairs
    and one of (column, segment) pairs, then a product with the indices. The
    sums are integers, exact in float64, whatever the order of the additions.
    """
    height, width = labels.shape
    per_row = np.bincount((labels + n_segments * np.arange(height)[:, None]).reshape(-1),
                          minlength=n_segments * height).reshape(height, n_segments)
    per_col = np.bincount((labels + n_segments * np.arange(width)[None, :]).reshape(-1),
                          minlength=n_segments * width).reshape(width, n_segments)
    return (np.arange(height, dtype=np.float64) @ per_row,
            np.arange(width, dtype=np.float64) @ per_col)


def _distance_sums(features: np.ndarray, centers: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Sum, per segment, of the Euclidean distances of its pixels to its centre.

    Assumes validated input. Works in chunks of rows so that the temporary
    ``features - centers[labels]`` array stays small on large photos.
    """
    n_segments = centers.shape[0]
    sums = np.zeros(n_segments, dtype=np.float64)
    for start in range(0, features.shape[0], _CHUNK_ROWS):
        # intp: NumPy gathers rows with intp indices several times faster than with uint8
        chunk_labels = flat[start:start + _CHUNK_ROWS].astype(np.intp, copy=False)  # (c,)
        # (mode="wrap" wraps nothing, the labels are in range; it skips the bounds check)
        diff = features[start:start + _CHUNK_ROWS] - np.take(centers, chunk_labels, axis=0,
                                                             mode="wrap")
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
    truth_values, truth_index = _values_and_index(truth)
    pred_values, pred_index = _values_and_index(labels)
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


# --------------------------------------------------------------------------- #
# More scores against a ground truth: Rand index, covering, boundaries,
# confusion, and the whole report on connected regions
# --------------------------------------------------------------------------- #
def _values_and_index(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(labels.ravel(), return_inverse=True)`` for validated label images.

    Segment labels are small non-negative integers, so a count per possible
    value finds the values present and a look-up table numbers them: two O(n)
    passes instead of np.unique's sort (2 ms instead of 10 at 512 x 512).
    Labels too large for a table of about the image's size take np.unique.
    """
    flat = labels.reshape(-1)
    top = int(flat.max())
    if top > max(flat.size, 1 << 16):
        return np.unique(flat, return_inverse=True)
    values = np.flatnonzero(np.bincount(flat, minlength=top + 1))  # present, increasing
    number_of = np.zeros(top + 1, dtype=np.intp)
    number_of[values] = np.arange(values.size)
    return values.astype(flat.dtype), number_of[flat]


def _contingency(labels: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table, truth_values, predicted_values): pixels in truth segment i and predicted j.

    Assumes validated label images of the same shape.
    """
    truth_values, truth_index = _values_and_index(truth)
    pred_values, pred_index = _values_and_index(labels)
    n_truth, n_pred = truth_values.size, pred_values.size
    if n_truth * n_pred > _MAX_TABLE_CELLS:
        raise ValueError(
            f"truth has {n_truth} segments and labels {n_pred}: their contingency table of "
            f"{n_truth * n_pred} cells exceeds the limit of {_MAX_TABLE_CELLS}"
        )
    table = np.bincount(
        truth_index.reshape(-1).astype(np.int64) * n_pred + pred_index.reshape(-1),
        minlength=n_truth * n_pred,
    ).reshape(n_truth, n_pred)  # (n_truth, n_pred) int64
    return table, truth_values, pred_values


def _check_pair(labels, truth) -> tuple[np.ndarray, np.ndarray]:
    """Validate a predicted and a true label image of the same shape."""
    labels = check_labels(labels, "labels")
    truth = check_labels(truth, "truth")
    if labels.shape != truth.shape:
        raise ValueError(
            f"labels and truth must have the same shape, got labels {labels.shape} "
            f"and truth {truth.shape}"
        )
    return labels, truth


@dataclass(frozen=True)
class Confusion:
    """Pixels shared by every true region and every predicted segment."""

    table: np.ndarray  # (n_truth, n_predicted) int64, table[i, j] = pixels in truth i and predicted j
    truth_labels: np.ndarray  # (n_truth,) label value of each row, increasing
    predicted_labels: np.ndarray  # (n_predicted,) label value of each column, increasing


def confusion_matrix(labels, truth) -> Confusion:
    """The contingency table between predicted segments and true regions.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Predicted segmentation.
    truth : (H, W) array_like of int or bool
        Ground truth.

    Returns
    -------
    Confusion
        ``table[i, j]`` is the number of pixels in true region
        ``truth_labels[i]`` and predicted segment ``predicted_labels[j]``;
        only labels present appear. Rows sum to the true region sizes.

    Raises
    ------
    ValueError
        If an input is not a label image, the shapes differ, or the table
        would exceed 25 million cells.

    Examples
    --------
    >>> confusion = confusion_matrix(np.array([[7, 7, 7, 3]]), np.array([[0, 0, 1, 1]]))
    >>> confusion.table.tolist(), confusion.predicted_labels.tolist()
    ([[0, 2], [1, 1]], [3, 7])
    """
    table, truth_values, pred_values = _contingency(*_check_pair(labels, truth))
    for array in (table, truth_values, pred_values):
        array.flags.writeable = False
    return Confusion(table, truth_values, pred_values)


def _rand_index(table: np.ndarray) -> float:
    """Rand index from a contingency table: the share of pixel pairs both agree on.

    Pairs together in both + pairs apart in both, over all pairs; in exact integers.
    """
    all_pairs = _pairs(np.array([table.sum()]))
    if all_pairs == 0:  # a single pixel: nothing to disagree on
        return 1.0
    together = _pairs(table)
    apart = all_pairs - _pairs(table.sum(axis=1)) - _pairs(table.sum(axis=0)) + together
    return (together + apart) / all_pairs


def probabilistic_rand_index(labels, truths) -> float:
    r"""Probabilistic Rand index: the Rand index averaged over several ground truths.

    For a pair of pixels, a human segmentation set gives the probability that
    they belong together (the share of annotators who put them together); the
    PRI is the mean, over all pixel pairs, of the probability that the
    prediction agrees (Unnikrishnan, Pantofaru & Hebert 2007). That equals the
    mean of the Rand indices against each ground truth; with one ground
    truth it *is* the Rand index.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Predicted segmentation.
    truths : (H, W) array_like of int, or a sequence of them
        One ground truth, or several of the same image.

    Returns
    -------
    float
        In [0, 1]; 1 for a prediction equal (up to renaming) to every truth.

    Raises
    ------
    ValueError
        If an input is not a label image, shapes differ, or ``truths`` is empty.

    Notes
    -----
    .. math:: RI = \frac{\binom{n}{2} + 2\sum_{ij}\binom{n_{ij}}{2}
              - \sum_i\binom{a_i}{2} - \sum_j\binom{b_j}{2}}{\binom{n}{2}}

    Unlike the ARI it is not corrected for chance: two random partitions into
    many segments already score high, because most pairs are apart in both.

    Examples
    --------
    >>> truth = np.array([[0, 0, 1, 1]])
    >>> probabilistic_rand_index(np.array([[0, 0, 0, 1]]), truth)  # 3 of 6 pairs agree
    0.5
    >>> probabilistic_rand_index(truth, [truth, 1 - truth])
    1.0
    """
    if isinstance(truths, (list, tuple)):
        if not truths:
            raise ValueError("truths must hold at least one ground truth, got an empty sequence")
    else:
        truths = [truths]
    scores = []
    for truth in truths:
        labels_checked, truth = _check_pair(labels, truth)
        scores.append(_rand_index(_contingency(labels_checked, truth)[0]))
    return float(np.mean(scores))


def segmentation_covering(labels, truth) -> float:
    r"""Covering of the ground truth by the prediction (Arbeláez et al. 2011).

    Each true region R finds the predicted segment that overlaps it best (by
    intersection over union, not one-to-one); the covering is the mean of
    these IoUs weighted by region size:
    :math:`C = \frac{1}{N}\sum_{R} |R| \max_{R'} IoU(R, R')`.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Predicted segmentation.
    truth : (H, W) array_like of int or bool
        Ground truth.

    Returns
    -------
    float
        In (0, 1]; 1 when every true region is exactly a predicted segment.

    Raises
    ------
    ValueError
        If an input is not a label image, the shapes differ, or the table
        would exceed 25 million cells.

    Examples
    --------
    >>> truth = np.array([[0, 0, 1, 1]])
    >>> segmentation_covering(np.array([[0, 0, 0, 1]]), truth)  # (2 * 2/3 + 2 * 1/2) / 4
    0.5833333333333333
    """
    labels, truth = _check_pair(labels, truth)
    return _covering(_contingency(labels, truth)[0])


def _covering(table: np.ndarray) -> float:
    """Covering from a contingency table (truth rows, predicted columns)."""
    truth_sizes = table.sum(axis=1)  # (n_truth,)
    union = truth_sizes[:, None] + table.sum(axis=0)[None, :] - table
    best_iou = (table / union).max(axis=1)  # (n_truth,)
    return float((truth_sizes * best_iou).sum() / truth_sizes.sum())


@dataclass(frozen=True)
class BoundaryScores:
    """How well predicted boundaries lie on true ones, within a tolerance."""

    precision: float  # share of predicted boundary pixels within `tolerance` of a true boundary
    recall: float  # share of true boundary pixels within `tolerance` of a predicted boundary
    f_measure: float  # harmonic mean of precision and recall (0 if both are 0)
    tolerance: float  # the distance allowed, in pixels


def boundary_scores(labels, truth, tolerance: float = 2.0) -> BoundaryScores:
    """Boundary precision and recall within ``tolerance`` pixels (Martin et al. 2004).

    A boundary pixel is a pixel with a 4-neighbour of another label (both
    sides of a border are boundary pixels, as in
    :func:`skimage.segmentation.find_boundaries` with ``mode="thick"``). A
    predicted boundary pixel is correct if a true boundary pixel lies within
    Euclidean distance ``tolerance``; recall is the same the other way round.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Predicted segmentation.
    truth : (H, W) array_like of int or bool
        Ground truth.
    tolerance : float, optional
        Largest distance in pixels at which a boundary still counts as found.

    Returns
    -------
    BoundaryScores
        Precision, recall and F-measure. With no predicted boundary the
        precision is 1 (nothing claimed, nothing wrong); with no true
        boundary the recall is 1.

    Raises
    ------
    ValueError
        If an input is not a label image, the shapes differ, or
        ``tolerance`` is negative.

    Notes
    -----
    The BSDS benchmark matches boundary pixels one-to-one (a bipartite
    matching); we count distances only, which is simpler and can credit two
    nearby predicted boundaries with one true boundary. Thick boundaries on
    both sides make the score symmetric in the two label images.

    Examples
    --------
    >>> truth = np.zeros((4, 8), dtype=int)
    >>> truth[:, 4:] = 1
    >>> shifted = np.zeros((4, 8), dtype=int)
    >>> shifted[:, 5:] = 1  # the border one pixel to the right
    >>> scores = boundary_scores(shifted, truth, tolerance=1)
    >>> scores.precision, scores.recall
    (1.0, 1.0)
    >>> boundary_scores(shifted, truth, tolerance=0).precision
    0.5
    """
    labels, truth = _check_pair(labels, truth)
    tolerance = check_float(tolerance, "tolerance", low=0)
    predicted, true = _boundaries(labels), _boundaries(truth)
    precision = _share_near(predicted, true, tolerance)
    recall = _share_near(true, predicted, tolerance)
    f_measure = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return BoundaryScores(precision, recall, f_measure, tolerance)


def _boundaries(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels with a 4-neighbour of another label (both sides of each border)."""
    edge = np.zeros(labels.shape, dtype=bool)
    horizontal = labels[:, 1:] != labels[:, :-1]  # (H, W-1) a border between columns
    vertical = labels[1:, :] != labels[:-1, :]  # (H-1, W) a border between rows
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    return edge


def _share_near(these: np.ndarray, those: np.ndarray, tolerance: float) -> float:
    """Share of the True pixels of ``these`` within ``tolerance`` of a True pixel of ``those``."""
    if not these.any():
        return 1.0
    if not those.any():
        return 0.0
    distance = distance_transform_edt(~those)  # (H, W) distance to the nearest pixel of `those`
    return float((distance[these] <= tolerance).mean())


@dataclass(frozen=True)
class SegmentationQuality:
    """Every score of a segmentation against one ground truth (see :func:`evaluate_segmentation`).

    Scores are computed on connected regions when ``connected`` was True.
    Entropies are in bits; multiply by ln 2 = 0.693 for the nats of the BSDS
    benchmark's VoI.
    """

    adjusted_rand: float  # ARI, 1 = identical, about 0 = chance
    rand_index: float  # probabilistic Rand index against this one truth (= Rand index)
    variation_of_information: float  # VI in bits = vi_split + vi_merge; 0 = identical
    vi_split: float  # H(predicted | truth): true regions split apart (over-segmentation)
    vi_merge: float  # H(truth | predicted): true regions merged (under-segmentation)
    covering: float  # size-weighted best IoU of each true region (Arbeláez et al. 2011)
    mean_best_iou: float  # mean IoU of the one-to-one Hungarian matching
    boundary: BoundaryScores  # boundary precision / recall within a tolerance
    n_regions: int  # predicted regions scored (connected regions if `connected`)
    n_truth_regions: int  # true regions scored
    confusion: Confusion  # pixels shared by true regions (rows) and predicted regions (columns)
    matching: tuple[SegmentMatch, ...]  # Hungarian pairs with IoU > 0


def evaluate_segmentation(labels, truth, *, tolerance: float = 2.0,
                          connected: bool = True) -> SegmentationQuality:
    """Score a segmentation against a ground truth with every measure of this module.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Predicted segmentation, e.g. k-means labels.
    truth : (H, W) array_like of int or bool
        Ground truth of the same image.
    tolerance : float, optional
        Boundary tolerance in pixels, see :func:`boundary_scores`.
    connected : bool, optional
        Score connected regions (4-connectivity) instead of label values. A
        k-means segment is a *class* of pixels scattered over the image,
        while a person draws *regions*: two discs of the same blue are two
        regions. With ``connected=True`` (the default, as for human
        benchmarks) both label images are split into connected pieces first,
        so a segment in 300 specks is scored as 300 regions, and the
        clean-up of :mod:`segmentation.postprocess` shows in the scores.

    Returns
    -------
    SegmentationQuality
        ARI, Rand index, VI (split, merge), covering, mean best IoU,
        boundary precision / recall, region counts and the confusion table.

    Raises
    ------
    ValueError
        If an input is not a label image, the shapes differ, ``tolerance``
        is negative, or the table would exceed 25 million cells.
    TypeError
        If ``connected`` is not a bool.

    Examples
    --------
    >>> truth = np.array([[0, 0, 1, 1],
    ...                   [0, 0, 1, 1]])
    >>> quality = evaluate_segmentation(np.array([[4, 4, 2, 2], [4, 4, 2, 2]]), truth)
    >>> quality.adjusted_rand, quality.variation_of_information, quality.covering
    (1.0, 0.0, 1.0)
    >>> split = evaluate_segmentation(np.array([[0, 1, 0, 1], [0, 1, 0, 1]]), truth)
    >>> split.n_regions, split.vi_split, split.vi_merge  # 2 label values, 4 regions
    (4, 1.0, 0.0)
    """
    labels, truth = _check_pair(labels, truth)
    if not isinstance(connected, (bool, np.bool_)):
        raise TypeError(f"connected={connected!r} must be True or False, not {type(connected).__name__}")
    if connected:  # background=-1: every label, 0 included, is a region
        labels = measure.label(labels, background=-1, connectivity=1)
        truth = measure.label(truth, background=-1, connectivity=1)
    table, truth_values, pred_values = _contingency(labels, truth)
    scores = compare_to_ground_truth(labels, truth)
    for array in (table, truth_values, pred_values):
        array.flags.writeable = False
    return SegmentationQuality(
        adjusted_rand=scores.adjusted_rand,
        rand_index=_rand_index(table),
        variation_of_information=scores.variation_of_information,
        vi_split=scores.vi_split,
        vi_merge=scores.vi_merge,
        covering=_covering(table),
        mean_best_iou=scores.mean_best_iou,
        boundary=boundary_scores(labels, truth, tolerance),
        n_regions=int(pred_values.size),
        n_truth_regions=int(truth_values.size),
        confusion=Confusion(table, truth_values, pred_values),
        matching=scores.matching,
    )
