"""The segment-statistics table as a pandas DataFrame, with named colours.

Each segment's colours are written as text, so a screen reader says a name
and not an image address: ``colour`` is the name of the palette colour the
segment is painted with ("orange"), ``mean colour`` the hex code of the mean
colour of its pixels in the photo. :func:`statistics_styler` then paints
those two cells in the colours they name (with black or white text, whichever
contrasts more), which Streamlit's ``st.dataframe`` draws. No Streamlit here:
tests call it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from segmentation import SegmentStats
from segmentation.visualize import color_names, segment_colors

__all__ = ["COLOR_COLUMNS", "STAT_COLUMNS", "statistics_frame", "statistics_html",
           "statistics_styler", "text_color_for"]

STAT_COLUMNS = ("colour", "segment", "pixels", "percent", "compactness", "mean colour",
                "centroid row", "centroid col")
COLOR_COLUMNS = ("colour", "mean colour")  # the cells painted in their colour


def statistics_frame(stats: Sequence[SegmentStats], palette: str = "default") -> pd.DataFrame:
    """One row per segment: colour name, size, share, compactness, mean colour, centroid.

    Parameters
    ----------
    stats : sequence of SegmentStats
        ``Segmentation.statistics``, segment 0 first.
    palette : str, default "default"
        The palette the overlay uses, a key of ``segmentation.visualize.PALETTES``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STAT_COLUMNS`; ``colour`` holds the palette colour's
        name, ``mean colour`` a hex code, ``percent`` is in 0..100.

    Examples
    --------
    >>> frame = statistics_frame([SegmentStats(0, 3, 75.0, 0.1, (255, 0, 0), (1.0, 2.0)),
    ...                           SegmentStats(1, 1, 25.0, 0.0, (0, 0, 255), (0.0, 0.0))])
    >>> frame["colour"].tolist(), frame["pixels"].tolist(), frame["mean colour"].tolist()
    (['orange', 'sky blue'], [3, 1], ['#ff0000', '#0000ff'])
    """
    names = color_names(max(len(stats), 1), palette)
    rows = [{
        "colour": names[s.label],
        "segment": s.label,
        "pixels": s.pixel_count,
        "percent": round(s.percentage, 2),
        "compactness": round(s.compactness, 4),
        "mean colour": s.hex_color,
        "centroid row": round(s.centroid[0], 1),
        "centroid col": round(s.centroid[1], 1),
    } for s in stats]
    return pd.DataFrame(rows, columns=list(STAT_COLUMNS))


def text_color_for(hex_color: str) -> str:
    """Black or white, whichever contrasts more with the background ``hex_color`` (WCAG).

    Examples
    --------
    >>> text_color_for("#F0E442"), text_color_for("#332288")
    ('#000000', '#FFFFFF')
    """
    channels = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])  # WCAG relative luminance
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05).
    return "#000000" if (luminance + 0.05) ** 2 >= 1.05 * 0.05 else "#FFFFFF"


def statistics_styler(frame: pd.DataFrame, palette: str = "default") -> Styler:
    """The frame with its colour cells painted: palette colour and mean colour.

    Parameters
    ----------
    frame : pandas.DataFrame
        A :func:`statistics_frame` (its ``segment`` column picks the palette row).
    palette : str, default "default"
        The palette of the overlay.

    Returns
    -------
    pandas.io.formats.style.Styler
        CSS ``background-color`` and ``color`` on the :data:`COLOR_COLUMNS` cells.

    Examples
    --------
    >>> frame = statistics_frame([SegmentStats(0, 3, 75.0, 0.1, (0, 0, 0), (1.0, 2.0))])
    >>> styler = statistics_styler(frame)
    >>> "background-color: #e69f00" in styler.to_html()
    True
    """
    palette_hex = ["#{:02x}{:02x}{:02x}".format(*color)
                   for color in segment_colors(max(len(frame), 1), palette)]

    def paint(column: pd.Series) -> list[str]:
        if column.name == "colour":
            backgrounds = [palette_hex[int(label)] for label in frame["segment"]]
        else:
            backgrounds = list(column)
        return [f"background-color: {hex_color}; color: {text_color_for(hex_color)}"
                for hex_color in backgrounds]

    return frame.style.apply(paint, subset=list(COLOR_COLUMNS))


# How each column is written in the HTML table.
_FORMATS = {"percent": "{:.1f} %", "compactness": "{:.4f}", "centroid row": "{:.1f}",
            "centroid col": "{:.1f}", "pixels": "{:,}"}
_HEADERS = {"percent": "share of image"}
# Columns that describe a segment's pixels: a dash, not NaN or black, when it has none.
_UNDEFINED_WHEN_EMPTY = ("compactness", "mean colour", "centroid row", "centroid col")


def statistics_html(frame: pd.DataFrame, palette: str = "default") -> str:
    """The statistics as a static, accessible HTML ``<table>`` with painted colour cells.

    A page shows it with ``st.markdown(..., unsafe_allow_html=True)``: unlike
    ``st.dataframe`` (a canvas data grid) or ``st.table`` (Arrow), it needs no
    JavaScript bundle in the browser. Every value is our own number or colour
    name, escaped anyway; styles are inline, so no ``<style>`` block is needed.

    Parameters
    ----------
    frame : pandas.DataFrame
        A :func:`statistics_frame`.
    palette : str, default "default"
        The palette of the overlay.

    Returns
    -------
    str
        ``<div><table>...</table></div>``, one ``<tbody>`` row per segment,
        well-formed XML; the div scrolls sideways on a narrow screen.

    Examples
    --------
    >>> frame = statistics_frame([SegmentStats(0, 1234, 75.0, 0.1, (0, 0, 0), (1.0, 2.0))])
    >>> html = statistics_html(frame)
    >>> "<td>1,234</td>" in html, 'style="background-color: #e69f00; color: #000000"' in html
    (True, True)
    """
    palette_hex = ["#{:02x}{:02x}{:02x}".format(*color)
                   for color in segment_colors(max(len(frame), 1), palette)]
    head = "".join(f'<th scope="col">{escape(_HEADERS.get(name, name))}</th>'
                   for name in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        empty = row["pixels"] == 0  # a segment the clean-up emptied: nothing to average
        for name in frame.columns:
            if empty and name in _UNDEFINED_WHEN_EMPTY:
                cells.append('<td title="no pixels">—</td>')
                continue
            text = escape(_FORMATS.get(name, "{}").format(row[name]))
            background = {"colour": palette_hex[int(row["segment"])],
                          "mean colour": row["mean colour"]}.get(name)
            style = ("" if background is None else
                     f' style="background-color: {background}; '
                     f'color: {text_color_for(background)}"')
            cells.append(f"<td{style}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<div style="overflow-x: auto"><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
