"""Tests for segmentation.features: per-pixel feature vectors and their spec."""

from __future__ import annotations

import colorsys
import dataclasses
import itertools
import re

import numpy as np
import pytest
from scipy import ndimage
from skimage import color as skcolor
from skimage import data

from segmentation import features as features_module
from segmentation.features import (
    COLOR_SPACES,
    LAB_SCALE,
    TEXTURE_MAX_STD,
    FeatureMatrix,
    FeatureSpec,
    extract_features,
    position_grid,
)

NO_FEATURE_MESSAGE = "Select at least one feature: a colour space, texture, position or distance from centre."


def _all_specs() -> list[FeatureSpec]:
    """Every combination of colour space and on/off groups that selects something."""
    specs = []
    for color, texture, position, center in itertools.product(COLOR_SPACES, *[(False, True)] * 3):
        if color == "none" and not (texture or position or center):
            continue
        specs.append(FeatureSpec(color=color, texture=texture, position=position,
                                 center_distance=center, position_weight=0.7, center_weight=0.4,
                                 texture_weight=1.5))
    return specs


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def random_rgb(rng) -> np.ndarray:
    """A small random uint8 RGB image, not square, to catch row/column mix-ups."""
    return rng.integers(0, 256, size=(7, 11, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()[::4, ::4]  # (128, 128, 3) uint8, keeps the tests fast


@pytest.fixture(scope="module")
def coins() -> np.ndarray:
    return data.coins()[::3, ::3]  # (101, 128) uint8 grayscale


@pytest.mark.parametrize("spec", _all_specs(), ids=lambda s: s.describe())
def test_names_match_columns_for_every_combination(spec, random_rgb):
    """Each named column equals the same column extracted with its group alone."""
    features = extract_features(random_rgb, spec)
    assert isinstance(features, FeatureMatrix)
    assert features.names == spec.feature_names
    assert features.values.shape == (7 * 11, spec.n_features)
    singles = []
    if spec.color != "none":
        singles.append(FeatureSpec(color=spec.color))
    if spec.texture:
        singles.append(FeatureSpec(color="none", texture=True, texture_weight=spec.texture_weight))
    if spec.position:
        singles.append(FeatureSpec(color="none", position=True, position_weight=spec.position_weight))
    if spec.center_distance:
        singles.append(FeatureSpec(color="none", center_distance=True, center_weight=spec.center_weight))
    expected = {}
    for single in singles:
        alone = extract_features(random_rgb, single)
        expected.update(zip(alone.names, alone.values.T))
    assert set(expected) == set(features.names)
    for index, name in enumerate(features.names):
        np.testing.assert_array_equal(features.values[:, index], expected[name], err_msg=name)


@pytest.mark.parametrize("color", COLOR_SPACES[1:])
def test_values_are_float32_c_contiguous_row_major(color, random_rgb):
    """Output is (H*W, d) float32, C-contiguous, pixel (i, j) in row i*W + j."""
    spec = FeatureSpec(color=color, position=True, position_weight=1.0)
    values = extract_features(random_rgb, spec).values
    assert values.dtype == np.float32
    assert values.flags.c_contiguous
    rows, cols = np.divmod(np.arange(7 * 11), 11)
    np.testing.assert_allclose(values[:, -2], rows / 6, atol=1e-7)
    np.testing.assert_allclose(values[:, -1], cols / 10, atol=1e-7)


def test_rgb_columns_are_the_image_scaled_to_unit_range(random_rgb):
    """RGB features are the pixels divided by 255, in row-major order."""
    values = extract_features(random_rgb, FeatureSpec(color="rgb")).values
    np.testing.assert_allclose(values, random_rgb.reshape(-1, 3) / 255, atol=1e-7)


def test_uint8_and_float_images_give_the_same_features(random_rgb):
    """A uint8 image and the same image as float in [0, 1] are interchangeable."""
    spec = FeatureSpec(color="lab", texture=True)
    from_uint8 = extract_features(random_rgb, spec).values
    from_float = extract_features(random_rgb / 255.0, spec).values
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-5)


@pytest.mark.parametrize("image_name", ["random", "astronaut", "coins"])
def test_every_group_stays_in_its_documented_range(image_name, random_rgb, astronaut, coins):
    """Columns lie in the ranges of the module's scaling table."""
    image = {"random": random_rgb, "astronaut": astronaut, "coins": coins}[image_name]
    eps = 1e-6
    ranges = {
        "gray": (0, 1), "red": (0, 1), "green": (0, 1), "blue": (0, 1),
        "hue_cos": (-0.5, 0.5), "hue_sin": (-0.5, 0.5), "saturation": (0, 1), "value": (0, 1),
        "L": (0, 1), "a": (-0.87, 0.99), "b": (-1.08, 0.95),
        "texture": (0, 2.0), "row": (0, 2.0), "col": (0, 2.0), "center_distance": (0, 2.0),
    }
    for color in COLOR_SPACES[1:]:
        spec = FeatureSpec(color=color, texture=True, texture_weight=2.0, position=True,
                           position_weight=2.0, center_distance=True, center_weight=2.0)
        features = extract_features(image, spec)
        for name, column in zip(features.names, features.values.T):
            low, high = ranges[name]
            assert low - eps <= column.min() and column.max() <= high + eps, name
        if color == "hsv":  # the hue pair lies in a disk of diameter 1
            radius = np.hypot(features.values[:, 0], features.values[:, 1])
            assert radius.max() <= 0.5 + eps


def test_position_and_distance_span_their_full_range(astronaut):
    """Row, column and centre distance reach both ends of [0, weight]."""
    spec = FeatureSpec(color="none", position=True, position_weight=0.3, center_distance=True,
                       center_weight=0.8)
    values = extract_features(astronaut, spec).values
    np.testing.assert_allclose(values.min(axis=0)[:2], [0, 0], atol=1e-7)
    np.testing.assert_allclose(values.max(axis=0), [0.3, 0.3, 0.8], atol=1e-6)


def test_hue_is_circular():
    """Hue 0.01 and 0.99 are neighbours; 0.01 and 0.10 are farther apart."""
    pixels = [colorsys.hsv_to_rgb(hue, 0.8, 0.9) for hue in (0.01, 0.99, 0.10)]
    image = np.array([pixels], dtype=np.float64)  # (1, 3, 3)
    values = extract_features(image, FeatureSpec(color="hsv")).values
    near = np.linalg.norm(values[0] - values[1])
    far = np.linalg.norm(values[0] - values[2])
    assert near < far
    # Hand-computed: chord of the hue circle, radius 0.5 * s * v = 0.36.
    np.testing.assert_allclose(near, 2 * 0.36 * np.sin(np.pi * 0.02), rtol=1e-4)
    np.testing.assert_allclose(far, 2 * 0.36 * np.sin(np.pi * 0.09), rtol=1e-4)


def test_hue_of_gray_and_black_pixels_is_ignored():
    """Gray and black pixels sit at the centre of the hue disk (HSV cone)."""
    image = np.array([[[0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    values = extract_features(image, FeatureSpec(color="hsv")).values
    np.testing.assert_allclose(values[:2, :2], 0, atol=1e-7)
    np.testing.assert_allclose(values[2], [0.5, 0.0, 1.0, 1.0], atol=1e-7)  # pure red


def test_hsv_matches_skimage_oracle(astronaut):
    """Columns rebuild skimage's hue, saturation and value."""
    values = extract_features(astronaut, FeatureSpec(color="hsv")).values
    hsv = skcolor.rgb2hsv(astronaut).reshape(-1, 3)
    np.testing.assert_allclose(values[:, 2:], hsv[:, 1:], atol=1e-6)
    radius = 0.5 * hsv[:, 1] * hsv[:, 2]
    np.testing.assert_allclose(np.hypot(values[:, 0], values[:, 1]), radius, atol=1e-6)
    coloured = radius > 0.05  # where hue is well defined
    hue = np.arctan2(values[coloured, 1], values[coloured, 0]) / (2 * np.pi) % 1.0
    circular_error = np.abs((hue - hsv[coloured, 0] + 0.5) % 1.0 - 0.5)
    assert circular_error.max() < 1e-4


def _all_kinds_of_colour(rng) -> np.ndarray:
    """8-bit colours as float32 (as check_image makes them): random ones, grays, black,
    white, and every tie between channels that picks a different hue sector."""
    colours = rng.integers(0, 256, size=(200_000, 3)).astype(np.float32) / np.float32(255)
    block = len(colours) // 8
    colours[:block] = colours[:block, :1]  # grays: r = g = b
    for i, (a, b) in enumerate([(0, 1), (1, 2), (0, 2)], start=1):  # two largest may tie
        colours[i * block:(i + 1) * block, b] = colours[i * block:(i + 1) * block, a]
    colours[-4:] = [[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 0, 1]]
    return colours


@pytest.mark.parametrize("kind", ["8-bit classes", "random floats"])
def test_rgb_to_hsv_is_skimage_bit_for_bit(kind):
    """The fast HSV conversion equals skimage.color.rgb2hsv exactly (the oracle).

    Exact, not close: the colour-only path of segment() relies on a colour
    getting bit-identical features wherever it is computed.
    """
    rng = np.random.default_rng(7)
    if kind == "8-bit classes":
        rgb = _all_kinds_of_colour(rng)[None]  # (1, n, 3)
    else:
        rgb = rng.random((300, 400, 3), dtype=np.float32)
    ours = np.stack(features_module._rgb_to_hsv(rgb), axis=-1)
    np.testing.assert_array_equal(ours, skcolor.rgb2hsv(rgb))


def test_lab_columns_times_scale_equal_skimage(astronaut):
    """Lab columns times LAB_SCALE are skimage.color.rgb2lab (oracle)."""
    values = extract_features(astronaut, FeatureSpec(color="lab")).values
    expected = skcolor.rgb2lab(astronaut / 255.0).reshape(-1, 3)
    np.testing.assert_allclose(values * LAB_SCALE, expected, atol=2e-3)


def test_lab_distance_is_delta_e_over_100():
    """One common scale keeps CIELAB's geometry: black to white is 100 / 100 = 1."""
    image = np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    values = extract_features(image, FeatureSpec(color="lab")).values
    np.testing.assert_allclose(np.linalg.norm(values[1] - values[0]), 1.0, atol=1e-4)


def test_gray_matches_skimage_luminance(astronaut):
    """The gray column is skimage.color.rgb2gray (oracle)."""
    values = extract_features(astronaut, FeatureSpec(color="gray")).values
    np.testing.assert_allclose(values[:, 0], skcolor.rgb2gray(astronaut).ravel(), atol=1e-6)


@pytest.mark.parametrize("color", COLOR_SPACES[1:])
def test_grayscale_input_works_and_equals_replicated_rgb(color, coins):
    """An (H, W) image gives the same features as its three-channel copy."""
    spec = FeatureSpec(color=color, texture=True)
    flat = extract_features(coins, spec).values
    replicated = extract_features(np.stack([coins] * 3, axis=-1), spec).values
    assert flat.shape == (coins.size, spec.n_features)
    np.testing.assert_array_equal(flat, replicated)
    if color == "gray":
        np.testing.assert_allclose(flat[:, 0], coins.ravel() / 255, atol=1e-6)


def test_position_columns_on_a_3x5_image():
    """Row i/(H-1) and column j/(W-1), times the weight, hand-computed for 3x5."""
    image = np.zeros((3, 5), dtype=np.uint8)
    spec = FeatureSpec(color="none", position=True, position_weight=0.5)
    values = extract_features(image, spec).values
    expected_rows = [0] * 5 + [0.25] * 5 + [0.5] * 5
    expected_cols = [0, 0.125, 0.25, 0.375, 0.5] * 3
    np.testing.assert_allclose(values, np.column_stack([expected_rows, expected_cols]), atol=1e-7)


def test_position_grid_shapes_and_single_pixel_sides():
    """position_grid broadcasts (H, 1) with (1, W); a one-pixel side is 0."""
    rows, cols = position_grid((3, 5, 3))
    assert rows.shape == (3, 1) and cols.shape == (1, 5)
    rows, cols = position_grid((1, 4))
    np.testing.assert_array_equal(rows, [[0.0]])
    np.testing.assert_allclose(cols, [[0, 1 / 3, 2 / 3, 1]], atol=1e-7)


def test_center_distance_is_zero_at_centre_and_weight_at_corners():
    """On 5x5: centre 0, corners = weight, edge middles = weight * 0.5 / sqrt(0.5)."""
    spec = FeatureSpec(color="none", center_distance=True, center_weight=0.6)
    distance = extract_features(np.zeros((5, 5)), spec).values.reshape(5, 5)
    assert distance[2, 2] == 0
    np.testing.assert_allclose(distance[[0, 0, 4, 4], [0, 4, 0, 4]], 0.6, atol=1e-6)
    np.testing.assert_allclose(distance[0, 2], 0.6 * 0.5 / np.sqrt(0.5), atol=1e-6)
    np.testing.assert_allclose(distance, distance.T, atol=1e-7)  # symmetric


def test_center_distance_on_a_single_row():
    """A one-row image lies on the centre line: its middle pixel is at distance 0."""
    spec = FeatureSpec(color="none", center_distance=True)
    distance = extract_features(np.zeros((1, 5)), spec).values[:, 0]
    np.testing.assert_allclose(distance, np.array([0.5, 0.25, 0, 0.25, 0.5]) / np.sqrt(0.5), atol=1e-6)


@pytest.mark.parametrize("level", [0.0, 0.37, 1.0])
def test_texture_is_zero_on_a_flat_image(level):
    """A constant image has no local contrast, whatever its gray level."""
    spec = FeatureSpec(color="none", texture=True, texture_weight=10.0)
    values = extract_features(np.full((40, 30), level), spec).values
    assert np.abs(values).max() < 1e-3


def test_texture_is_high_on_a_checkerboard_and_scales_with_weight():
    """A 0/1 checkerboard has local std ~0.5, i.e. ~1 after scaling, times the weight."""
    checkerboard = (np.indices((40, 40)).sum(axis=0) % 2).astype(np.float64)
    texture = extract_features(checkerboard, FeatureSpec(color="none", texture=True)).values[:, 0]
    assert texture.min() > 0.9 and texture.max() <= 1.0 + 1e-6
    doubled = extract_features(checkerboard, FeatureSpec(color="none", texture=True,
                                                         texture_weight=2.0)).values[:, 0]
    np.testing.assert_allclose(doubled, 2 * texture, rtol=1e-6)


def test_texture_matches_plain_formula(astronaut):
    """The centred float32 computation equals sqrt(G*x^2 - (G*x)^2) in float64."""
    sigma = 3.0
    luminance = skcolor.rgb2gray(astronaut)  # float64
    plain = np.sqrt(np.maximum(ndimage.gaussian_filter(luminance**2, sigma)
                               - ndimage.gaussian_filter(luminance, sigma) ** 2, 0))
    spec = FeatureSpec(color="none", texture=True, texture_scale=sigma)
    values = extract_features(astronaut, spec).values[:, 0]
    np.testing.assert_allclose(values, plain.ravel() / TEXTURE_MAX_STD, atol=2e-3)


def test_texture_scale_is_the_window_size():
    """A larger sigma spreads the texture of a checkered half into the flat half."""
    image = np.zeros((20, 40))
    image[:, :20] = np.indices((20, 20)).sum(axis=0) % 2  # checkered left half
    reach = {}
    for sigma in (1.0, 4.0):
        spec = FeatureSpec(color="none", texture=True, texture_scale=sigma)
        reach[sigma] = extract_features(image, spec).values.reshape(20, 40)[10, 28]
    assert reach[1.0] < 1e-3 < reach[4.0]


def test_weight_zero_switches_a_group_off():
    """A group switched on with weight 0 adds no columns."""
    spec = FeatureSpec(color="rgb", texture=True, texture_weight=0, position=True, position_weight=0,
                       center_distance=True, center_weight=0)
    assert spec.feature_names == ("red", "green", "blue")
    assert spec.n_features == 3


def test_from_weights_switches_groups_by_weight():
    """from_weights turns a group on exactly when its weight is non-zero."""
    spec = FeatureSpec.from_weights("lab", texture=True, position_weight=0.0, center_weight=0.5)
    assert spec == FeatureSpec(color="lab", texture=True, position=False, position_weight=0.0,
                               center_distance=True, center_weight=0.5)
    assert spec.feature_names == ("L", "a", "b", "texture", "center_distance")
    default = FeatureSpec.from_weights()
    assert default.feature_names == ("red", "green", "blue", "row", "col")
    assert default.position_weight == 0.3 and not default.center_distance


@pytest.mark.parametrize("spec_kwargs", [
    {"color": "none"},
    {"color": "none", "position": True, "position_weight": 0.0},
    {"color": "none", "texture": True, "texture_weight": 0.0, "center_distance": True, "center_weight": 0.0},
])
def test_no_feature_selected_raises_friendly_message(spec_kwargs):
    """A spec with no column at all is refused with a sentence a user understands."""
    with pytest.raises(ValueError, match=re.escape(NO_FEATURE_MESSAGE)):
        FeatureSpec(**spec_kwargs)


def test_from_weights_with_nothing_selected_raises():
    """from_weights('none') with zero weights selects nothing."""
    with pytest.raises(ValueError, match=re.escape(NO_FEATURE_MESSAGE)):
        FeatureSpec.from_weights("none", position_weight=0, center_weight=0)


@pytest.mark.parametrize("spec_kwargs, parameter", [
    ({"color": "RGB"}, "color"),
    ({"color": "xyz"}, "color"),
    ({"position_weight": -0.1}, "position_weight"),
    ({"center_weight": float("nan")}, "center_weight"),
    ({"texture_weight": float("inf")}, "texture_weight"),
    ({"position_weight": 11}, "position_weight"),
    ({"texture_scale": 0}, "texture_scale"),
    ({"texture_scale": 50.5}, "texture_scale"),
])
def test_invalid_spec_raises_value_error_naming_the_parameter(spec_kwargs, parameter):
    """Invalid fields raise ValueError whose message starts with 'parameter='."""
    with pytest.raises(ValueError, match=f"^{parameter}="):
        FeatureSpec(**spec_kwargs)


@pytest.mark.parametrize("spec_kwargs, parameter", [
    ({"texture": "False"}, "texture"),
    ({"position_weight": "0.3"}, "position_weight"),
])
def test_wrong_types_raise_type_error_naming_the_parameter(spec_kwargs, parameter):
    """A string where a flag or number is expected is a TypeError, not a silent truthy value."""
    with pytest.raises(TypeError, match=f"^{parameter}="):
        FeatureSpec(**spec_kwargs)


def test_spec_is_frozen_and_hashable():
    """Equal specs are equal and hash equal (int or float weights); fields cannot change."""
    first = FeatureSpec(color="hsv", position=True, position_weight=1)
    second = FeatureSpec(color="hsv", position=True, position_weight=1.0)
    assert first == second and hash(first) == hash(second)
    assert isinstance(first.position_weight, float)
    assert len({first, second, FeatureSpec(color="lab")}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.color = "rgb"


@pytest.mark.parametrize("spec, sentence", [
    (FeatureSpec(), "RGB colour"),
    (FeatureSpec.from_weights("rgb", position_weight=0.3), "RGB colour + position (weight 0.3)"),
    (FeatureSpec(color="none", texture=True, texture_scale=3), "texture (sigma 3 px, weight 1)"),
    (FeatureSpec(color="lab", center_distance=True, center_weight=0.5),
     "CIELAB colour + distance from centre (weight 0.5)"),
    (FeatureSpec(color="gray", position=True, position_weight=0), "gray level"),
])
def test_describe_gives_a_short_caption(spec, sentence):
    """describe() lists the groups that are on, with their weights."""
    assert spec.describe() == sentence


def test_extract_features_rejects_bad_inputs():
    """Bad images raise ValueError naming 'image'; a non-spec raises TypeError."""
    with pytest.raises(ValueError, match="image"):
        extract_features(np.zeros((4, 4, 4)), FeatureSpec())
    with pytest.raises(ValueError, match="image"):
        extract_features(np.full((4, 4), 2.0), FeatureSpec())
    with pytest.raises(TypeError, match="spec"):
        extract_features(np.zeros((4, 4)), {"color": "rgb"})


# --- behaviours pinned down by mutation testing (README "Mutation testing") ----


def test_texture_scale_is_a_positive_sigma_stored_as_float():
    """texture_scale in (0, 50]: negative and 0 refused, 0.5 accepted, ints stored as float."""
    with pytest.raises(ValueError, match="^texture_scale=-1 must be"):
        FeatureSpec(texture_scale=-1)
    with pytest.raises(ValueError, match=re.escape("must be > 0 and <= 50 (a Gaussian sigma in pixels)")):
        FeatureSpec(texture_scale=0)
    assert FeatureSpec(texture=True, texture_scale=0.5).texture_scale == 0.5
    spec = FeatureSpec(texture=True, texture_scale=np.int64(3))
    assert type(spec.texture_scale) is float and spec.texture_scale == 3.0


def test_from_weights_passes_texture_weight_and_scale_through():
    """from_weights keeps the texture weight and window it is given."""
    spec = FeatureSpec.from_weights("none", texture=True, position_weight=0, center_weight=0,
                                    texture_weight=2.5, texture_scale=4)
    assert (spec.texture_weight, spec.texture_scale) == (2.5, 4.0)


def test_position_grid_is_float32_and_spans_zero_to_one_on_two_pixels():
    """The documented float32 dtype; with two pixels per side the coordinates are 0 and 1."""
    rows, cols = position_grid((2, 2, 3))
    assert rows.dtype == np.float32 and cols.dtype == np.float32
    np.testing.assert_array_equal(rows.ravel(), [0.0, 1.0])
    np.testing.assert_array_equal(cols.ravel(), [0.0, 1.0])


def test_center_distance_on_a_2x2_image_and_a_single_column():
    """Every pixel of a 2x2 image is a corner (distance = weight); a one-column image
    lies on the centre line like a one-row image, so its middle pixel is at 0."""
    spec = FeatureSpec(color="none", center_distance=True, center_weight=0.6)
    corners = extract_features(np.zeros((2, 2)), spec).values[:, 0]
    np.testing.assert_allclose(corners, 0.6, atol=1e-6)
    column = extract_features(np.zeros((5, 1)), spec).values[:, 0]
    np.testing.assert_allclose(column, 0.6 * np.array([0.5, 0.25, 0, 0.25, 0.5]) / np.sqrt(0.5),
                               atol=1e-6)


def test_type_errors_name_the_type_received():
    """A TypeError says which type it got, so the caller sees the mistake."""
    with pytest.raises(TypeError, match="spec must be a FeatureSpec, not dict"):
        extract_features(np.zeros((4, 4)), {"color": "rgb"})
    with pytest.raises(TypeError, match="texture='False' must be True or False, not str"):
        FeatureSpec(texture="False")


def test_faint_texture_on_a_bright_image_is_accurate():
    """Centring before the float32 filters: a 254/255 checkerboard (std 1/510) keeps its
    texture to 0.1 % of the float64 formula; uncentred float32 was 1-4 % off."""
    checkerboard = np.where(np.indices((30, 30)).sum(axis=0) % 2, 255, 254).astype(np.uint8)
    luminance = checkerboard / 255.0
    plain = np.sqrt(np.maximum(ndimage.gaussian_filter(luminance**2, 2.0)
                               - ndimage.gaussian_filter(luminance, 2.0) ** 2, 0))
    values = extract_features(checkerboard, FeatureSpec(color="none", texture=True)).values[:, 0]
    np.testing.assert_allclose(values, plain.ravel() / TEXTURE_MAX_STD, rtol=1e-3)
