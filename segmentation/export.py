"""The result files of a segmentation, written the same way by the command line and the app.

A run gives three files, named after a *stem* (the image's name):

=====================  ==========  ===================================================
file                   media type  content
=====================  ==========  ===================================================
``<stem>_labels.png``  image/png   8-bit grayscale, pixel value = segment index
                                   (0..k-1, numbered dark to bright, as
                                   :func:`segmentation.segment` does)
``<stem>_overlay.png`` image/png   the segment colours blended over the photo
``<stem>_stats.csv``   text/csv    one row of :func:`segmentation.statistics_csv`
                                   per segment, UTF-8
=====================  ==========  ===================================================

:func:`export_files` describes them as :class:`ResultFile` records whose
content is built on demand: ``python -m segmentation`` builds and writes all
three, the app hands each builder to a download button, which calls it only
when the button is clicked. Both use the same builders, so for the same run
the downloaded files and the written files are byte for byte the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import check_float
from .io import encode_png
from .metrics import statistics_csv
from .pipeline import Segmentation
from .visualize import overlay, segment_colors

__all__ = [
    "DEFAULT_ALPHA",
    "ResultFile",
    "export_files",
    "labels_png",
    "overlay_png",
    "statistics_csv_bytes",
]

DEFAULT_ALPHA = 0.5  # opacity of the segment colours in the overlay: 0 = photo, 1 = flat colours


@dataclass(frozen=True)
class ResultFile:
    """One result file: its name, its media type, and how to make its content."""

    name: str  # file name, e.g. "coffee_labels.png"
    mime: str  # media type, e.g. "image/png"
    build: Callable[[], bytes]  # makes the content; called when it is needed


def labels_png(result: Segmentation) -> bytes:
    """The label image as an 8-bit grayscale PNG: pixel value = segment index.

    Raises
    ------
    ValueError
        If ``result`` has more than 256 segments (8-bit pixel values).

    Examples
    --------
    >>> from segmentation import segment
    >>> image = np.zeros((4, 6), dtype=np.uint8)
    >>> image[:, 3:] = 255
    >>> labels_png(segment(image, k=2, position_weight=0))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    return encode_png(result.labels)


def overlay_png(image: np.ndarray, result: Segmentation, alpha: float = DEFAULT_ALPHA) -> bytes:
    """The segment colours blended over the photo with opacity ``alpha``, as an RGB PNG.

    Segments are coloured by the full table of :func:`segmentation.visualize.segment_colors`
    for k, so segment j has the same colour in every image of a batch and in
    the app, even if a segment came out empty.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray
        The photo that was segmented, same height and width as ``result.labels``.
    result : Segmentation
        The run.
    alpha : float, optional
        Opacity of the colours, in [0, 1].

    Raises
    ------
    ValueError
        If ``alpha`` is outside [0, 1] or the image does not match the labels.
    """
    alpha = check_float(alpha, "alpha", low=0, high=1)
    return encode_png(overlay(image, result.labels, alpha, colors=segment_colors(result.k)))


def statistics_csv_bytes(result: Segmentation) -> bytes:
    """The segment statistics as UTF-8 CSV: a header, then one row per segment."""
    return statistics_csv(result.statistics).encode("utf-8")


def export_files(image: np.ndarray, result: Segmentation, *, stem: str,
                 alpha: float = DEFAULT_ALPHA) -> tuple[ResultFile, ResultFile, ResultFile]:
    """The labels PNG, overlay PNG and statistics CSV of a run, built on demand.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray
        The photo that was segmented.
    result : Segmentation
        The run, from :func:`segmentation.segment`.
    stem : str
        Start of the file names: ``<stem>_labels.png``, ``<stem>_overlay.png``,
        ``<stem>_stats.csv``.
    alpha : float, optional
        Opacity of the segment colours in the overlay, in [0, 1].

    Returns
    -------
    tuple of ResultFile
        Labels, overlay, statistics, in this order. Nothing is encoded until
        a file's ``build()`` is called.

    Raises
    ------
    ValueError
        If ``stem`` is empty or ``alpha`` is outside [0, 1].

    Examples
    --------
    >>> from segmentation import segment
    >>> image = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> image[:, 3:] = 255
    >>> files = export_files(image, segment(image, k=2, position_weight=0), stem="halves")
    >>> [(f.name, f.mime) for f in files]  # doctest: +NORMALIZE_WHITESPACE
    [('halves_labels.png', 'image/png'), ('halves_overlay.png', 'image/png'),
     ('halves_stats.csv', 'text/csv')]
    >>> files[2].build().decode().splitlines()[1].split(",")[:3]  # segment, pixels, percent
    ['0', '12', '50.0']
    """
    if not stem:
        raise ValueError(f"stem={stem!r} must be a non-empty file-name start")
    alpha = check_float(alpha, "alpha", low=0, high=1)  # checked now, not at the first build
    return (
        ResultFile(f"{stem}_labels.png", "image/png", lambda: labels_png(result)),
        ResultFile(f"{stem}_overlay.png", "image/png", lambda: overlay_png(image, result, alpha)),
        ResultFile(f"{stem}_stats.csv", "text/csv", lambda: statistics_csv_bytes(result)),
    )
