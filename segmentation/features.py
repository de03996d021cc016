"""Per-pixel feature vectors: what k-means sees when it clusters an image.

k-means groups points that are close in Euclidean distance, so *which* numbers
describe a pixel, and on which scale, decides what "similar" means. A
:class:`FeatureSpec` chooses the groups of columns; :func:`extract_features`
turns an (H, W[, 3]) image into an (H*W, d) matrix, one row per pixel in
row-major order. Each group is scaled to a range of about one unit, so no group
wins just because of its units; the weights then say how much a group matters.

======== ================= ========================================== ===============
group    names             value                                      range
======== ================= ========================================== ===============
gray     gray              luminance 0.2125 R + 0.7154 G + 0.0721 B   [0, 1]
rgb      red, green, blue  R, G, B                                    [0, 1]
hsv      hue_cos, hue_sin  0.5 s v cos(2 pi h), 0.5 s v sin(2 pi h)   [-0.5, 0.5]
         saturation, value s, v                                       [0, 1]
lab      L, a, b           L*/100, a*/100, b*/100 (CIELAB, D65)       L [0, 1];
                                                                      a, b ~[-1.1, 1]
texture  texture           local std of luminance / 0.5 * weight      [0, weight]
position row, col          i/(H-1) * weight, j/(W-1) * weight         [0, weight]
centre   center_distance   |(row, col) - (0.5, 0.5)| / sqrt(0.5)      [0, weight]
                           * weight (corners = weight)
======== ================= ========================================== ===============

The texture column is the standard deviation of luminance in a Gaussian window
of sigma ``texture_scale`` pixels, divided by 0.5 (the largest possible for
values in [0, 1]) so that it is comparable across images.
Hue is an angle, so it is placed on a circle (hue 0.01 and 0.99 are
neighbours); the circle's radius is 0.5 s v, the chroma of the HSV cone,
because the hue of a gray or nearly black pixel is noise and should not count.
A group switched on with weight 0 is off: it adds no columns.

References: Smith (1978), "Color gamut transform pairs", SIGGRAPH (HSV);
CIE 15:2004, Colorimetry (CIELAB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage
from skimage import color as skcolor

from ._validation import check_choice, check_float, check_image
from .params import COLOR_SPACES, DEFAULTS  # the one source of choices and defaults

# CIELAB is built so that Euclidean distance (Delta E) means the same on all three
# axes, so one common divisor keeps that geometry: feature distance = Delta E / 100.
# Over the sRGB gamut this gives L in [0, 1], a in [-0.87, 0.99], b in [-1.08, 0.95].
LAB_SCALE = 100.0
# The largest standard deviation of numbers in [0, 1] (half zeros, half ones); a
# fixed divisor, not the image's own maximum, keeps texture comparable across images.
TEXTURE_MAX_STD = 0.5

_COLOR_NAMES = {
    "none": (),
    "gray": ("gray",),
    "rgb": ("red", "green", "blue"),
    "hsv": ("hue_cos", "hue_sin", "saturation", "value"),
    "lab": ("L", "a", "b"),
}
_COLOR_LABELS = {"gray": "gray level", "rgb": "RGB colour", "hsv": "HSV colour",
                 "lab": "CIELAB colour"}
_NO_FEATURE = "Select at least one feature: a colour space, texture, position or distance from centre."


@dataclass(frozen=True)
class FeatureSpec:
    """Which per-pixel features to extract, and how much each group weighs.

    Frozen and hashable, so it can key a cache. A group whose weight is 0 is
    off. Raises ``ValueError`` for an invalid field or when no group is on.

    Examples
    --------
    >>> FeatureSpec(color="hsv", position=True).feature_names
    ('hue_cos', 'hue_sin', 'saturation', 'value', 'row', 'col')
    >>> FeatureSpec.from_weights("rgb", position_weight=0.3).describe()
    'RGB colour + position (weight 0.3)'
    """

    color: str = "rgb"  # colour columns: one of COLOR_SPACES ("none" = no colour)
    texture: bool = False  # add the local-contrast column "texture"
    texture_weight: float = 1.0  # multiplies the texture column, in [0, 10]
    texture_scale: float = 2.0  # Gaussian sigma in pixels of the texture window, in (0, 50]
    position: bool = False  # add normalised "row" and "col" coordinates
    position_weight: float = 0.3  # multiplies row and col, in [0, 10]; larger = more compact segments
    center_distance: bool = False  # add the distance from the image centre
    center_weight: float = 1.0  # multiplies the centre distance, in [0, 10]

    def __post_init__(self) -> None:
        check_choice(self.color, "color", COLOR_SPACES)
        # object.__setattr__ because the dataclass is frozen: store plain bools and
        # floats, so equal specs compare and hash equal whatever types came in.
        for name in ("texture", "position", "center_distance"):
            object.__setattr__(self, name, _check_flag(getattr(self, name), name))
        for name in ("texture_weight", "position_weight", "center_weight"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, low=0, high=10))
        scale = check_float(self.texture_scale, "texture_scale", low=0, high=50)
        if scale == 0:
            raise ValueError("texture_scale=0 must be > 0 and <= 50 (a Gaussian sigma in pixels)")
        object.__setattr__(self, "texture_scale", scale)
        if self.n_features == 0:
            raise ValueError(f"{_NO_FEATURE} Got color='none' and every other group off or with weight 0.")

    @classmethod
    def from_weights(cls, color: str = DEFAULTS.color, texture: bool = DEFAULTS.texture,
                     position_weight: float = DEFAULTS.position_weight,
                     center_weight: float = DEFAULTS.center_weight, *,
                     texture_weight: float = 1.0, texture_scale: float = 2.0) -> FeatureSpec:
        """Build a spec from weights alone, as ``segment()`` does: weight 0 = group off.

        The defaults are those of a run, :data:`segmentation.params.DEFAULTS`.

        Parameters
        ----------
        color : str
            One of :data:`COLOR_SPACES`.
        texture : bool
            Whether to add the texture column.
        position_weight, center_weight : float
            Weights in [0, 10] of position and distance from centre; 0 = off.
        texture_weight, texture_scale : float
            As in the class fields.

        Returns
        -------
        FeatureSpec
            Raises ``ValueError`` as the constructor does.
        """
        return cls(color=color, texture=texture, texture_weight=texture_weight,
                   texture_scale=texture_scale, position=position_weight != 0,
                   position_weight=position_weight, center_distance=center_weight != 0,
                   center_weight=center_weight)

    @property
    def _groups_on(self) -> tuple[bool, bool, bool]:
        """(texture, position, centre distance): on and with a positive weight."""
        return (self.texture and self.texture_weight > 0, self.position and self.position_weight > 0,
                self.center_distance and self.center_weight > 0)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Column names, in column order, computed from the spec alone."""
        texture, position, center = self._groups_on
        return (_COLOR_NAMES[self.color] + ("texture",) * texture + ("row", "col") * position
                + ("center_distance",) * center)

    @property
    def n_features(self) -> int:
        """Number of columns d of the feature matrix."""
        return len(self.feature_names)

    def describe(self) -> str:
        """A short sentence for captions, e.g. ``'RGB colour + position (weight 0.3)'``."""
        texture, position, center = self._groups_on
        parts = [_COLOR_LABELS[self.color]] if self.color != "none" else []
        if texture:
            parts.append(f"texture (sigma {self.texture_scale:g} px, weight {self.texture_weight:g})")
        if position:
            parts.append(f"position (weight {self.position_weight:g})")
        if center:
            parts.append(f"distance from centre (weight {self.center_weight:g})")
        return " + ".join(parts)


class FeatureMatrix(NamedTuple):
    """The features of every pixel, with a name for every column."""

    values: np.ndarray  # (H*W, d) float32 C-contiguous, pixel (i, j) in row i*W + j
    names: tuple[str, ...]  # (d,) column names, equal to spec.feature_names


def position_grid(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised pixel coordinates ``i/(H-1)`` and ``j/(W-1)``, in [0, 1].

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(H, W[, C])``; only the first two entries are used.

    Returns
    -------
    rows : (H, 1) float32 ndarray
        Row coordinates; all 0 when ``H == 1``.
    cols : (1, W) float32 ndarray
        Column coordinates; all 0 when ``W == 1``. ``rows`` and ``cols``
        broadcast together to (H, W).

    Examples
    --------
    >>> rows, cols = position_grid((3, 5))
    >>> rows.ravel().tolist(), cols.ravel().tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    height, width = shape[0], shape[1]
    rows = np.arange(height, dtype=np.float32) / np.float32(max(height - 1, 1))
    cols = np.arange(width, dtype=np.float32) / np.float32(max(width - 1, 1))
    return rows[:, None], cols[None, :]


def extract_features(image, spec: FeatureSpec) -> FeatureMatrix:
    """Turn an image into one feature vector per pixel.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        uint8, bool, or float in [0, 1]. Grayscale is replicated into three
        channels, so it works with every colour space.
    spec : FeatureSpec
        Which columns to build; see the table in the module docstring.

    Returns
    -------
    FeatureMatrix
        ``values`` of shape (H*W, spec.n_features), float32, C-contiguous, in
        row-major pixel order, and ``names == spec.feature_names``.

    Raises
    ------
    ValueError
        If ``image`` has a wrong shape, dtype or value range.
    TypeError
        If ``spec`` is not a :class:`FeatureSpec`.

    Examples
    --------
    >>> image = np.zeros((2, 3), dtype=np.uint8)
    >>> features = extract_features(image, FeatureSpec(color="gray", position=True, position_weight=1))
    >>> features.values.shape, features.names
    ((6, 3), ('gray', 'row', 'col'))
    >>> features.values[5].tolist()
    [0.0, 1.0, 1.0]
    """
    if not isinstance(spec, FeatureSpec):
        raise TypeError(f"spec must be a FeatureSpec, not {type(spec).__name__}")
    rgb = check_image(image)  # (H, W, 3) float32 in [0, 1]
    height, width = rgb.shape[:2]
    names = spec.feature_names
    values = np.empty((height * width, len(names)), dtype=np.float32)  # (n, d)
    # A (H, W, d) view of the same memory: each group writes its columns in place.
    grid = values.reshape(height, width, len(names))
    column = _fill_color(grid, rgb, spec.color)
    texture, position, center = spec._groups_on
    if texture:
        grid[:, :, column] = _local_std(skcolor.rgb2gray(rgb), spec.texture_scale)
        grid[:, :, column] *= np.float32(spec.texture_weight / TEXTURE_MAX_STD)
        column += 1
    rows, cols = position_grid(rgb.shape)
    if position:
        grid[:, :, column] = rows * np.float32(spec.position_weight)
        grid[:, :, column + 1] = cols * np.float32(spec.position_weight)
        column += 2
    if center:
        # A side of one pixel lies on the centre line, so it adds no offset.
        row_offset = rows - 0.5 if height > 1 else np.zeros_like(rows)
        col_offset = cols - 0.5 if width > 1 else np.zeros_like(cols)
        distance = np.hypot(row_offset, col_offset)  # (H, W), corners at sqrt(0.5)
        grid[:, :, column] = distance * np.float32(spec.center_weight / np.sqrt(0.5))
    return FeatureMatrix(values, names)


def _fill_color(grid: np.ndarray, rgb: np.ndarray, color: str) -> int:
    """Write the colour columns into grid[:, :, 0:c]; return c. Assumes valid input."""
    if color == "gray":
        grid[:, :, 0] = skcolor.rgb2gray(rgb)
    elif color == "rgb":
        grid[:, :, :3] = rgb
    elif color == "hsv":
        hue, saturation, value = _rgb_to_hsv(rgb)  # (H, W) float32 each, hue in [0, 1)
        radius = 0.5 * saturation * value  # chroma: 0 for gray or black pixels
        angle = (2 * np.pi) * hue
        grid[:, :, 0] = radius * np.cos(angle)
        grid[:, :, 1] = radius * np.sin(angle)
        grid[:, :, 2] = saturation
        grid[:, :, 3] = value
    elif color == "lab":
        grid[:, :, :3] = skcolor.rgb2lab(rgb)
        grid[:, :, :3] /= np.float32(LAB_SCALE)
    return len(_COLOR_NAMES[color])


def _rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue, saturation and value of float RGB, as ``skimage.color.rgb2hsv`` gives them.

    The same float operations in the same order, so the result is bit for bit
    skimage's (tests/test_features.py checks that on every 8-bit colour class
    and on random floats). It exists for speed alone: skimage reduces along
    the 3-long colour axis and fills hue with boolean masks, 77-97 ms on a
    512 x 512 photo, a quarter of a whole Explore rerun; channel-wise
    maximum and ``where`` take 10 ms.
    """
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = np.maximum(np.maximum(red, green), blue)
    delta = value - np.minimum(np.minimum(red, green), blue)  # the chroma, max - min
    gray = delta == 0  # hue and saturation undefined: 0, as skimage sets them
    saturation = np.divide(delta, value, out=np.zeros_like(delta), where=~gray)
    # Hue on the hexagon: which channel is largest picks the sector. On ties
    # skimage's later assignment wins (blue over green over red), hence the order.
    blue_max, green_max = blue == value, green == value
    numerator = np.where(blue_max, red - green, np.where(green_max, blue - red, green - blue))
    hue = np.divide(numerator, delta, out=np.zeros_like(delta), where=~gray)
    hue += np.where(blue_max, np.float32(4), np.where(green_max, np.float32(2), np.float32(0)))
    hue /= 6.0
    hue %= 1.0  # red-max sectors can be negative: wrap into [0, 1)
    hue[gray] = 0
    return hue, saturation, value


def _local_std(luminance: np.ndarray, sigma: float) -> np.ndarray:
    """Standard deviation of ``luminance`` in a Gaussian window: sqrt(G*x^2 - (G*x)^2).

    Assumes a float32 (H, W) array, which it overwrites to save memory.
    """
    # Variance ignores a shift; centring first avoids cancellation in float32.
    luminance -= np.float32(luminance.mean())
    mean = ndimage.gaussian_filter(luminance, sigma)
    variance = ndimage.gaussian_filter(np.square(luminance), sigma)
    variance -= np.square(mean)
    np.maximum(variance, 0, out=variance)  # rounding can leave tiny negatives
    return np.sqrt(variance, out=variance)


def _check_flag(value, name: str) -> bool:
    """Check that an on/off switch is a bool (a string like "False" would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False, not {type(value).__name__}")
    return bool(value)
