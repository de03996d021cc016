"""Comparing two segmentations of one image: where they disagree, and how their regions look.

Two small ideas the *Side by side* page of the app turns into numbers:

1. **Where two segmentations disagree** (:func:`disagreement`). Segment numbers
   are arbitrary: segment 2 of run A may be segment 0 of run B. So first pair
   the segments of B with those of A one-to-one, maximising the total
   intersection over union (the Hungarian algorithm, Kuhn 1955, as
   :func:`segmentation.metrics.compare_to_ground_truth` does), then mark the
   pixels whose B segment is not paired with their A segment.
2. **What the regions look like** (:func:`region_summary`): the number of
   connected regions (fragmentation), their mean size, and their mean
   compactness, the isoperimetric quotient ``4 pi area / perimeter²``
   weighted by area (Schick et al. 2012). Unlike the inertia, these numbers
   do not depend on the features, so they compare runs on different features.

References
----------
.. [1] H. W. Kuhn, "The Hungarian method for the assignment problem", Naval
       Research Logistics Quarterly 2, 1955.
.. [2] A. Schick, M. Fischer and R. Stiefelhagen, "Measuring and evaluating the
       compactness of superpixels", 21st International Conference on Pattern
       Recognition (ICPR), 2012.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_labels
from .metrics import compare_to_ground_truth
from .postprocess import connected_regions

__all__ = ["Disagreement", "RegionSummary", "disagreement", "region_summary"]


@dataclass(frozen=True)
class Disagreement:
    """Two segmentations of the same pixels, after pairing their segments; arrays read-only."""

    mask: np.ndarray  # (H, W) bool, True where B's segment is not the partner of A's
    fraction: float  # mean of `mask`: share of the pixels in disagreement, in [0, 1]
    b_to_a: dict[int, int]  # segment of B -> its partner in A (unpaired segments are absent)
    adjusted_rand: float  # ARI between A and B (needs no pairing), in [-1, 1]


def disagreement(labels_a, labels_b) -> Disagreement:
    """Pair the segments of B with those of A, and mark the pixels where they differ.

    Parameters
    ----------
    labels_a, labels_b : (H, W) array_like of int
        Two label images of the same picture, non-negative integers; they may
        have different numbers of segments (the extra ones stay unpaired and
        all their pixels count as disagreeing).

    Returns
    -------
    Disagreement

    Raises
    ------
    ValueError
        If either is not a 2-D array of non-negative integers, or their
        shapes differ.

    Examples
    --------
    >>> a = np.array([[0, 0, 1, 1]])
    >>> b = np.array([[7, 7, 7, 3]])  # B's 7 is A's 0, B's 3 is A's 1
    >>> result = disagreement(a, b)
    >>> result.mask.tolist(), result.fraction, result.b_to_a
    ([[False, False, True, False]], 0.25, {7: 0, 3: 1})
    """
    labels_a = check_labels(labels_a, "labels_a")
    labels_b = check_labels(labels_b, "labels_b")
    if labels_a.shape != labels_b.shape:
        raise ValueError(f"labels_a and labels_b must have the same shape, got "
                         f"{labels_a.shape} and {labels_b.shape}")
    # A plays the "truth": its matching pairs each A segment with one B segment.
    scores = compare_to_ground_truth(labels_b, labels_a)
    b_to_a = {match.predicted_label: match.truth_label for match in scores.matching}
    # Partner in A of every B value; -1 (no A segment has it) for unpaired ones.
    lookup = np.full(int(labels_b.max()) + 1, -1, dtype=np.int64)
    for b_label, a_label in b_to_a.items():
        lookup[b_label] = a_label
    mask = lookup[labels_b] != labels_a  # (H, W) bool
    mask.flags.writeable = False
    return Disagreement(mask, float(mask.mean()), b_to_a, scores.adjusted_rand)


@dataclass(frozen=True)
class RegionSummary:
    """The connected regions of a label image, in three numbers."""

    count: int  # connected regions (4-connectivity): more = more fragmented
    mean_size: float  # mean pixels per region
    compactness: float  # area-weighted mean of 4 pi area / perimeter², in (0, pi/4]


def region_summary(labels) -> RegionSummary:
    """Count the connected regions and measure their size and compactness.

    The compactness of a region is its isoperimetric quotient
    ``4 pi A / P²``, with ``A`` its pixel count and ``P`` the number of pixel
    edges on its outline (including those on the border of the picture).
    With this perimeter the best a region of pixels can score is ``pi / 4``
    (a square; a disc scores about the same), a line of pixels scores near
    0. The summary is the mean over regions weighted by area, the measure of
    Schick et al. (2012): the compactness of the region of an average pixel,
    so that a thousand one-pixel specks do not outweigh the picture.

    Parameters
    ----------
    labels : (H, W) array_like of int
        A label image, non-negative integers.

    Returns
    -------
    RegionSummary

    Raises
    ------
    ValueError
        If ``labels`` is not a non-empty 2-D array of non-negative integers.

    Examples
    --------
    >>> summary = region_summary(np.array([[0, 0, 1, 1],
    ...                                    [0, 0, 1, 1]]))
    >>> summary.count, summary.mean_size, round(summary.compactness, 4)  # two 2x2 squares
    (2, 4.0, 0.7854)
    """
    regions = connected_regions(labels)
    index = regions.labels  # (H, W) int32, region of each pixel
    count = regions.count
    # Outline edges: between two pixels of different regions (one for each side),
    # and on the border of the picture.
    perimeter = np.zeros(count, dtype=np.int64)
    for a, b in ((index[:, 1:], index[:, :-1]), (index[1:, :], index[:-1, :])):
        different = a != b
        perimeter += np.bincount(a[different], minlength=count)
        perimeter += np.bincount(b[different], minlength=count)
    for edge in (index[0, :], index[-1, :], index[:, 0], index[:, -1]):
        perimeter += np.bincount(edge, minlength=count)
    areas = regions.sizes.astype(np.float64)  # (count,)
    quotient = 4.0 * np.pi * areas / perimeter.astype(np.float64) ** 2  # (count,)
    return RegionSummary(count=count, mean_size=float(areas.mean()),
                         compactness=float(np.sum(quotient * areas) / areas.sum()))
