"""The segment-statistics table as a pandas DataFrame, with colour swatches.

Colours are shown as tiny PNG images (data URIs) that Streamlit's
``column_config.ImageColumn`` draws in the cell: one swatch for the colour the
segment is painted with (the colour-blind-safe palette), one for the mean
colour of its pixels in the photo. No Streamlit here: tests call it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from segmentation import SegmentStats
from segmentation.io import encode_png
from segmentation.visualize import segment_colors

from .figures import data_uri

__all__ = ["STAT_COLUMNS", "statistics_frame", "swatch_uri"]

STAT_COLUMNS = ("colour", "segment", "pixels", "percent", "compactness", "mean colour",
                "mean hex", "centroid row", "centroid col")


@lru_cache(maxsize=256)  # a run's swatches repeat: 12 palette colours, a few means
def swatch_uri(red: int, green: int, blue: int, size: int = 16) -> str:
    """A square of one colour as a PNG data URI.

    Examples
    --------
    >>> swatch_uri(255, 0, 0).startswith("data:image/png;base64,")
    True
    """
    square = np.empty((size, size, 3), dtype=np.uint8)
    square[...] = (red, green, blue)
    return data_uri(encode_png(square))


def statistics_frame(stats: Sequence[SegmentStats]) -> pd.DataFrame:
    """One row per segment: swatches, size, share, compactness, mean colour, centroid.

    Parameters
    ----------
    stats : sequence of SegmentStats
        ``Segmentation.statistics``, segment 0 first.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STAT_COLUMNS`; ``colour`` and ``mean colour`` hold PNG
        data URIs, ``percent`` is in 0..100.

    Examples
    --------
    >>> frame = statistics_frame([SegmentStats(0, 3, 75.0, 0.1, (255, 0, 0), (1.0, 2.0)),
    ...                           SegmentStats(1, 1, 25.0, 0.0, (0, 0, 255), (0.0, 0.0))])
    >>> frame["pixels"].tolist(), frame["mean hex"].tolist()
    ([3, 1], ['#ff0000', '#0000ff'])
    """
    palette = segment_colors(max(len(stats), 1))  # (k, 3): the overlay colours
    rows = [{
        "colour": swatch_uri(*(int(c) for c in palette[s.label])),
        "segment": s.label,
        "pixels": s.pixel_count,
        "percent": round(s.percentage, 2),
        "compactness": round(s.compactness, 4),
        "mean colour": swatch_uri(*s.mean_color),
        "mean hex": s.hex_color,
        "centroid row": round(s.centroid[0], 1),
        "centroid col": round(s.centroid[1], 1),
    } for s in stats]
    return pd.DataFrame(rows, columns=list(STAT_COLUMNS))
