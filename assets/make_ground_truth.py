"""Write the ground-truth set: 14 images of 256 x 256 with exact region masks.

Run from the repository root: ``python assets/make_ground_truth.py``. It writes
``assets/ground_truth/<name>.png`` (RGB) and ``<name>_truth.png`` (8-bit
grayscale, pixel value = true region 0..n-1, every region connected). The
files are deterministic (one fixed seed per scene); tests/test_metrics.py
checks that the stored set is complete and valid.

Two families, so that no method is tuned on one kind of picture:

* **synthetic scenes**: shapes (discs, rectangles, polygons, blobs) painted
  with colour, shading (lighting gradients), texture (stripes, speckle) and
  Gaussian noise;
* **texture composites**: scikit-image's CC0 photographs of brick, grass and
  gravel (``skimage.data``; ``rough_wall`` is not in scikit-image 0.26), and
  crops of the CC0 photographs ``chelsea`` and ``coffee``, tinted and pasted
  into region maps with smooth (large, slow displacement) or jagged (small,
  fast displacement) boundaries.

The truth is the region map, split into connected regions; pieces under
40 pixels (slivers a displacement can cut off) join their longest-border
neighbour, so no true region is a speck.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage import data, draw, transform

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation.io import encode_png  # noqa: E402
from segmentation.postprocess import connected_regions, remove_small_regions  # noqa: E402

SIZE = 256  # every image is SIZE x SIZE
OUT_DIR = Path(__file__).resolve().parent / "ground_truth"
MIN_TRUE_REGION = 40  # pixels; smaller pieces of a region map join a neighbour


# --------------------------------------------------------------------------- #
# Region maps
# --------------------------------------------------------------------------- #
def _grid() -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) float coordinates of every pixel, each (SIZE, SIZE)."""
    return np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)


def _displaced(rng, amplitude: float, smoothness: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates moved by smooth random noise: smooth or jagged boundaries.

    ``smoothness`` is the Gaussian sigma of the noise (large = slow, smooth
    waves; small = jagged), ``amplitude`` the largest displacement in pixels.
    """
    rows, cols = _grid()
    moves = []
    for _ in range(2):
        noise = ndi.gaussian_filter(rng.standard_normal((SIZE, SIZE)), smoothness)
        moves.append(amplitude * noise / np.abs(noise).max())
    return rows + moves[0], cols + moves[1]


def _voronoi(rng, n_regions: int, amplitude: float = 0.0, smoothness: float = 8.0) -> np.ndarray:
    """Nearest-seed regions of ``n_regions`` random seeds, boundaries displaced."""
    rows, cols = _displaced(rng, amplitude, smoothness) if amplitude else _grid()
    seeds = rng.uniform(20, SIZE - 20, size=(n_regions, 2))
    distance = (rows[None] - seeds[:, 0, None, None]) ** 2 + (cols[None] - seeds[:, 1, None, None]) ** 2
    return distance.argmin(axis=0)  # (SIZE, SIZE)


def _blobs(rng, n_classes: int, smoothness: float) -> np.ndarray:
    """Classes from thresholded smooth noise: irregular blobs with rounded outlines."""
    field = ndi.gaussian_filter(rng.standard_normal((SIZE, SIZE)), smoothness)
    edges = np.quantile(field, np.linspace(0, 1, n_classes + 1)[1:-1])
    return np.digitize(field, edges)


def _truth(region_map: np.ndarray) -> np.ndarray:
    """Connected regions of a map, specks merged, numbered 0..n-1 as uint8."""
    merged = remove_small_regions(region_map.astype(np.int64), MIN_TRUE_REGION)
    regions = connected_regions(merged)
    if regions.count > 255:
        raise ValueError(f"a truth must have at most 255 regions for an 8-bit PNG, got {regions.count}")
    return regions.labels.astype(np.uint8)


# --------------------------------------------------------------------------- #
# Painting
# --------------------------------------------------------------------------- #
def _texture(name: str, rng) -> np.ndarray:
    """A SIZE x SIZE texture in [0, 1] from a scikit-image photograph (random crop)."""
    if name in ("chelsea", "coffee"):
        photo = getattr(data, name)().astype(np.float64) / 255  # (H, W, 3)
        photo = photo.mean(axis=2)
    else:
        photo = getattr(data, name)().astype(np.float64) / 255  # (512, 512)
        photo = transform.rescale(photo, 0.75, anti_aliasing=True)
    top = rng.integers(0, photo.shape[0] - SIZE + 1)
    left = rng.integers(0, photo.shape[1] - SIZE + 1)
    crop = photo[top:top + SIZE, left:left + SIZE]
    return (crop - crop.mean()) / (crop.std() + 1e-9)  # zero mean, unit spread


def _stripes(rng, period: float) -> np.ndarray:
    """A sinusoidal stripe texture of random direction, zero mean, unit spread."""
    rows, cols = _grid()
    angle = rng.uniform(0, np.pi)
    wave = np.sin(2 * np.pi * (rows * np.cos(angle) + cols * np.sin(angle)) / period)
    return wave * np.sqrt(2)


def _shading(rng, strength: float) -> np.ndarray:
    """A linear lighting gradient across the image: 1 - strength/2 .. 1 + strength/2."""
    rows, cols = _grid()
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (rows * np.cos(angle) + cols * np.sin(angle)) / SIZE
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    return 1 + strength * (ramp - 0.5)


def _paint(region_map: np.ndarray, colours, textures, contrast: float, rng, *,
           shading: float = 0.0, noise: float = 0.0) -> np.ndarray:
    """An RGB uint8 image: region i is colours[i] modulated by textures[i].

    Each pixel is ``colour * (1 + contrast * texture) * shading + noise``.
    """
    colours = np.asarray(colours, dtype=np.float64) / 255  # (n, 3)
    image = np.zeros((SIZE, SIZE, 3))
    for region, (colour, texture) in enumerate(zip(colours, textures)):
        inside = region_map == region
        modulation = 1 + contrast * (texture[inside] if texture is not None else 0)
        image[inside] = colour * np.asarray(modulation)[..., None]
    if shading:
        image *= _shading(rng, shading)[..., None]
    if noise:
        image += rng.normal(0, noise, image.shape)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def _shapes_map(rng, n_shapes: int) -> np.ndarray:
    """Background 0 with discs, rectangles, ellipses and triangles 1..n_shapes painted over."""
    region_map = np.zeros((SIZE, SIZE), dtype=np.int64)
    for shape in range(1, n_shapes + 1):
        kind = shape % 4
        r, c = rng.uniform(40, SIZE - 40, size=2)
        size = rng.uniform(18, 38)
        if kind == 0:
            rr, cc = draw.disk((r, c), size, shape=region_map.shape)
        elif kind == 1:
            rr, cc = draw.rectangle((r - size, c - size * 0.7), (r + size, c + size * 0.7),
                                    shape=region_map.shape)
        elif kind == 2:
            rr, cc = draw.ellipse(r, c, size * 1.3, size * 0.6, shape=region_map.shape,
                                  rotation=rng.uniform(0, np.pi))
        else:
            rr, cc = draw.polygon([r - size, r + size, r + size], [c, c - size, c + size],
                                  shape=region_map.shape)
        region_map[rr, cc] = shape
    return region_map


_PALETTE = [(70, 90, 160), (200, 80, 60), (90, 170, 80), (230, 200, 90), (150, 90, 170),
            (60, 160, 170), (220, 140, 180), (120, 100, 70)]


# --------------------------------------------------------------------------- #
# The scenes
# --------------------------------------------------------------------------- #
def shapes_flat(rng):
    """Six shapes in distinct colours on a gray background, mild noise."""
    region_map = _shapes_map(rng, 6)
    colours = [(128, 128, 128)] + _PALETTE[:6]
    return _paint(region_map, colours, [None] * 7, 0, rng, noise=0.04), region_map


def shapes_shaded(rng):
    """Six shapes under a strong lighting gradient: one colour becomes a ramp."""
    region_map = _shapes_map(rng, 6)
    colours = [(180, 180, 170)] + _PALETTE[2:8]
    return _paint(region_map, colours, [None] * 7, 0, rng, shading=0.9, noise=0.03), region_map


def shapes_textured(rng):
    """Five shapes filled with stripes of different periods, on speckle."""
    region_map = _shapes_map(rng, 5)
    textures = [rng.standard_normal((SIZE, SIZE))] + [_stripes(rng, p) for p in (6, 9, 12, 7, 15)]
    colours = [(110, 110, 120)] + _PALETTE[:5]
    return _paint(region_map, colours, textures, 0.25, rng, noise=0.03), region_map


def shapes_noisy(rng):
    """Seven shapes, low contrast against the background, heavy noise."""
    region_map = _shapes_map(rng, 7)
    colours = [(120, 120, 120), (150, 120, 120), (120, 150, 120), (120, 120, 160),
               (90, 90, 90), (160, 150, 110), (100, 130, 150), (150, 110, 150)]
    return _paint(region_map, colours, [None] * 8, 0, rng, noise=0.09), region_map


def blobs_smooth(rng):
    """Four classes of rounded blobs, shaded and noisy."""
    region_map = _blobs(rng, 4, 14)
    return _paint(region_map, _PALETTE[:4], [None] * 4, 0, rng, shading=0.5, noise=0.05), region_map


def blobs_jagged(rng):
    """Three classes of small, jagged blobs with speckle texture."""
    region_map = _blobs(rng, 3, 8)
    textures = [rng.standard_normal((SIZE, SIZE)) for _ in range(3)]
    return _paint(region_map, _PALETTE[3:6], textures, 0.2, rng, noise=0.03), region_map


def brick_grass_smooth(rng):
    """Brick (red) against grass (green) across one smooth, wavy border."""
    region_map = _voronoi(rng, 2, amplitude=25, smoothness=20)
    textures = [_texture("brick", rng), _texture("grass", rng)]
    return _paint(region_map, [(170, 80, 60), (80, 150, 60)], textures, 0.35, rng), region_map


def brick_grass_gravel_jagged(rng):
    """Five regions of brick, grass and gravel with jagged borders, similar tints."""
    region_map = _voronoi(rng, 5, amplitude=10, smoothness=2.5)
    names = ["brick", "grass", "gravel", "grass", "brick"]
    colours = [(160, 110, 90), (110, 150, 90), (140, 135, 125), (90, 130, 80), (180, 120, 100)]
    textures = [_texture(name, rng) for name in names]
    return _paint(region_map, colours, textures, 0.35, rng), region_map


def gravel_disc_on_grass(rng):
    """A gravel disc lying on grass, smooth border, lit from one side."""
    rows, cols = _grid()
    region_map = ((rows - 120) ** 2 + (cols - 140) ** 2 < 70 ** 2).astype(np.int64)
    textures = [_texture("grass", rng), _texture("gravel", rng)]
    image = _paint(region_map, [(90, 140, 70), (150, 140, 130)], textures, 0.4, rng, shading=0.5)
    return image, region_map


def textures_gray_voronoi(rng):
    """Four gray regions told apart only by texture and a little brightness: hard for colour."""
    region_map = _voronoi(rng, 4, amplitude=15, smoothness=10)
    names = ["brick", "grass", "gravel", "brick"]
    colours = [(120, 120, 120), (135, 135, 135), (110, 110, 110), (150, 150, 150)]
    textures = [_texture(name, rng) for name in names]
    return _paint(region_map, colours, textures, 0.3, rng), region_map


def fur_and_coffee(rng):
    """Crops of the cat (chelsea) and coffee photographs in a jagged three-region map."""
    region_map = _voronoi(rng, 3, amplitude=12, smoothness=3)
    textures = [_texture("chelsea", rng), _texture("coffee", rng), _texture("chelsea", rng)]
    colours = [(170, 120, 80), (90, 60, 40), (200, 190, 170)]
    return _paint(region_map, colours, textures, 0.3, rng, noise=0.02), region_map


def tinted_mosaic(rng):
    """Eight tinted texture tiles with smooth borders, shaded: many regions, some alike."""
    region_map = _voronoi(rng, 8, amplitude=20, smoothness=14)
    names = ["brick", "grass", "gravel", "chelsea", "coffee", "gravel", "grass", "brick"]
    textures = [_texture(name, rng) for name in names]
    return _paint(region_map, _PALETTE, textures, 0.3, rng, shading=0.4), region_map


def striped_halves(rng):
    """Two halves with the same mean colour and different stripes, plus a disc."""
    rows, cols = _grid()
    region_map = (cols > 128 + 20 * np.sin(rows / 30)).astype(np.int64)
    region_map[(rows - 128) ** 2 + (cols - 128) ** 2 < 40 ** 2] = 2
    textures = [_stripes(rng, 8), _stripes(rng, 14), None]
    colours = [(120, 140, 170), (120, 140, 170), (220, 190, 80)]
    return _paint(region_map, colours, textures, 0.35, rng, noise=0.03), region_map


def grass_field_patches(rng):
    """Grass with three patches of gravel and brick, jagged, strongly lit from one side."""
    region_map = np.zeros((SIZE, SIZE), dtype=np.int64)
    patches = _blobs(rng, 5, 9)
    region_map[patches == 4] = 1
    region_map[patches == 0] = 2
    textures = [_texture("grass", rng), _texture("gravel", rng), _texture("brick", rng)]
    colours = [(80, 140, 60), (160, 150, 135), (170, 90, 70)]
    return _paint(region_map, colours, textures, 0.35, rng, shading=0.7, noise=0.02), region_map


SCENES: dict[str, Callable] = {
    "shapes_flat": shapes_flat,
    "shapes_shaded": shapes_shaded,
    "shapes_textured": shapes_textured,
    "shapes_noisy": shapes_noisy,
    "blobs_smooth": blobs_smooth,
    "blobs_jagged": blobs_jagged,
    "brick_grass_smooth": brick_grass_smooth,
    "brick_grass_gravel_jagged": brick_grass_gravel_jagged,
    "gravel_disc_on_grass": gravel_disc_on_grass,
    "textures_gray_voronoi": textures_gray_voronoi,
    "fur_and_coffee": fur_and_coffee,
    "tinted_mosaic": tinted_mosaic,
    "striped_halves": striped_halves,
    "grass_field_patches": grass_field_patches,
}


def make_scene(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The (image (256, 256, 3) uint8, truth (256, 256) uint8) of one scene, deterministic."""
    seed = sorted(SCENES).index(name) + 9000  # one fixed seed per scene
    image, region_map = SCENES[name](np.random.default_rng(seed))
    return image, _truth(region_map)


if __name__ == "__main__":
    OUT_DIR.mkdir(exist_ok=True)
    for name in SCENES:
        image, truth = make_scene(name)
        (OUT_DIR / f"{name}.png").write_bytes(encode_png(image))
        (OUT_DIR / f"{name}_truth.png").write_bytes(encode_png(truth))
        print(f"wrote {name}.png and {name}_truth.png ({int(truth.max()) + 1} regions)")
