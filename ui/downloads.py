"""Download buttons for a result: mask, overlay, statistics, parameters, GIF, code.

Each button gets a zero-argument callable as its ``data``: Streamlit calls it
only when the button is clicked, so a rerun builds no payload at all. The
label mask, the overlay and the statistics are the result files of
:func:`segmentation.export.export_files`, the very builders and file names
``python -m segmentation`` writes with, so a download and the command line's
file are byte for byte the same. The GIF goes through :mod:`ui.cache`, so a
second click (or a classmate's click on the same result) builds nothing.
Buttons use ``on_click="ignore"``: downloading does not rerun the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from segmentation import Segmentation
from segmentation.export import export_files

from . import cache
from .params import SegmentParams
from .state import WorkingImage

__all__ = ["Download", "download_section", "download_stem", "downloads", "parameters_json",
           "python_snippet"]


@dataclass(frozen=True)
class Download:
    """One download button: what it says, its widget key, and the file it gives."""

    label: str  # text on the button
    key: str  # widget key
    file_name: str  # name the browser saves the file under
    mime: str  # media type
    build: Callable[[], bytes | str]  # makes the content when the button is clicked


def parameters_json(image: WorkingImage, params: SegmentParams) -> str:
    """The run's parameters and image as JSON (enough to redo it)."""
    height, width = image.size
    return params.to_json(image=image.name, image_source=image.source,
                          image_sha256=image.digest, working_size=[height, width],
                          max_side=image.max_side)


def python_snippet(image: WorkingImage, params: SegmentParams) -> str:
    """A script reproducing the run with the installed ``segmentation`` package."""
    return params.python_snippet(sample_key=image.sample_key, max_side=image.max_side)


def download_stem(image: WorkingImage, params: SegmentParams) -> str:
    """Start of every download's file name, e.g. ``'astronaut_k4'``."""
    return f"{image.file_stem}_k{params.k}"


def downloads(image: WorkingImage, params: SegmentParams, result: Segmentation,
              alpha: float) -> tuple[Download, ...]:
    """The six downloads of a result, in the order of the buttons; nothing is built yet.

    Parameters
    ----------
    image : WorkingImage
        The image that was segmented.
    params : SegmentParams
        Its parameters.
    result : Segmentation
        The result of segmenting ``image`` with ``params``.
    alpha : float
        Opacity of the segment colours in the overlay, in [0, 1].

    Returns
    -------
    tuple of Download
        Label mask, overlay, statistics (from :func:`segmentation.export.export_files`),
        parameters JSON, convergence GIF and Python script.
    """
    stem = download_stem(image, params)
    labels, overlay, stats = export_files(image.image, result, stem=stem, alpha=alpha)
    return (
        Download("Label mask (PNG)", "explore_download_mask", labels.name, labels.mime,
                 labels.build),
        Download("Overlay (PNG)", "explore_download_overlay", overlay.name, overlay.mime,
                 overlay.build),
        Download("Statistics (CSV)", "explore_download_csv", stats.name, stats.mime, stats.build),
        Download("Parameters (JSON)", "explore_download_json", f"{stem}_parameters.json",
                 "application/json", lambda: parameters_json(image, params)),
        Download("Animation (GIF)", "explore_download_gif", f"{stem}_convergence.gif", "image/gif",
                 lambda: cache.convergence_gif(image, params, result)),
        Download("Python script", "explore_download_code", f"{stem}_reproduce.py", "text/x-python",
                 lambda: python_snippet(image, params)),
    )


def download_section(image: WorkingImage, params: SegmentParams, result: Segmentation,
                     alpha: float) -> None:
    """The download buttons, in columns that stack on a phone, then the code on demand."""
    columns = st.columns(3)
    for index, item in enumerate(downloads(image, params, result, alpha)):
        with columns[index % 3]:
            st.download_button(item.label, data=item.build, file_name=item.file_name,
                               mime=item.mime, key=item.key, on_click="ignore",
                               icon=":material/download:", width="stretch")
    st.caption("The label mask stores segment *i* as pixel value *i* (0 to k-1): it looks "
               "black in a viewer but is exact for further processing.")
    # Drawn only on demand: st.code loads a 1.5 MB syntax highlighter in the browser.
    if st.toggle("Show the Python script that reproduces this result", False,
                 key="explore_show_code"):
        st.caption("Install the package once as the README says (`pip install -r "
                   "requirements.txt` in the app's folder); the script then runs from "
                   "any folder.")
        st.code(python_snippet(image, params), language="python")
