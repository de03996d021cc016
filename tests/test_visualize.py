"""Tests for segmentation.visualize: palette, overlays, boundaries, mean colours, GIF."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from segmentation.visualize import (
    CVD_MATRICES,
    PALETTE,
    PALETTES,
    boundaries,
    color_names,
    colorize,
    convergence_gif,
    downscale_image,
    draw_segment_numbers,
    mask_rgba,
    mean_color_image,
    overlay,
    resize_labels,
    segment_colors,
    segment_label_points,
    simulate_cvd,
)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def photo(rng):
    """A random 6x8 uint8 RGB photo."""
    return rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)


@pytest.fixture
def labels(rng):
    """Random 6x8 labels using all of 0..3."""
    values = rng.integers(0, 4, size=(6, 8))
    values[0, :4] = [0, 1, 2, 3]
    return values


# --------------------------------------------------------------------------- #
# Palette
# --------------------------------------------------------------------------- #
def test_palette_shape_distinct_read_only():
    """PALETTE is 12 distinct uint8 RGB colours that nobody can overwrite."""
    assert PALETTE.shape == (12, 3) and PALETTE.dtype == np.uint8
    assert len(np.unique(PALETTE, axis=0)) == 12
    with pytest.raises(ValueError):
        PALETTE[0, 0] = 1


def test_segment_colors_cycle_and_copy():
    """segment_colors follows the palette, cycles after 12, and returns a writeable copy."""
    colors = segment_colors(14)
    assert colors.shape == (14, 3)
    np.testing.assert_array_equal(colors[:12], PALETTE)
    np.testing.assert_array_equal(colors[12:], PALETTE[:2])
    colors[0] = 0  # must not touch PALETTE
    assert PALETTE[0].tolist() != [0, 0, 0]


def test_segment_colors_rejects_zero():
    """k=0 raises a ValueError naming k."""
    with pytest.raises(ValueError, match="k=0"):
        segment_colors(0)


# --------------------------------------------------------------------------- #
# colorize, overlay, mask_rgba
# --------------------------------------------------------------------------- #
def test_colorize_maps_labels_to_palette(labels):
    """Each pixel gets the palette row of its label."""
    painted = colorize(labels)
    assert painted.shape == (6, 8, 3) and painted.dtype == np.uint8
    np.testing.assert_array_equal(painted, PALETTE[labels])


def test_colorize_custom_colors_and_too_few():
    """User colours are used as given; too few rows raise a ValueError naming colors."""
    painted = colorize(np.array([[1, 0]]), colors=[[1, 2, 3], [4, 5, 6]])
    assert painted.tolist() == [[[4, 5, 6], [1, 2, 3]]]
    with pytest.raises(ValueError, match="colors must have a row for each of the 3 labels"):
        colorize(np.array([[2]]), colors=[[1, 2, 3]])
    with pytest.raises(ValueError, match="colors must hold values in"):
        colorize(np.array([[0]]), colors=[[1, 2, 300]])


def test_overlay_alpha_extremes(photo, labels):
    """alpha=0 gives back the photo, alpha=1 the flat colours of colorize."""
    np.testing.assert_array_equal(overlay(photo, labels, alpha=0.0), photo)
    np.testing.assert_array_equal(overlay(photo, labels, alpha=1.0), colorize(labels))


def test_overlay_half_blend(photo, labels):
    """alpha=0.5 is the rounded average of photo and colours (within 1 for rounding)."""
    expected = (photo.astype(float) + PALETTE[labels]) / 2
    blended = overlay(photo, labels, alpha=0.5)
    assert np.abs(blended - expected).max() <= 0.5 + 1e-6


def test_overlay_grayscale_float_photo():
    """A float grayscale photo is expanded to RGB before blending."""
    gray = np.full((2, 2), 0.4)
    result = overlay(gray, np.zeros((2, 2), dtype=int), alpha=0.0)
    assert result.shape == (2, 2, 3)
    assert (result == 102).all()  # 0.4 * 255


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_overlay_bad_alpha(photo, labels, alpha):
    """alpha outside [0, 1] raises a ValueError naming alpha."""
    with pytest.raises(ValueError, match="alpha"):
        overlay(photo, labels, alpha=alpha)


def test_overlay_shape_mismatch(photo):
    """Labels of another shape than the photo raise a ValueError naming labels."""
    with pytest.raises(ValueError, match=r"labels must have shape \(6, 8\)"):
        overlay(photo, np.zeros((8, 6), dtype=int))


def test_mask_rgba_constant_alpha(labels):
    """RGB channels are colorize's, the alpha channel is round(255 * alpha) everywhere."""
    rgba = mask_rgba(labels, alpha=0.3)
    assert rgba.shape == (6, 8, 4) and rgba.dtype == np.uint8
    np.testing.assert_array_equal(rgba[..., :3], colorize(labels))
    assert (rgba[..., 3] == 76).all()
    with pytest.raises(ValueError, match="alpha"):
        mask_rgba(labels, alpha=2)


# --------------------------------------------------------------------------- #
# boundaries, mean_color_image
# --------------------------------------------------------------------------- #
def _edge_mask(labels):
    """Plain oracle: a pixel is on an edge if a 4-neighbour has a different label."""
    mask = np.zeros(labels.shape, dtype=bool)
    vertical = labels[1:] != labels[:-1]
    horizontal = labels[:, 1:] != labels[:, :-1]
    mask[1:] |= vertical
    mask[:-1] |= vertical
    mask[:, 1:] |= horizontal
    mask[:, :-1] |= horizontal
    return mask


def test_boundaries_mark_edges_only(rng, labels):
    """Edge pixels (both sides) get the colour; all other pixels keep the photo."""
    photo = rng.integers(0, 200, size=(6, 8, 3), dtype=np.uint8)  # never pure (255, 255, 0)
    marked = boundaries(photo, labels, color=(255, 255, 0))
    edges = _edge_mask(labels)
    assert edges.any() and not edges.all()
    assert (marked[edges] == [255, 255, 0]).all()
    np.testing.assert_array_equal(marked[~edges], photo[~edges])


def test_boundaries_two_halves():
    """A vertical split of a 3x6 image marks exactly the two columns along the split."""
    labels = np.repeat([[0, 0, 0, 1, 1, 1]], 3, axis=0)
    marked = boundaries(np.zeros((3, 6), dtype=np.uint8), labels, color=(10, 20, 30))
    assert (marked[:, 2:4] == [10, 20, 30]).all()
    assert (marked[:, [0, 1, 4, 5]] == 0).all()


def test_boundaries_bad_color(photo, labels):
    """An edge colour outside [0, 255] raises a ValueError naming color."""
    with pytest.raises(ValueError, match="color"):
        boundaries(photo, labels, color=(0, 0, 256))


def test_mean_color_image_reproduces_two_color_image():
    """Segments that follow the two colours of a synthetic image reproduce it exactly."""
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    image[:, :3] = (200, 30, 10)
    image[:, 3:] = (5, 90, 250)
    labels = np.zeros((4, 6), dtype=int)
    labels[:, 3:] = 1
    np.testing.assert_array_equal(mean_color_image(image, labels), image)


def test_mean_color_image_averages(photo, labels):
    """Every pixel gets the rounded mean colour of its segment (oracle: per-segment loop)."""
    result = mean_color_image(photo, labels)
    for segment in range(4):
        members = labels == segment
        expected = np.rint(photo[members].mean(axis=0))
        assert (result[members] == expected).all()


# --------------------------------------------------------------------------- #
# Resizing helpers and the GIF
# --------------------------------------------------------------------------- #
def test_resize_labels_nearest():
    """Downscaling a 2x-upsampled label image gives the original; upscaling repeats pixels."""
    small = np.array([[0, 1, 2], [3, 4, 5]])
    big = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    np.testing.assert_array_equal(resize_labels(big, (2, 3)), small)
    np.testing.assert_array_equal(resize_labels(small, (4, 6)), big)
    with pytest.raises(ValueError, match="shape"):
        resize_labels(small, (0, 3))


def test_downscale_image_fits_and_keeps_aspect():
    """The long side shrinks to max_side, the aspect ratio is kept, small images are untouched."""
    image = np.full((300, 120, 3), 77, dtype=np.uint8)
    small = downscale_image(image, 50)
    assert small.shape == (50, 20, 3) and small.dtype == np.uint8
    assert (small == 77).all()  # a flat colour stays flat through Lanczos
    np.testing.assert_array_equal(downscale_image(image, 1000), image)


def test_convergence_gif_frames_size_and_timing(rng):
    """The GIF has one frame per label image (even identical ones), fits max_side and loops."""
    image = rng.integers(0, 256, size=(60, 90, 3), dtype=np.uint8)
    first = rng.integers(0, 3, size=(60, 90))
    second = np.roll(first, 5, axis=1)
    frames = [first, second, second, second]  # converged: last frames identical
    data = convergence_gif(image, frames, max_side=40, duration_ms=100, last_frame_ms=700)
    assert isinstance(data, bytes)
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(frames)
        assert max(gif.size) <= 40 and gif.size == (40, 27)  # 90x60 scaled by 40/90
        assert gif.info.get("loop") == 0
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
    assert durations == [100, 100, 100, 700]


def test_convergence_gif_single_frame():
    """One label image gives a valid one-frame GIF."""
    data = convergence_gif(np.zeros((10, 10), dtype=np.uint8), [np.zeros((10, 10), dtype=int)])
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.n_frames == 1


def test_convergence_gif_validation(photo, labels):
    """Bad alpha, no frames and a frame of the wrong shape raise ValueErrors naming the parameter."""
    with pytest.raises(ValueError, match="alpha"):
        convergence_gif(photo, [labels], alpha=-1)
    with pytest.raises(ValueError, match="label_frames must hold at least one"):
        convergence_gif(photo, [])
    with pytest.raises(ValueError, match=r"label_frames\[1\]"):
        convergence_gif(photo, [labels, labels[:3]])


# --------------------------------------------------------------------------- #
# Palettes under colour vision deficiency
# --------------------------------------------------------------------------- #
# Smallest CIEDE2000 distance the colour-blind-safe palette keeps between any
# two of its first k colours, under simulated deuteranopia and protanopia.
# About 10 is "clearly different side by side"; 2.3 is a just noticeable
# difference (Sharma 2003). The default palette's orange, yellow and green
# fall to 11.5 under deuteranopia from k = 4 on; beyond 8 colours no
# palette keeps much more than 10 under both deficiencies.
SAFE_MIN_DELTA_E = {4: 40.0, 6: 18.0, 12: 10.0}
DICHROMACIES = ("deuteranopia", "protanopia")


def min_delta_e(colors: np.ndarray, deficiency: str | None = None) -> float:
    """Smallest CIEDE2000 distance between two of ``colors`` (k, 3), as seen with ``deficiency``."""
    seen = colors if deficiency is None else simulate_cvd(colors, deficiency)
    lab = rgb2lab(seen[None] / 255.0)[0]  # (k, 3) CIELAB
    first, second = np.triu_indices(len(colors), 1)
    return float(deltaE_ciede2000(lab[first], lab[second]).min())


def required_delta_e(k: int) -> float:
    """The threshold of SAFE_MIN_DELTA_E that applies to a palette of k colours."""
    return SAFE_MIN_DELTA_E[min(limit for limit in SAFE_MIN_DELTA_E if limit >= k)]


def test_simulate_cvd_hand_checked():
    """Grey stays grey (rows of each matrix sum to 1), red and green become alike under deuteranopia."""
    for deficiency, matrix in CVD_MATRICES.items():
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-3)
        grey = simulate_cvd([[128, 128, 128]], deficiency)
        assert np.abs(grey.astype(int) - 128).max() <= 1
    red, green = simulate_cvd([[200, 60, 40], [70, 140, 40]], "deuteranopia").astype(int)
    assert np.abs(red - green).max() < 60  # 140 apart in normal vision on the red channel
    assert simulate_cvd(np.zeros((2, 3, 3), dtype=np.uint8), "protanopia").shape == (2, 3, 3)


@pytest.mark.parametrize("deficiency", DICHROMACIES)
def test_simulate_cvd_is_a_linear_projection(deficiency):
    """A dichromat's colours form a plane: M has rank 2, and in linear RGB the simulated
    colours have no component along M's missing direction (up to uint8 rounding)."""
    matrix = CVD_MATRICES[deficiency]
    assert abs(np.linalg.det(matrix)) < 1e-5
    rng = np.random.default_rng(3)
    colors = rng.integers(100, 160, (200, 3))  # near grey: nothing clipped after the projection
    seen = simulate_cvd(colors, deficiency) / 255.0
    linear = np.where(seen <= 0.04045, seen / 12.92, ((seen + 0.055) / 1.055) ** 2.4)
    missing = np.linalg.svd(matrix)[0][:, 2]  # unit vector orthogonal to every M @ x
    assert np.abs(linear @ missing).max() < 0.005  # rounding to 1/255 moves linear RGB ~0.002
    stimuli = colors / 255.0
    stimuli = np.where(stimuli <= 0.04045, stimuli / 12.92, ((stimuli + 0.055) / 1.055) ** 2.4)
    assert np.abs(stimuli @ missing).max() > 0.02  # the stimuli themselves were not in the plane


def test_simulate_cvd_rejects_bad_input():
    """Unknown deficiency, wrong channel count or values outside [0, 255]: ValueError naming it."""
    with pytest.raises(ValueError, match="deficiency"):
        simulate_cvd([[0, 0, 0]], "achromatopsia")
    with pytest.raises(ValueError, match="RGB triples"):
        simulate_cvd([[0, 0]], "protanopia")
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        simulate_cvd([[0, 0, 300]], "protanopia")


@pytest.mark.parametrize("deficiency", DICHROMACIES)
@pytest.mark.parametrize("k", range(2, 13))
def test_safe_palette_stays_distinct_under_cvd(k, deficiency):
    """Every prefix of the cvd-safe palette keeps its colours apart as a dichromat sees them."""
    assert min_delta_e(segment_colors(k, "cvd-safe"), deficiency) >= required_delta_e(k)


@pytest.mark.parametrize("k", range(3, 13))
def test_safe_palette_beats_default_under_cvd(k):
    """For every k from 3, the safe palette's worst pair (over both deficiencies) beats the default's."""
    def worst(palette):
        return min(min_delta_e(segment_colors(k, palette), d) for d in DICHROMACIES)

    assert worst("cvd-safe") > worst("default")


def test_default_palette_collapses_at_k4():
    """The reason for the safe palette: the default k=4 colours fall below the threshold."""
    assert min_delta_e(segment_colors(4), "deuteranopia") < SAFE_MIN_DELTA_E[4]
    assert min_delta_e(segment_colors(4, "cvd-safe"), "deuteranopia") >= SAFE_MIN_DELTA_E[4]


def test_safe_palette_distinct_in_normal_vision():
    """The safe palette is also a good palette for everyone else: k=4 colours far apart."""
    assert min_delta_e(segment_colors(4, "cvd-safe")) >= 40.0
    assert min_delta_e(PALETTES["cvd-safe"].colors) >= 10.0


def test_palettes_are_complete_and_read_only():
    """Each palette: 12 distinct colours with 12 names, its key matching, nobody can repaint it."""
    for key, palette in PALETTES.items():
        assert palette.key == key
        assert palette.colors.shape == (12, 3) and palette.colors.dtype == np.uint8
        assert len(np.unique(palette.colors, axis=0)) == 12
        assert len(palette.names) == 12 and len(set(palette.names)) == 12
        with pytest.raises(ValueError):
            palette.colors[0, 0] = 1
    assert PALETTES["default"].colors is PALETTE


def test_color_names_follow_segment_colors():
    """color_names cycles like segment_colors; unknown palettes raise naming the argument."""
    assert color_names(13, "cvd-safe")[:2] == ("yellow", "light blue")
    assert color_names(13)[12] == color_names(1)[0]
    with pytest.raises(ValueError, match="palette"):
        segment_colors(3, "rainbow")
    with pytest.raises(ValueError, match="palette"):
        color_names(3, "rainbow")


# --------------------------------------------------------------------------- #
# Segment numbers
# --------------------------------------------------------------------------- #
@pytest.fixture
def c_shape():
    """A 90 x 90 label image: segment 1 is a thick C (its centroid lies in the gap), 0 the rest."""
    labels = np.zeros((90, 90), dtype=np.uint8)
    labels[10:80, 10:80] = 1
    labels[35:55, 35:90] = 0  # the gap of the C, open to the right
    return labels


def test_label_points_inside_non_convex_segment(c_shape):
    """The point of the C lies inside the C although the C's centroid does not."""
    centroid = np.argwhere(c_shape == 1).mean(axis=0).round().astype(int)
    assert c_shape[tuple(centroid)] == 0  # the centroid falls in the gap
    points = segment_label_points(c_shape)
    assert set(points) == {0, 1}
    for label, (row, col) in points.items():
        assert c_shape[row, col] == label


def test_label_points_deepest_pixel():
    """In a 5 x 9 band, the deepest pixels are on the middle row; the one nearest the centroid wins."""
    labels = np.zeros((5, 9), dtype=int)
    assert segment_label_points(labels) == {0: (2, 4)}
    labels[0, 0] = 3  # absent labels (1, 2) get no point
    assert set(segment_label_points(labels)) == {0, 3}


def test_numbers_drawn_inside_their_segment(c_shape):
    """Text pixels (white, or the dark outline) around each point stay inside its segment; deterministic."""
    picture = np.full((90, 90, 3), 128, dtype=np.uint8)  # mid grey: text and outline both differ
    numbered = draw_segment_numbers(picture, c_shape, font_size=14)
    changed = np.any(numbered != picture, axis=-1)  # (H, W) where text was drawn
    assert changed.any()
    points = segment_label_points(c_shape)
    for label, (row, col) in points.items():
        near = np.zeros_like(changed)
        near[max(row - 12, 0):row + 13, max(col - 12, 0):col + 13] = True
        assert np.all(c_shape[changed & near] == label)  # the number's pixels are in its segment
        assert (numbered[row - 7:row + 8, col - 7:col + 8] > 200).all(axis=-1).any()  # white ink
    assert np.all(changed <= np.logical_or.reduce(  # nothing drawn away from the points
        [np.pad(np.ones((25, 25), bool), ((r - 12, 90 - r - 13), (c - 12, 90 - c - 13)))
         for r, c in points.values()]))
    np.testing.assert_array_equal(numbered, draw_segment_numbers(picture, c_shape, font_size=14))
    assert np.all(picture == 128)  # the input is not modified


def test_numbers_first_number_and_default_size(c_shape):
    """Counting from 1 writes other glyphs; the default font scales with the picture."""
    picture = np.zeros((90, 90, 3), dtype=np.uint8)
    from_zero = draw_segment_numbers(picture, c_shape)
    from_one = draw_segment_numbers(picture, c_shape, first_number=1)
    assert not np.array_equal(from_zero, from_one)
    big = draw_segment_numbers(np.zeros((360, 360, 3), np.uint8),
                               np.kron(c_shape, np.ones((4, 4), dtype=np.uint8)))
    assert np.any(big != 0, axis=-1).sum() > 2 * np.any(from_zero != 0, axis=-1).sum()


def test_numbers_bad_input(c_shape):
    """Labels of another shape or a tiny font raise a ValueError naming the argument."""
    with pytest.raises(ValueError, match="labels"):
        draw_segment_numbers(np.zeros((10, 10, 3), np.uint8), c_shape)
    with pytest.raises(ValueError, match="font_size"):
        draw_segment_numbers(np.zeros((90, 90, 3), np.uint8), c_shape, font_size=3)
