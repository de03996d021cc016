"""Download buttons for a result: mask, overlay, statistics, parameters, GIF, code.

Each button gets a zero-argument callable as its ``data``: Streamlit calls it
only when the button is clicked, so a rerun builds no payload at all, and the
callables go through :mod:`ui.cache`, so a second click (or a classmate's
click on the same result) builds nothing either. Buttons use
``on_click="ignore"``: downloading does not rerun the page.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from segmentation import Segmentation, statistics_csv

from . import cache
from .params import SegmentParams
from .state import WorkingImage

__all__ = ["download_section", "parameters_json", "python_snippet"]


def parameters_json(image: WorkingImage, params: SegmentParams) -> str:
    """The run's parameters and image as JSON (enough to redo it)."""
    height, width = image.size
    return params.to_json(image=image.name, image_source=image.source,
                          image_sha256=image.digest, working_size=[height, width],
                          max_side=image.max_side)


def python_snippet(image: WorkingImage, params: SegmentParams) -> str:
    """A script reproducing the run with the ``segmentation`` package."""
    return params.python_snippet(sample_key=image.sample_key, max_side=image.max_side)


def download_section(image: WorkingImage, params: SegmentParams, result: Segmentation,
                     alpha: float) -> None:
    """The download buttons, in columns that stack on a phone, then the code."""
    stem = f"{image.file_stem}_k{params.k}"
    buttons: list[tuple[str, str, Callable[[], bytes | str], str, str]] = [
        ("Label mask (PNG)", "download_mask", lambda: cache.label_mask_png(image, params, result),
         f"{stem}_labels.png", "image/png"),
        ("Overlay (PNG)", "download_overlay",
         lambda: cache.overlay_png(image, params, result, alpha), f"{stem}_overlay.png",
         "image/png"),
        ("Statistics (CSV)", "download_csv", lambda: statistics_csv(result.statistics),
         f"{stem}_statistics.csv", "text/csv"),
        ("Parameters (JSON)", "download_json", lambda: parameters_json(image, params),
         f"{stem}_parameters.json", "application/json"),
        ("Animation (GIF)", "download_gif", lambda: cache.convergence_gif(image, params, result),
         f"{stem}_convergence.gif", "image/gif"),
        ("Python script", "download_code", lambda: python_snippet(image, params),
         f"{stem}_reproduce.py", "text/x-python"),
    ]
    columns = st.columns(3)
    for index, (label, key, build, file_name, mime) in enumerate(buttons):
        with columns[index % 3]:
            st.download_button(label, data=build, file_name=file_name, mime=mime, key=key,
                               on_click="ignore", icon=":material/download:", width="stretch")
    st.caption("The label mask stores segment *i* as pixel value *i* (0 to k-1): it looks "
               "black in a viewer but is exact for further processing.")
    with st.expander("Reproduce this result in Python"):
        st.code(python_snippet(image, params), language="python")
