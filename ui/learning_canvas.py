"""The painting canvas of *From clustering to learning*: class colours, strokes in and out.

The page paints on ``streamlit-drawable-canvas`` (0.13, a Fabric.js canvas
built on Streamlit's components v2; checked offline in Chromium with
Streamlit 1.67: it shows the picture behind the canvas and returns the
painted layer alone as an RGBA image). This module, free of Streamlit, turns
that layer into a stroke label image at the picture's size
(:func:`strokes_from_canvas`) and draws example scribbles onto the canvas as
Fabric paths (:func:`scribbles_drawing`).

The canvas is the picture scaled up by :func:`canvas_scale` (a 160 px
teaching picture is small to paint on); canvas pixel ``(x, y)`` shows
picture pixel ``(row, col) = (y / scale, x / scale)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from segmentation.learning import MAX_CLASSES, Scribble

__all__ = ["BRUSH_WIDTH", "CANVAS_MAX_SIDE", "CLASS_COLORS", "CLASS_COLOR_NAMES",
           "canvas_scale", "canvas_size", "class_palette", "scribbles_drawing",
           "strokes_from_canvas"]

# One colour per class. These are Streamlit's own Markdown colours (red, blue,
# green, orange, violet), so a label written ":red[■]" shows the brush colour.
CLASS_COLORS = ("#ff4b4b", "#1c83e1", "#21c354", "#ffa421", "#803df5")
CLASS_COLOR_NAMES = ("red", "blue", "green", "orange", "violet")
CANVAS_MAX_SIDE = 352  # px on screen: fits a 390 px phone's column
BRUSH_WIDTH = 10  # px on screen, about 4 picture pixels at the teaching size
# A canvas pixel is a stroke of class c when it is at least half opaque and its
# colour is within this RGB distance of c's colour (the brush's anti-aliased
# edge is semi-transparent; its colour stays the brush colour).
_OPAQUE = 128
_COLOR_TOLERANCE = 60.0


def canvas_scale(shape: tuple[int, ...], max_side: int = CANVAS_MAX_SIDE) -> float:
    """How many screen pixels show one picture pixel: the long side becomes ``max_side``."""
    return max_side / max(shape[:2])


def canvas_size(shape: tuple[int, ...], max_side: int = CANVAS_MAX_SIDE) -> tuple[int, int]:
    """``(width, height)`` of the canvas on screen for a picture of ``shape``."""
    scale = canvas_scale(shape, max_side)
    return round(shape[1] * scale), round(shape[0] * scale)


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def class_palette() -> np.ndarray:
    """(MAX_CLASSES + 1, 3) uint8: row c is the colour of class c (row 0 unused, grey)."""
    return np.array([(128, 128, 128)] + [_rgb(c) for c in CLASS_COLORS], dtype=np.uint8)


def strokes_from_canvas(rgba: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The painted layer of the canvas as a stroke label image of the picture's size.

    Parameters
    ----------
    rgba : (Hc, Wc, 4) ndarray of uint8
        The canvas's painted layer (transparent where nothing is painted).
    shape : (int, int)
        ``(H, W)`` of the picture behind the canvas.

    Returns
    -------
    (H, W) ndarray of int64
        0 = not painted, c = painted in the colour of class c (1..5): each
        picture pixel takes the canvas pixel at its centre.

    Examples
    --------
    >>> layer = np.zeros((4, 4, 4), dtype=np.uint8)
    >>> layer[:2, :2] = (255, 75, 75, 255)    # class 1's red, top-left quarter
    >>> strokes_from_canvas(layer, (2, 2)).tolist()
    [[1, 0], [0, 0]]
    """
    height, width = shape
    canvas_h, canvas_w = rgba.shape[:2]
    rows = np.minimum(((np.arange(height) + 0.5) * canvas_h / height).astype(int), canvas_h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * canvas_w / width).astype(int), canvas_w - 1)
    centres = np.asarray(rgba)[rows[:, None], cols[None, :]]  # (H, W, 4)
    colors = class_palette()[1:].astype(np.float64)  # (5, 3)
    distance = np.linalg.norm(centres[..., None, :3].astype(np.float64) - colors, axis=-1)
    nearest = distance.argmin(axis=-1)  # (H, W) class index 0..4
    painted = (centres[..., 3] >= _OPAQUE) & (distance.min(axis=-1) <= _COLOR_TOLERANCE)
    return np.where(painted, nearest + 1, 0).astype(np.int64)


def scribbles_drawing(scribbles: Sequence[Scribble], scale: float,
                      width: int = BRUSH_WIDTH) -> dict:
    """Scribbles as a Fabric.js drawing, for the canvas's ``initial_drawing``.

    Each scribble becomes a ``Path`` of straight segments through the centres
    of its pixels, in its class colour, so the canvas shows it as if painted.
    """
    objects = []
    for scribble in scribbles:
        if not 1 <= scribble.label <= MAX_CLASSES:
            raise ValueError(f"scribble class {scribble.label} must be between 1 and "
                             f"{MAX_CLASSES} (one colour each)")
        points = [((col + 0.5) * scale, (row + 0.5) * scale) for row, col in scribble.points]
        if len(points) == 1:
            points.append(points[0])
        path = [["M", *points[0]]] + [["L", x, y] for x, y in points[1:]]
        objects.append({"type": "Path", "path": path, "fill": None,
                        "stroke": CLASS_COLORS[scribble.label - 1], "strokeWidth": width,
                        "strokeLineCap": "round", "strokeLineJoin": "round"})
    return {"objects": objects}
