"""Tests for segmentation.benchmark (the method table and its scores), the ground-truth
set loader of segmentation.samples and the label-mask decoder of segmentation.io.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from segmentation.benchmark import (
    TABLE_COLUMNS,
    Scores,
    best_match,
    confusion_by_match,
    format_table,
    methods,
    score_methods,
)
from segmentation.io import ImageLoadError, encode_png, load_label_mask
from segmentation.samples import (
    GROUND_TRUTH_DIR,
    ground_truth_set,
    load_ground_truth_scene,
    load_ground_truth_set,
)


@pytest.fixture
def truth() -> np.ndarray:
    """A 12 x 12 truth: left band 0, top right 1, bottom right 2."""
    labels = np.zeros((12, 12), dtype=np.int64)
    labels[:6, 6:] = 1
    labels[6:, 6:] = 2
    return labels


@pytest.fixture
def scene(truth) -> tuple[str, np.ndarray, np.ndarray]:
    """A 48 x 48 picture of three flat colours whose truth is the regions (scaled x4)."""
    big = truth.repeat(4, axis=0).repeat(4, axis=1)
    colours = np.array([[200, 40, 40], [40, 180, 60], [40, 60, 200]], dtype=np.uint8)
    return "three", colours[big], big


# --------------------------------------------------------------------------- #
# Scores
# --------------------------------------------------------------------------- #
def test_identical_labelling_scores_perfect(truth):
    # Identical: ARI 1, VI 0 (both parts), IoU 1, covering 1, boundaries found exactly.
    scores = Scores.of(truth, truth)
    assert (scores.adjusted_rand, scores.variation_of_information, scores.mean_best_iou) == (1, 0, 1)
    assert (scores.vi_split, scores.vi_merge, scores.rand_index, scores.covering) == (0, 0, 1, 1)
    assert (scores.boundary_precision, scores.boundary_recall, scores.boundary_f) == (1, 1, 1)
    assert scores.n_regions == 3


def test_permuted_labelling_scores_the_same(truth):
    # Label names are arbitrary: 0 -> 7, 1 -> 3, 2 -> 5 scores exactly as the truth itself.
    permuted = np.array([7, 3, 5])[truth]
    assert Scores.of(permuted, truth) == Scores.of(truth, truth)
    # And a permuted *imperfect* labelling scores as the unpermuted one.
    merged = np.where(truth == 2, 1, truth)  # regions 1 and 2 merged
    assert Scores.of(np.array([4, 9, 9])[merged], truth) == Scores.of(merged, truth)


def test_merge_and_split_go_to_their_own_part(truth):
    # Merging two true regions costs only merge bits; splitting one only split bits.
    merged = Scores.of(np.where(truth == 2, 1, truth), truth)
    assert merged.vi_split == 0 and merged.vi_merge > 0
    split = truth.copy()
    split[:, :3] = 3  # the left band cut in two
    cut = Scores.of(split, truth)
    assert cut.vi_merge == 0 and cut.vi_split > 0


# --------------------------------------------------------------------------- #
# The method table
# --------------------------------------------------------------------------- #
def test_method_table_names_and_order():
    # The six methods of the issue, in the table's order; k appears in the hierarchy's name.
    assert [m.name for m in methods(5)] == [
        "k-means (colour)", "k-means (colour+position)", "k-means + clean", "SLIC (400)",
        "Felzenszwalb (500, 500)", "hierarchy (k=5)"]
    with pytest.raises(ValueError, match="k=1"):
        methods(1)


def test_score_methods_rows_progress_and_a_perfect_kmeans(scene):
    # One row per method, one score per scene; k-means on colour finds three flat colours
    # exactly; progress goes 0..total and ends with "done".
    calls = []
    table = score_methods([scene, scene], k=3, progress=lambda *args: calls.append(args))
    assert [row.method for row in table.rows] == [m.name for m in methods(3)]
    assert table.scenes == ("three", "three") and table.k == 3
    kmeans = table.row("k-means (colour)")
    assert kmeans.mean("adjusted_rand") == 1.0 and kmeans.mean("variation_of_information") == 0.0
    assert kmeans.sd("adjusted_rand") == 0.0 and len(kmeans.seconds) == 2
    assert calls[0][:2] == (0, 12) and calls[-1] == (12, 12, "done")
    assert [c[0] for c in calls] == list(range(13))
    with pytest.raises(ValueError, match="not in the table"):
        table.row("watershed")


def test_score_methods_needs_a_scene():
    with pytest.raises(ValueError, match="at least one"):
        score_methods([])


def test_format_table_is_markdown_with_one_row_per_method(scene):
    # The header names the columns bench/quality.py prints; each cell is mean ± sd.
    table = score_methods([scene], k=3)
    lines = format_table(table).splitlines()
    assert len(lines) == 2 + len(table.rows)
    assert all(column in lines[0] for column in TABLE_COLUMNS) and "time (s)" in lines[0]
    assert set(lines[1]) == {"|", "-"}
    assert lines[2].startswith("| k-means (colour) ") and "1.000 ± 0.000" in lines[2]
    assert len({len(line) for line in lines}) == 1  # columns aligned


# --------------------------------------------------------------------------- #
# Confusion and best match
# --------------------------------------------------------------------------- #
def test_confusion_by_match_puts_matches_on_the_diagonal(truth):
    # Segments numbered backwards, plus a stray segment: the matched ones form the
    # diagonal, the stray one comes last.
    labels = np.array([8, 6, 4])[truth]
    labels[0, 0] = 1
    confusion = confusion_by_match(labels, truth)
    assert confusion.predicted_labels.tolist() == [8, 6, 4, 1]
    np.testing.assert_array_equal(np.diag(confusion.table[:, :3]), [71, 36, 36])
    assert confusion.table.sum() == truth.size


def test_best_match_paints_the_truth_and_marks_errors(truth):
    # Regions 1 and 2 merged into segment 5: one of them gets 5 as partner, the other none
    # (-1), and exactly that one is the error.
    labels = np.where(truth == 0, 9, 5)
    match = best_match(labels, truth)
    assert set(np.unique(match.truth_as_segments).tolist()) == {9, 5, -1}
    np.testing.assert_array_equal(match.errors, match.truth_as_segments == -1)
    assert len(np.unique(truth[match.errors])) == 1
    assert match.error_share == pytest.approx(36 / 144)
    assert not best_match(truth, truth).errors.any()


# --------------------------------------------------------------------------- #
# The ground-truth set
# --------------------------------------------------------------------------- #
def test_ground_truth_set_lists_every_scene_on_disk():
    # Every <name>_truth.png of assets/ground_truth is a scene of the set, and only those.
    on_disk = sorted(p.name.removesuffix("_truth.png") for p in GROUND_TRUTH_DIR.glob("*_truth.png"))
    assert list(ground_truth_set()) == on_disk and len(on_disk) >= 12


def test_load_ground_truth_scene_is_read_only_and_matches():
    image, truth = load_ground_truth_scene("shapes_flat")
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    assert truth.shape == (256, 256) and truth.dtype == np.int64
    assert not image.flags.writeable and not truth.flags.writeable
    assert int(truth.max()) + 1 == len(np.unique(truth))
    assert [name for name, _, _ in load_ground_truth_set()] == list(ground_truth_set())


@pytest.mark.parametrize("name", ["nope", "../shapes", None, "shapes"])
def test_unknown_scene_is_a_value_error_listing_the_set(name):
    # "shapes" is a gallery sample, not a scene of the set.
    with pytest.raises(ValueError, match="blobs_jagged"):
        load_ground_truth_scene(name)


# --------------------------------------------------------------------------- #
# Label masks
# --------------------------------------------------------------------------- #
def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_grayscale_mask_values_become_labels_in_order(truth):
    # Gray values 0 / 128 / 255 become labels 0 / 1 / 2.
    mask = encode_png(np.array([0, 128, 255], dtype=np.uint8)[truth])
    labels = load_label_mask(mask, size=truth.shape)
    np.testing.assert_array_equal(labels, truth)
    assert labels.dtype == np.int32 and not labels.flags.writeable


def test_palette_mask_uses_indices(truth):
    # A palette mask (VOC style): the index is the label, whatever the colour.
    image = Image.fromarray((truth * 3).astype(np.uint8), mode="L").convert("P")
    image.putpalette([255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255] + [0] * 747)
    assert image.mode == "P"
    np.testing.assert_array_equal(load_label_mask(png(image), size=truth.shape), truth)


def test_rgb_and_rgba_masks_label_each_colour(truth):
    colours = np.array([[250, 20, 20], [20, 20, 250], [20, 250, 20]], dtype=np.uint8)
    rgb = load_label_mask(encode_png(colours[truth]))
    # Labels follow packed colour order (blue 0x1414fa < green < red), one per colour.
    assert len(np.unique(rgb)) == 3
    assert Scores.of(rgb, truth).adjusted_rand == 1.0
    rgba = np.concatenate([colours[truth], np.full(truth.shape + (1,), 255, np.uint8)], axis=2)
    rgba[0, 0, 3] = 128  # the same red, half transparent: another label
    assert len(np.unique(load_label_mask(encode_png(rgba)))) == 4


def test_sixteen_bit_mask_keeps_close_values_apart():
    # 1000 and 1001 in a 16-bit mask are two labels (no stretching to 8 bits).
    values = np.array([[1000, 1001], [1001, 40000]], dtype=np.uint16)
    labels = load_label_mask(png(Image.fromarray(values)))
    assert labels.tolist() == [[0, 1], [1, 2]]


def test_mask_of_the_wrong_size_names_both_sizes(truth):
    mask = encode_png(truth.astype(np.uint8)[:, :10])  # 10 wide, 12 high
    with pytest.raises(ValueError, match=r"mask is 10 x 12 pixels but the picture is 12 x 12"):
        load_label_mask(mask, size=(12, 12))


def test_size_is_height_then_width():
    # A 3 high x 5 wide mask fits size=(3, 5), not (5, 3).
    mask = encode_png(np.arange(15, dtype=np.uint8).reshape(3, 5))
    assert load_label_mask(mask, size=(3, 5)).shape == (3, 5)
    with pytest.raises(ValueError, match="mask is 5 x 3 pixels but the picture is 3 x 5"):
        load_label_mask(mask, size=(5, 3))


@pytest.mark.parametrize("data", [b"", b"not an image at all", encode_png(np.zeros((4, 4), np.uint8))[:40]],
                         ids=["empty", "text", "truncated"])
def test_corrupt_bytes_are_a_value_error(data):
    with pytest.raises(ValueError) as error:
        load_label_mask(data)
    assert isinstance(error.value, ImageLoadError) and "label mask" in str(error.value)


def test_a_photo_is_too_many_labels():
    # A noisy picture (or a JPEG) has thousands of colours: refused with the advice.
    noise = np.random.default_rng(0).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    with pytest.raises(ImageLoadError, match="at most 256 labels"):
        load_label_mask(encode_png(noise))
    assert load_label_mask(encode_png(noise[:2, :2]), max_labels=4).max() <= 3
