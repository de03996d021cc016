"""Download buttons for a result: mask, overlay, statistics, parameters, GIF, code.

Each button gets a zero-argument callable as its ``data``: Streamlit calls it
only when the button is clicked, so a rerun builds no payload at all. The
label mask, the overlay and the statistics are the result files of
:func:`segmentation.export.export_files`, the very builders and file names
``python -m segmentation`` writes with, so a download and the command line's
file are byte for byte the same. The GIF goes through :mod:`ui.cache`, so a
second click (or a classmate's click on the same result) builds nothing.
Buttons use ``on_click="ignore"``: downloading does not rerun the page.

With Explore's *Clean up* switch on, the result is the cleaned one
(:func:`ui.cache.cleaned_segmentation`): the mask, overlay and statistics are
those of the cleaned labels, named ``<image>_k<k>_clean_*`` (what
``python -m segmentation --clean`` writes for an image of that name), the
parameters JSON carries the clean-up settings and the Python script calls
:func:`segmentation.postprocess.clean`. The GIF is the k-means convergence,
before any clean-up, either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from segmentation import Segmentation
from segmentation.export import export_files, overlay_png
from segmentation.postprocess import CLEAN_DEFAULTS

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


def parameters_json(image: WorkingImage, params: SegmentParams, *, cleaned: bool = False) -> str:
    """The run's parameters and image as JSON (enough to redo it); with ``cleaned``, a
    ``"clean"`` entry holds the keyword arguments of
    :func:`segmentation.postprocess.clean` applied to the labels."""
    height, width = image.size
    extra = {"clean": dict(CLEAN_DEFAULTS)} if cleaned else {}
    return params.to_json(image=image.name, image_source=image.source,
                          image_sha256=image.digest, working_size=[height, width],
                          max_side=image.max_side, **extra)


# The last line of SegmentParams.python_snippet, and what a cleaned run prints instead.
_PRINT_SIZES = "print([s.pixel_count for s in result.statistics])\n"
_CLEAN_LINES = ("\n# Clean up: small regions join a neighbour, similar neighbours merge, borders\n"
                "# are smoothed (the app's \"Clean up\" switch).\n"
                "labels = clean(\n    result.labels,\n    image,\n{arguments},\n)\n"
                "print([int((labels == j).sum()) for j in range(result.k)])\n")


def python_snippet(image: WorkingImage, params: SegmentParams, *, cleaned: bool = False) -> str:
    """A script reproducing the run with the installed ``segmentation`` package; with
    ``cleaned`` it also calls :func:`segmentation.postprocess.clean` and prints the
    cleaned segment sizes."""
    snippet = params.python_snippet(sample_key=image.sample_key, max_side=image.max_side)
    if not cleaned:
        return snippet
    if not snippet.endswith(_PRINT_SIZES) or "from segmentation import segment\n" not in snippet:
        raise RuntimeError("SegmentParams.python_snippet changed: update ui.downloads")
    arguments = ",\n".join(f"    {name}={value!r}" for name, value in CLEAN_DEFAULTS.items())
    snippet = snippet.replace("from segmentation import segment\n",
                              "from segmentation import segment\n"
                              "from segmentation.postprocess import clean\n", 1)
    return snippet.removesuffix(_PRINT_SIZES) + _CLEAN_LINES.format(arguments=arguments)


def download_stem(image: WorkingImage, params: SegmentParams, *, cleaned: bool = False) -> str:
    """Start of every download's file name, e.g. ``'astronaut_k4'``, ``'astronaut_k4_clean'``."""
    return f"{image.file_stem}_k{params.k}" + ("_clean" if cleaned else "")


def downloads(image: WorkingImage, params: SegmentParams, result: Segmentation,
              opacity: Callable[[], float], *, cleaned: bool = False) -> tuple[Download, ...]:
    """The six downloads of a result, in the order of the buttons; nothing is built yet.

    Parameters
    ----------
    image : WorkingImage
        The image that was segmented.
    params : SegmentParams
        Its parameters.
    result : Segmentation
        The result of segmenting ``image`` with ``params``.
    opacity : callable
        Gives the opacity of the segment colours in the overlay, in [0, 1], when
        the overlay is built (at the click), e.g. :func:`ui.views.overlay_opacity`:
        the opacity slider reruns only its fragment, not these buttons.
    cleaned : bool
        Whether ``result`` is the cleaned-up one (Explore's *Clean up* switch).

    Returns
    -------
    tuple of Download
        Label mask, overlay, statistics (from :func:`segmentation.export.export_files`),
        parameters JSON, convergence GIF and Python script.
    """
    stem = download_stem(image, params, cleaned=cleaned)
    labels, overlay, stats = export_files(image.image, result, stem=stem, alpha=opacity())
    raw_stem = download_stem(image, params)  # the GIF is k-means itself, never cleaned
    return (
        Download("Label mask (PNG)", "explore_download_mask", labels.name, labels.mime,
                 labels.build),
        Download("Overlay (PNG)", "explore_download_overlay", overlay.name, overlay.mime,
                 lambda: overlay_png(image.image, result, opacity())),  # export's, at the click
        Download("Statistics (CSV)", "explore_download_csv", stats.name, stats.mime, stats.build),
        Download("Parameters (JSON)", "explore_download_json", f"{stem}_parameters.json",
                 "application/json", lambda: parameters_json(image, params, cleaned=cleaned)),
        Download("Animation (GIF)", "explore_download_gif", f"{raw_stem}_convergence.gif",
                 "image/gif", lambda: cache.convergence_gif(image, params, result)),
        Download("Python script", "explore_download_code", f"{stem}_reproduce.py", "text/x-python",
                 lambda: python_snippet(image, params, cleaned=cleaned)),
    )


def download_section(image: WorkingImage, params: SegmentParams, result: Segmentation,
                     opacity: Callable[[], float], *, cleaned: bool = False) -> None:
    """The download buttons, in columns that stack on a phone, then the code on demand.

    With ``cleaned``, ``result`` is the cleaned-up one and every file says so.
    """
    columns = st.columns(3)
    for index, item in enumerate(downloads(image, params, result, opacity, cleaned=cleaned)):
        with columns[index % 3]:
            st.download_button(item.label, data=item.build, file_name=item.file_name,
                               mime=item.mime, key=item.key, on_click="ignore",
                               icon=":material/download:", width="stretch")
    st.caption("The label mask stores segment *i* as pixel value *i* (0 to k-1): it looks "
               "black in a viewer but is exact for further processing."
               + (" Mask, overlay and statistics are of the cleaned-up segments; the animation "
                  "is k-means itself." if cleaned else ""))
    # Drawn only on demand: st.code loads a 1.5 MB syntax highlighter in the browser.
    if st.toggle("Show the Python script that reproduces this result", False,
                 key="explore_show_code"):
        st.caption("Install the package once as the README says (`pip install -r "
                   "requirements.txt` in the app's folder); the script then runs from "
                   "any folder.")
        st.code(python_snippet(image, params, cleaned=cleaned), language="python")
