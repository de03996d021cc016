"""Sample images for the lesson, grouped by where segmentation is used.

Every sample works offline: photographs come with scikit-image (all public
domain or CC0, see ``assets/README.md``), and the synthetic images are made
here, with an exact ground-truth label image, and stored in ``assets/``.

The synthetic images are built to teach one lesson each:

* ``shapes``: two discs of the *same* blue far apart. Colour alone cannot tell
  them apart; adding position (``position_weight`` > 0) can.
* ``cells``: round "cells" in two stains on a dark, noisy background, the
  kind of picture a microscopist segments.
* ``stuck``: six small balloons of distinct colours over a big sky and field.
  With k = 8, random starts usually put two centres in the sky or the field and
  none on some balloon, and Lloyd's steps cannot repair it; k-means++ rarely
  does (see :mod:`segmentation.stability`).

Beside the gallery, the *ground-truth set* (``assets/ground_truth/``, made by
``assets/make_ground_truth.py``): fourteen 256 x 256 scenes with exact masks,
on which every method is scored (:func:`ground_truth_set`,
:func:`load_ground_truth_scene`, :mod:`segmentation.benchmark`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from skimage import data, draw

__all__ = [
    "ASSETS_DIR",
    "DEFAULT_SAMPLE",
    "GROUND_TRUTH_DIR",
    "GROUND_TRUTH_SCENES",
    "SAMPLES",
    "SAMPLE_GROUPS",
    "Sample",
    "get_sample",
    "ground_truth_set",
    "load_ground_truth",
    "load_ground_truth_scene",
    "load_ground_truth_set",
    "load_sample",
    "synthetic_cells",
    "synthetic_shapes",
    "synthetic_stuck",
]

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"

SAMPLE_GROUPS = (
    "Everyday photos",
    "Medicine & microscopy",
    "Space",
    "Synthetic with ground truth",
)


@dataclass(frozen=True)
class Sample:
    """One image of the gallery."""

    key: str  # short identifier, used in URLs and file names
    title: str  # name shown to people
    group: str  # one of SAMPLE_GROUPS
    description: str  # one sentence on what to look for
    credit: str  # author and licence
    has_truth: bool = False  # True if an exact ground-truth label image exists
    # The parameters the description talks about, as the app's control keys
    # (k, color, texture, position, position_weight, center, center_weight):
    # the app's "try this" button sets exactly these.
    try_this: Mapping[str, object] = field(default_factory=dict, hash=False)


SAMPLES = (
    Sample("astronaut", "Astronaut", "Everyday photos",
           "A portrait: skin, suit, flag and a dark background.",
           "NASA (Eileen Collins), public domain; via scikit-image",
           try_this={"k": 5, "color": "lab"}),
    Sample("coffee", "Coffee cup", "Everyday photos",
           "A cup on a saucer: few colours, soft shadows.",
           "Rachel Michetti, CC0; via scikit-image",
           try_this={"k": 3}),
    Sample("chelsea", "Chelsea the cat", "Everyday photos",
           "Fur texture: colour alone struggles, texture helps.",
           "Stefan van der Walt, CC0; via scikit-image",
           try_this={"texture": True}),
    Sample("coins", "Greek coins", "Everyday photos",
           "Grayscale: bright coins on a darker background.",
           "Brooklyn Museum, no known copyright restrictions; via scikit-image",
           try_this={"k": 2, "color": "gray", "position": False}),
    Sample("retina", "Retina", "Medicine & microscopy",
           "A fundus photograph: vessels, optic disc and background.",
           "Mikael Häggström, CC0; via scikit-image",
           try_this={"k": 3, "color": "lab"}),
    Sample("immunohistochemistry", "Stained tissue", "Medicine & microscopy",
           "Colonic glands stained brown (DAB) and blue (hematoxylin).",
           "CMMI, no known copyright restrictions; via scikit-image",
           try_this={"k": 3, "color": "lab", "position": False}),
    Sample("cell", "Cell (phase image)", "Medicine & microscopy",
           "One cell in saline, with a banding artefact in the background.",
           "Paul Müller et al., CC0; via scikit-image",
           try_this={"k": 3, "color": "gray", "position": False}),
    Sample("hubble_deep_field", "Hubble deep field", "Space",
           "Galaxies on black: tiny bright segments.",
           "NASA/ESA, public domain; via scikit-image",
           try_this={"k": 2, "color": "gray", "position": False}),
    Sample("rocket", "Rocket launch", "Space",
           "A Falcon 9 on the pad: sky, smoke and structure.",
           "SpaceX, public domain; via scikit-image",
           try_this={"k": 3, "color": "lab"}),
    Sample("shapes", "Shapes (two blue discs)", "Synthetic with ground truth",
           "Two discs of the same blue far apart: colour alone puts them in one segment. Try Lab "
           "colour, k=6, position weight 1: they separate (the big background takes two segments).",
           "Made for this project, CC0", has_truth=True,
           try_this={"k": 6, "color": "lab", "position": True, "position_weight": 1.0}),
    Sample("cells", "Synthetic cells", "Synthetic with ground truth",
           "Two kinds of stained cells on a noisy dark background.",
           "Made for this project, CC0", has_truth=True,
           try_this={"k": 3, "color": "lab", "position": False}),
    Sample("stuck", "Balloons (a stuck start)", "Synthetic with ground truth",
           "Six small balloons over sky and field: with k=8 and RGB colour only, random starts "
           "often leave a balloon without a segment of its own; k-means++ rarely does.",
           "Made for this project, CC0", has_truth=True,
           try_this={"k": 8, "color": "rgb", "position": False}),
)

DEFAULT_SAMPLE = "astronaut"

_BY_KEY = {sample.key: sample for sample in SAMPLES}


def get_sample(key: str) -> Sample:
    """The gallery entry called ``key``.

    Raises
    ------
    ValueError
        If there is no sample of that name.

    Examples
    --------
    >>> get_sample("coins").group
    'Everyday photos'
    """
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        known = ", ".join(_BY_KEY)
        raise ValueError(f"sample={key!r} is not a sample image; choose one of {known}") from None


def load_sample(key: str) -> np.ndarray:
    """Load a sample image as (H, W, 3) uint8 RGB (grayscale samples replicated).

    Raises
    ------
    ValueError
        If there is no sample of that name.
    FileNotFoundError
        If a synthetic sample's file is missing from ``assets/``.

    Examples
    --------
    >>> load_sample("coins").shape
    (303, 384, 3)
    """
    sample = get_sample(key)
    if sample.has_truth:
        image = _read_png(ASSETS_DIR / f"{key}.png")
    else:
        image = getattr(data, key)()
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def load_ground_truth(key: str) -> np.ndarray | None:
    """The exact ground-truth label image (H, W) of a sample, or None if it has none.

    Raises
    ------
    ValueError
        If there is no sample of that name.

    Examples
    --------
    >>> load_ground_truth("astronaut") is None
    True
    >>> sorted(set(load_ground_truth("shapes").ravel().tolist()))
    [0, 1, 2, 3, 4]
    """
    if not get_sample(key).has_truth:
        return None
    return _read_png(ASSETS_DIR / f"{key}_truth.png").astype(np.int64)


# ---------------------------------------------------------------------------
# The ground-truth set: assets/ground_truth/<name>.png and <name>_truth.png
# ---------------------------------------------------------------------------
GROUND_TRUTH_DIR = ASSETS_DIR / "ground_truth"

# Scene name -> what it tests (the docstrings of assets/make_ground_truth.py).
GROUND_TRUTH_SCENES: Mapping[str, str] = {
    "blobs_jagged": "Three classes of small, jagged blobs with speckle texture.",
    "blobs_smooth": "Four classes of rounded blobs, shaded and noisy.",
    "brick_grass_gravel_jagged": "Five regions of brick, grass and gravel with jagged borders, "
                                 "similar tints.",
    "brick_grass_smooth": "Brick (red) against grass (green) across one smooth, wavy border.",
    "fur_and_coffee": "Crops of the cat (chelsea) and coffee photographs in a jagged "
                      "three-region map.",
    "grass_field_patches": "Grass with three patches of gravel and brick, jagged, strongly lit "
                           "from one side.",
    "gravel_disc_on_grass": "A gravel disc lying on grass, smooth border, lit from one side.",
    "shapes_flat": "Six shapes in distinct colours on a gray background, mild noise.",
    "shapes_noisy": "Seven shapes, low contrast against the background, heavy noise.",
    "shapes_shaded": "Six shapes under a strong lighting gradient: one colour becomes a ramp.",
    "shapes_textured": "Five shapes filled with stripes of different periods, on speckle.",
    "striped_halves": "Two halves with the same mean colour and different stripes, plus a disc.",
    "textures_gray_voronoi": "Four gray regions told apart only by texture and a little "
                             "brightness: hard for colour.",
    "tinted_mosaic": "Eight tinted texture tiles with smooth borders, shaded: many regions, "
                     "some alike.",
}


def ground_truth_set() -> tuple[str, ...]:
    """The names of the ground-truth scenes, sorted (each has ``<name>_truth.png``).

    Examples
    --------
    >>> names = ground_truth_set()
    >>> len(names), names[0]
    (14, 'blobs_jagged')
    """
    return tuple(sorted(GROUND_TRUTH_SCENES))


def load_ground_truth_scene(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One scene of the ground-truth set: its picture and its exact mask.

    Parameters
    ----------
    name : str
        One of :func:`ground_truth_set`.

    Returns
    -------
    image : (H, W, 3) uint8 ndarray
        The picture, RGB, read-only.
    truth : (H, W) int64 ndarray
        The true region of every pixel, 0..n-1, read-only.

    Raises
    ------
    ValueError
        If ``name`` is not a scene of the set, or its picture and mask
        differ in size.
    FileNotFoundError
        If a file of the scene is missing (run ``assets/make_ground_truth.py``).

    Examples
    --------
    >>> image, truth = load_ground_truth_scene("striped_halves")
    >>> image.shape, truth.shape, int(truth.max())
    ((256, 256, 3), (256, 256), 2)
    """
    if not isinstance(name, str) or name not in GROUND_TRUTH_SCENES:
        known = ", ".join(ground_truth_set())
        raise ValueError(f"scene={name!r} is not in the ground-truth set; choose one of {known}")
    image = _read_png(GROUND_TRUTH_DIR / f"{name}.png", "make_ground_truth.py")
    truth = _read_png(GROUND_TRUTH_DIR / f"{name}_truth.png", "make_ground_truth.py")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])  # (H, W, 3) uint8
    truth = truth.astype(np.int64)  # (H, W)
    if image.shape[:2] != truth.shape:
        raise ValueError(f"scene {name!r}: picture {image.shape[:2]} and mask {truth.shape} "
                         "differ in size; run assets/make_ground_truth.py again")
    image.flags.writeable = False
    truth.flags.writeable = False
    return image, truth


def load_ground_truth_set() -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    """(name, image, truth) of every scene of :func:`ground_truth_set`, in order."""
    return tuple((name, *load_ground_truth_scene(name)) for name in ground_truth_set())


# ---------------------------------------------------------------------------
# Synthetic images: the functions that made assets/shapes*.png and cells*.png
# (run assets/make_synthetic.py to write them again).
# ---------------------------------------------------------------------------


def synthetic_shapes(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two same-colour discs, a square and a triangle on a sand background.

    Returns
    -------
    image : (360, 480, 3) uint8
    truth : (360, 480) uint8
        0 background, 1 left disc, 2 right disc, 3 square, 4 triangle.
    """
    height, width = 360, 480
    truth = np.zeros((height, width), dtype=np.uint8)
    truth[draw.disk((110, 90), 60, shape=truth.shape)] = 1
    truth[draw.disk((110, 390), 60, shape=truth.shape)] = 2
    truth[220:320, 60:160] = 3
    truth[draw.polygon([320, 320, 200], [300, 440, 370], shape=truth.shape)] = 4
    colors = np.array([[222, 205, 168], [40, 90, 200], [40, 90, 200],
                       [200, 60, 50], [70, 160, 80]], dtype=np.float64)
    return _paint(truth, colors, noise=10.0, seed=seed), truth


def synthetic_cells(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Round cells in two stains (purple, pink) on a dark noisy background.

    Returns
    -------
    image : (320, 420, 3) uint8
    truth : (320, 420) uint8
        0 background, 1 purple cells, 2 pink cells.
    """
    height, width = 320, 420
    rng = np.random.default_rng(seed)
    truth = np.zeros((height, width), dtype=np.uint8)
    for index in range(14):
        # Cells on a jittered grid, so they never touch.
        row = 50 + (index // 5) * 105 + rng.integers(-12, 13)
        col = 45 + (index % 5) * 82 + rng.integers(-10, 11)
        radius = rng.integers(18, 30)
        truth[draw.disk((row, col), radius, shape=truth.shape)] = 1 + index % 2
    colors = np.array([[35, 30, 45], [120, 70, 170], [230, 130, 170]], dtype=np.float64)
    return _paint(truth, colors, noise=14.0, seed=seed + 1), truth


def synthetic_stuck(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Six small balloons of distinct colours over a big sky and a big field.

    Made so that k-means with k = 8 on RGB colour has a clear best answer (one
    segment per colour) that random starts rarely find: they draw pixels
    uniformly, so most centres land in the sky and the field (95 % of the
    pixels) and some balloon gets none. A balloon without a centre joins the
    nearest segment, and no Lloyd step can free a centre to take it: a poor
    local minimum. k-means++ draws far-away colours first, so it finds the
    balloons. tests/test_samples.py measures both over 20 seeds.

    Returns
    -------
    image : (240, 320, 3) uint8
    truth : (240, 320) uint8
        0 sky, 1 field, 2..7 balloons (red, yellow, magenta, cyan, white, black).
    """
    height, width = 240, 320
    truth = np.zeros((height, width), dtype=np.uint8)
    truth[150:] = 1  # the field below the horizon
    centres = [(50, 50), (90, 130), (45, 210), (95, 280), (200, 80), (195, 240)]
    for index, centre in enumerate(centres):
        truth[draw.disk(centre, 16, shape=truth.shape)] = 2 + index  # 793 pixels each
    colors = np.array([[150, 185, 225], [95, 150, 70], [215, 40, 45], [245, 215, 50],
                       [190, 60, 190], [40, 215, 215], [250, 250, 250], [25, 25, 30]],
                      dtype=np.float64)
    return _paint(truth, colors, noise=5.0, seed=seed), truth


def _paint(truth, colors, *, noise, seed) -> np.ndarray:
    """Colour each region of ``truth``, add Gaussian noise, return uint8."""
    rng = np.random.default_rng(seed)
    image = colors[truth] + rng.normal(scale=noise, size=truth.shape + (3,))
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _read_png(path: Path, generator: str = "make_synthetic.py") -> np.ndarray:
    """Read a PNG shipped with the project (trusted, so no upload safeguards)."""
    from PIL import Image

    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; run 'python assets/{generator}' to create it"
        )
    with Image.open(path) as image:
        return np.asarray(image).copy()


SYNTHETIC: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "shapes": synthetic_shapes,
    "cells": synthetic_cells,
    "stuck": synthetic_stuck,
}
