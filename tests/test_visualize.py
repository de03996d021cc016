"""Tests for segmentation.visualize: palette, overlays, boundaries, mean colours, GIF."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from segmentation.visualize import (
    PALETTE,
    boundaries,
    colorize,
    convergence_gif,
    downscale_image,
    mask_rgba,
    mean_color_image,
    overlay,
    resize_labels,
    segment_colors,
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
