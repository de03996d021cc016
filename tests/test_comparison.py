"""segmentation/comparison.py: disagreement after pairing segments, and region summaries."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.comparison import disagreement, region_summary


def test_renumbered_segmentation_agrees_everywhere():
    # The same partition with other numbers: no pixel disagrees, ARI 1.
    a = np.array([[0, 0, 1], [2, 2, 1]])
    b = np.array([[5, 5, 3], [0, 0, 3]])
    result = disagreement(a, b)
    assert not result.mask.any() and result.fraction == 0.0
    assert result.b_to_a == {5: 0, 3: 1, 0: 2}
    assert result.adjusted_rand == 1.0


def test_moved_pixels_are_the_disagreement():
    # Hand-made: B moves one pixel of A's segment 0 into segment 1.
    a = np.array([[0, 0, 0, 1, 1, 1]])
    b = np.array([[1, 1, 0, 0, 0, 0]])  # B's 1 ~ A's 0, B's 0 ~ A's 1, pixel 2 moved
    result = disagreement(a, b)
    assert result.mask.tolist() == [[False, False, True, False, False, False]]
    assert result.fraction == pytest.approx(1 / 6)
    assert not result.mask.flags.writeable


def test_extra_segments_of_b_have_no_partner():
    # A has 2 segments, B 3: B's extra segment stays unpaired, its pixels disagree.
    a = np.array([[0, 0, 1, 1]])
    b = np.array([[0, 2, 1, 1]])
    result = disagreement(a, b)
    assert result.mask.tolist() == [[False, True, False, False]]
    assert 2 not in result.b_to_a


def test_disagreement_needs_equal_shapes():
    with pytest.raises(ValueError, match="same shape"):
        disagreement(np.zeros((2, 2), dtype=int), np.zeros((2, 3), dtype=int))


def test_region_summary_counts_pieces_not_segments():
    # One segment in two separate pieces plus one between them: 3 regions of 2 pixels.
    summary = region_summary(np.array([[0, 1, 0], [0, 1, 0]]))
    assert summary.count == 3 and summary.mean_size == 2.0


def test_compactness_of_a_square_is_pi_over_4_and_a_line_scores_less():
    # A 4 x 4 square alone: area 16, perimeter 16, 4 pi 16 / 256 = pi / 4.
    assert region_summary(np.zeros((4, 4), dtype=int)).compactness == pytest.approx(np.pi / 4)
    # A 1 x 16 line: area 16, perimeter 34.
    line = region_summary(np.zeros((1, 16), dtype=int)).compactness
    assert line == pytest.approx(4 * np.pi * 16 / 34**2)
    assert line < np.pi / 4


def test_compactness_is_weighted_by_area():
    # A 4 x 4 block (pi/4) and a 4 x 1 strip (4 pi 4 / 100): the block's 16 pixels count 4x.
    labels = np.zeros((4, 5), dtype=int)
    labels[:, 4] = 1
    summary = region_summary(labels)
    strip = 4 * np.pi * 4 / 10**2
    assert summary.compactness == pytest.approx((16 * np.pi / 4 + 4 * strip) / 20)
