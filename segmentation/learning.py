"""From clustering to learning: a pixel classifier trained on a few painted strokes.

k-means groups pixels by how alike their features are; it has no idea what
the user wants. A *classifier* is told: the user paints a few strokes, each
in the colour of a class ("sky", "balloon"...), and a model learns from those
pixels alone which features mean which class, then labels every other pixel.
This is scikit-image's *trainable segmentation* (the ilastik recipe, Sommer et
al. 2011):

1. **Features.** For every pixel, hand-made features at several scales
   (:func:`skimage.feature.multiscale_basic_features`): the colour smoothed by
   Gaussians of ``sigma_min`` to ``sigma_max`` pixels, the edge strength
   (Sobel of each smoothed channel) and texture (eigenvalues of the Hessian).
2. **Training.** A random forest (Breiman 2001) learns class <- features from
   the painted pixels only (:func:`skimage.future.fit_segmenter`).
3. **Prediction.** The forest labels every pixel
   (:func:`skimage.future.predict_segmenter`).

Modern segmentation networks (U-Net, DeepLab) do the same with millions of
labelled pixels, and *learn* the features too instead of using hand-made ones.

This module is the package's only user of scikit-learn, and imports it (and
``skimage.future``) inside :func:`train_pixel_classifier` only: ``import
segmentation`` never loads it. With the same image, strokes, parameters and
``seed`` the result is identical (one thread, a fixed ``random_state``).

Strokes are a label image of the picture's shape: 0 = not painted, 1..n =
the class painted there (scikit-image's convention). :func:`example_scribbles`
makes a few short deterministic scribbles inside the regions of a known
answer (a ground truth, or a k-means result) and :func:`rasterize_scribbles`
paints them into such a label image.

References
----------
Breiman, L. (2001). Random forests. *Machine Learning* 45, 5-32.
Sommer, C., Straehle, C., Koethe, U., Hamprecht, F. A. (2011). ilastik:
Interactive learning and segmentation toolkit. *ISBI 2011*, 230-233.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ._validation import check_float, check_image, check_int, check_labels, check_random_state

__all__ = [
    "MAX_CLASSES",
    "PixelClassifierResult",
    "Scribble",
    "example_scribbles",
    "rasterize_scribbles",
    "train_pixel_classifier",
]

MAX_CLASSES = 5  # classes a student paints at most (one colour each on the page)
MAX_TREES = 300  # n_estimators above this only costs time at teaching size


@dataclass(frozen=True)
class PixelClassifierResult:
    """What a pixel classifier trained on strokes predicts, and what it cost."""

    labels: np.ndarray  # (H, W) int64, read-only: the class (1..n, as painted) of every pixel
    classes: tuple[int, ...]  # the class numbers painted, ascending (>= 2 of them)
    n_training_pixels: int  # painted pixels the forest learned from
    n_features: int  # features per pixel (multiscale colour, edges, texture)
    feature_seconds: float  # wall time of step 1, the features
    fit_seconds: float  # wall time of step 2, training the forest
    predict_seconds: float  # wall time of step 3, labelling every pixel

    @property
    def seconds(self) -> float:
        """Total wall time: features + training + prediction."""
        return self.feature_seconds + self.fit_seconds + self.predict_seconds

    @property
    def n_classes(self) -> int:
        """Number of classes the classifier knows (those painted)."""
        return len(self.classes)


def train_pixel_classifier(image, strokes, *, sigma_min: float = 0.5, sigma_max: float = 4.0,
                           n_estimators: int = 50, max_depth: int = 10,
                           seed: int = 0) -> PixelClassifierResult:
    """Train a random forest on the painted pixels of ``strokes``; label every pixel.

    Parameters
    ----------
    image : (H, W[, 3]) ndarray
        The picture, uint8 or float in [0, 1]; grayscale is used as RGB.
    strokes : (H, W) ndarray of int
        0 where nothing is painted, the class number (1, 2, ...) where a
        stroke of that class was painted. At least two classes must be painted.
    sigma_min, sigma_max : float, optional
        Smallest and largest Gaussian scale of the features, in pixels
        (``0.1 <= sigma_min <= sigma_max <= 64``). Larger scales see more
        context but blur borders and thin details; the defaults suit the
        160 px pictures of the teaching pages (on the gallery's synthetic
        samples, ``sigma_max=16`` labels 1-8 % fewer pixels right than 4).
    n_estimators : int, optional
        Trees in the forest, 1 to 300. More trees vote more smoothly and cost
        more time.
    max_depth : int, optional
        Deepest split of a tree, 1 to 50: a shallow forest cannot memorise the
        noise of a few strokes.
    seed : int, optional
        ``random_state`` of the forest (its bootstrap samples and split
        features); a fixed seed makes the result reproducible.

    Returns
    -------
    PixelClassifierResult
        The predicted class of every pixel, the classes, the number of
        training pixels and features, and the time of each step.

    Raises
    ------
    ValueError
        If ``image`` is not an image, if ``strokes`` is not an (H, W) label
        image of the same height and width, if fewer than two classes are
        painted, or if a parameter is out of range.
    TypeError
        If ``n_estimators``, ``max_depth`` or ``seed`` is not an integer.

    Notes
    -----
    The forest is scikit-learn's ``RandomForestClassifier`` with
    ``n_jobs=1``: a classroom server runs many sessions at once, and one
    thread per training keeps the result and the timing reproducible.

    Examples
    --------
    >>> image = np.zeros((20, 20, 3), dtype=np.uint8)
    >>> image[:, 10:] = 255                     # dark left half, bright right half
    >>> strokes = np.zeros((20, 20), dtype=int)
    >>> strokes[2:18, 3], strokes[2:18, 16] = 1, 2   # one stroke in each half
    >>> result = train_pixel_classifier(image, strokes, sigma_max=2, n_estimators=10)
    >>> result.classes, result.labels[:, :10].tolist() == [[1] * 10] * 20
    ((1, 2), True)
    >>> bool((result.labels[:, 10:] == 2).all())
    True
    """
    rgb = check_image(image)  # (H, W, 3) float32 in [0, 1]
    strokes, classes = _check_strokes(strokes, rgb.shape[:2])
    sigma_min = check_float(sigma_min, "sigma_min", low=0.1, high=64.0)
    sigma_max = check_float(sigma_max, "sigma_max", low=0.1, high=64.0)
    if sigma_max < sigma_min:
        raise ValueError(f"sigma_max={sigma_max:g} must be at least sigma_min={sigma_min:g}")
    n_estimators = check_int(n_estimators, "n_estimators", low=1, high=MAX_TREES)
    max_depth = check_int(max_depth, "max_depth", low=1, high=50)
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    return _train(rgb, strokes, classes, sigma_min, sigma_max, n_estimators, max_depth, seed)


def _check_strokes(strokes, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate a stroke label image; return it as int64 with its painted classes."""
    strokes = check_labels(strokes, "strokes", shape=shape).astype(np.int64, copy=False)
    classes = tuple(int(c) for c in np.unique(strokes) if c > 0)
    if len(classes) < 2:
        painted = "nothing is painted" if not classes else f"only class {classes[0]} is painted"
        raise ValueError(f"strokes must paint at least 2 classes for a classifier to tell apart, "
                         f"but {painted} ({int(np.count_nonzero(strokes))} painted pixels)")
    return strokes, classes


def _train(rgb, strokes, classes, sigma_min, sigma_max, n_estimators, max_depth,
           seed) -> PixelClassifierResult:
    """The three steps, on validated input."""
    # Imported here, not at module level: `import segmentation` must not load scikit-learn.
    from skimage.feature import multiscale_basic_features
    from skimage.future import fit_segmenter, predict_segmenter
    from sklearn.ensemble import RandomForestClassifier

    # 1. Features: smoothed colour, edges and texture at each scale, per pixel.
    start = time.perf_counter()
    features = multiscale_basic_features(rgb, sigma_min=sigma_min, sigma_max=sigma_max,
                                         channel_axis=-1, workers=1)  # (H, W, F)
    features_done = time.perf_counter()
    # 2. Training: the forest sees only the painted pixels (strokes > 0).
    forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth,
                                    n_jobs=1, random_state=seed)
    forest = fit_segmenter(strokes, features, forest)
    fit_done = time.perf_counter()
    # 3. Prediction: every pixel gets the class its features vote for.
    labels = np.asarray(predict_segmenter(features, forest), dtype=np.int64)  # (H, W)
    predict_done = time.perf_counter()
    labels.flags.writeable = False
    return PixelClassifierResult(
        labels=labels, classes=classes, n_training_pixels=int(np.count_nonzero(strokes)),
        n_features=int(features.shape[-1]), feature_seconds=features_done - start,
        fit_seconds=fit_done - features_done, predict_seconds=predict_done - fit_done)


# --------------------------------------------------------------------------- #
# Example strokes from a known answer
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Scribble:
    """One painted stroke: a polyline of pixel centres, all of one class."""

    label: int  # the class painted (1..n)
    points: tuple[tuple[int, int], ...]  # (row, col) of each vertex, in drawing order


def example_scribbles(truth, classes: Sequence[Sequence[int]] | None = None, *,
                      strokes_per_class: int = 2, max_regions: int = 8,
                      seed: int = 0) -> tuple[Scribble, ...]:
    """A few short scribbles inside the regions of a known answer, as a student would paint.

    Each class gets one scribble in each of its largest connected regions (at
    most ``max_regions``), and at least ``strokes_per_class`` in all: a class
    made of several regions (two discs, six balloons) is painted in each.
    A scribble is a short wavy line that keeps away from the region's border.

    Parameters
    ----------
    truth : (H, W) ndarray of int
        The answer the scribbles should teach: a ground truth or a k-means result.
    classes : sequence of sequences of int, optional
        ``classes[i]`` lists the values of ``truth`` that make class ``i + 1``,
        e.g. ``[[0], [1, 2]]`` = background, and both discs as one class. By
        default every value of ``truth`` is a class of its own.
    strokes_per_class : int, optional
        Fewest scribbles per class, 1 to 20.
    max_regions : int, optional
        Most regions of one class that get a scribble, 1 to 50.
    seed : int, optional
        Seed of the random starts and turns: the same seed gives the same scribbles.

    Returns
    -------
    tuple of Scribble
        Class by class; a class with no pixel in ``truth`` gets none.

    Raises
    ------
    ValueError
        If ``truth`` is not a label image, if ``classes`` is empty or repeats
        or misses a value of ``truth``, or a count is out of range.

    Examples
    --------
    >>> truth = np.zeros((40, 40), dtype=int)
    >>> truth[:, 20:] = 1
    >>> scribbles = example_scribbles(truth, seed=0)
    >>> sorted({s.label for s in scribbles}), len(scribbles)
    ([1, 2], 4)
    >>> all(truth[r, c] == s.label - 1 for s in scribbles for r, c in s.points)
    True
    """
    truth = check_labels(truth, "truth")
    class_of = _class_map(truth, classes)  # truth value -> class number, or 0
    strokes_per_class = check_int(strokes_per_class, "strokes_per_class", low=1, high=20)
    max_regions = check_int(max_regions, "max_regions", low=1, high=50)
    rng = check_random_state(check_int(seed, "seed", low=0))
    class_image = class_of[truth]  # (H, W) class number of every pixel
    length = max(4, round(0.12 * min(truth.shape)))  # a short stroke: 12 % of the short side
    scribbles = []
    for label in range(1, int(class_of.max()) + 1):
        # Keep 2 px from the border (less in thin regions): a stroke on a border teaches noise.
        depth = ndimage.distance_transform_edt(np.pad(class_image == label, 1))[1:-1, 1:-1]
        regions, n_regions = ndimage.label(depth > 0)
        if n_regions == 0:
            continue
        sizes = np.bincount(regions.ravel())[1:]  # (n_regions,) pixels per region
        order = np.argsort(-sizes, kind="stable")[:max_regions] + 1
        for number in range(max(strokes_per_class, len(order))):
            region = regions == order[number % len(order)]
            inside = depth >= min(3.0, float(depth[region].max()))
            scribbles.append(Scribble(label, _wavy_line(region & inside, length, rng)))
    return tuple(scribbles)


def _class_map(truth: np.ndarray, classes) -> np.ndarray:
    """Lookup table truth value -> class number (1..n); 0 for values absent from truth."""
    values = [int(v) for v in np.unique(truth)]
    if classes is None:
        classes = [[v] for v in values]
    groups = [[int(v) for v in group] for group in classes]
    if not groups or any(not group for group in groups):
        raise ValueError(f"classes={classes!r} must be a non-empty list of non-empty lists of "
                         "truth values")
    flat = [v for group in groups for v in group]
    if len(set(flat)) != len(flat):
        raise ValueError(f"classes={classes!r} lists a truth value twice")
    missing = sorted(set(values) - set(flat))
    if missing:
        raise ValueError(f"classes={classes!r} misses the truth values {missing}")
    class_of = np.zeros(max(values + flat) + 1, dtype=np.int64)
    for number, group in enumerate(groups, start=1):
        class_of[group] = number
    return class_of


def _wavy_line(allowed: np.ndarray, length: int, rng: np.random.Generator
               ) -> tuple[tuple[int, int], ...]:
    """A polyline of about ``length`` pixels that starts and stays inside ``allowed``."""
    rows, cols = np.nonzero(allowed)
    start = rng.integers(rows.size)
    row, col = float(rows[start]), float(cols[start])
    angle = rng.uniform(0, 2 * np.pi)
    points = [(int(row), int(col))]
    for _ in range(length):
        angle += rng.normal(scale=0.25)  # a slight wave, as a hand draws
        next_row, next_col = row + np.sin(angle), col + np.cos(angle)
        r, c = round(next_row), round(next_col)
        if not (0 <= r < allowed.shape[0] and 0 <= c < allowed.shape[1] and allowed[r, c]):
            angle += np.pi  # the border: turn back rather than cross it
            continue
        row, col = next_row, next_col
        if (r, c) != points[-1]:
            points.append((r, c))
    return tuple(points)


def rasterize_scribbles(scribbles: Sequence[Scribble], shape: tuple[int, int], *,
                        radius: int = 1) -> np.ndarray:
    """Paint scribbles into a stroke label image (0 = not painted, else the class).

    Parameters
    ----------
    scribbles : sequence of Scribble
        Vertices in pixel coordinates; later scribbles paint over earlier ones.
    shape : (int, int)
        ``(H, W)`` of the picture.
    radius : int, optional
        Half-width of the brush in pixels, 0 to 10 (0 = one pixel wide).

    Returns
    -------
    (H, W) ndarray of int64

    Raises
    ------
    ValueError
        If a vertex lies outside ``shape`` or ``radius`` is out of range.

    Examples
    --------
    >>> rasterize_scribbles([Scribble(2, ((0, 0), (0, 3)))], (2, 5), radius=0)
    array([[2, 2, 2, 2, 0],
           [0, 0, 0, 0, 0]])
    """
    from skimage.draw import line

    height, width = (check_int(n, "shape", low=1) for n in shape)
    radius = check_int(radius, "radius", low=0, high=10)
    strokes = np.zeros((height, width), dtype=np.int64)
    brush = ndimage.generate_binary_structure(2, 1)  # a plus-shaped brush, grown `radius` times
    for scribble in scribbles:
        points = np.asarray(scribble.points, dtype=np.int64).reshape(-1, 2)
        if points.size and (points.min() < 0 or (points >= (height, width)).any()):
            raise ValueError(f"scribble of class {scribble.label} leaves the image of shape "
                             f"{(height, width)}")
        path = np.zeros((height, width), dtype=bool)
        for (r0, c0), (r1, c1) in zip(points, points[1:] if len(points) > 1 else points):
            path[line(r0, c0, r1, c1)] = True
        if radius:
            path = ndimage.binary_dilation(path, brush, iterations=radius)
        strokes[path] = scribble.label
    return strokes
