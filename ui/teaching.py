"""Building blocks shared by the teaching pages: the opening, the progress bar, *Try this*.

Every teaching page (``app_pages/choosing_k.py``, ``compare.py``,
``starts.py``) opens with two sentences on what to notice
(:func:`lesson_intro`), says at which size it computes
(:func:`working_size_note`), shows a progress bar while a slow result is
computed for the first time (:class:`ProgressBar`), and ends with a *Try
this* prompt whose button sets the parameters it suggests (:func:`try_this`).
Widgets keep the page's ``url_path`` prefix in their keys (see :mod:`ui`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st
# Streamlit records every element a cached function draws, to replay it on a
# cache hit; a progress bar drawn into a slot made outside the function cannot
# be replayed (CacheReplayClosureError) and must not be: it is not part of the
# result. This flag (Streamlit 1.67) is what switches the recording on.
from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function

from segmentation.params import CONTROL_DEFAULTS
from segmentation.samples import get_sample

from .state import WorkingImage

__all__ = ["ProgressBar", "add_clicked_pixels", "apply_settings", "keep_shared_settings",
           "lesson_intro", "try_this", "working_size_note"]


def keep_shared_settings() -> None:
    """Carry the shared run settings (k, features, start) over from the previous page.

    Streamlit gives the widgets of each page their own identity (the page's
    script hash is part of a widget's id), so the ``k`` slider of Explore and
    the ``k`` slider of this page are different widgets, and on a change of
    page the new one would start from its default. Re-assigning each value
    before the widgets are drawn turns it into a plain session-state value,
    which the new page's widget of the same key then takes (Streamlit's
    documented way to keep widget values across pages). Call it first.
    """
    for key in CONTROL_DEFAULTS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def lesson_intro(text: str) -> None:
    """The two sentences a student should read first."""
    st.info(text, icon=":material/visibility:")


def working_size_note(image: WorkingImage, shape: tuple[int, ...], what: str) -> None:
    """Say that the page computes on a smaller copy of the picture, and why."""
    height, width = shape[:2]
    full_h, full_w = image.size
    st.caption(f"Computed on the picture shrunk to {width} x {height} px (from {full_w} x "
               f"{full_h}): {what} Results are cached, so the whole class shares them.")


class ProgressBar:
    """A progress bar that appears only if a computation reports progress.

    Pass :meth:`update` as the core's ``progress`` callback, through a
    function of :mod:`ui.cache`: a cached result never calls it, so no bar
    flashes, and the bar is not recorded as part of the cached result.
    :meth:`done` removes the bar.
    """

    def __init__(self, text: str):
        self._slot = st.empty()
        self._text = text

    def update(self, fraction: float) -> None:
        """Show ``fraction`` (0..1) done."""
        token = in_cached_function.set(False)  # not part of the cached result: not recorded
        try:
            self._slot.progress(min(max(float(fraction), 0.0), 1.0), text=self._text)
        finally:
            in_cached_function.reset(token)

    def done(self) -> None:
        """Remove the bar."""
        self._slot.empty()


def apply_settings(settings: Mapping[str, object]) -> None:
    """Button callback: set widget values by key (a sample key also selects the gallery)."""
    for key, value in settings.items():
        st.session_state[key] = value
    if "sample" in settings:
        st.session_state["image_source"] = "sample"
        get_sample(str(settings["sample"]))  # raises ValueError for an unknown sample


def try_this(prompt: str, settings: Mapping[str, object], *, key: str,
             label: str = "Try this") -> None:
    """The closing prompt of a teaching page, with a button that sets ``settings``.

    Parameters
    ----------
    prompt : str
        What to try and what to look for (Markdown).
    settings : mapping
        Widget key -> value the button sets (shared keys such as ``k`` or
        ``sample``, or the page's own).
    key : str
        The button's key, starting with the page's ``url_path``.
    label : str
        The button's text.
    """
    st.subheader("Try this")
    st.markdown(prompt)
    described = ", ".join(f"{name} = {value}" for name, value in settings.items())
    st.button(label, key=key, icon=":material/science:", on_click=apply_settings,
              args=(dict(settings),), help=f"Sets {described}.")


def add_clicked_pixels(picks: Sequence[tuple[int, int]], points: Sequence[Mapping],
                       *, curve_number: int, max_picks: int) -> list[tuple[int, int]]:
    """The picks after a click: the (row, col) of each newly selected point appended.

    ``points`` are the selected points of ``st.plotly_chart(on_select=...)``
    (dicts with ``curve_number``, ``x`` = column and ``y`` = row); only those of
    trace ``curve_number`` count. A pixel already picked is not added twice, and
    no more than ``max_picks`` are kept.

    Examples
    --------
    >>> add_clicked_pixels([(1, 2)], [{"curve_number": 1, "x": 5, "y": 3},
    ...                               {"curve_number": 1, "x": 2, "y": 1},
    ...                               {"curve_number": 0, "x": 0, "y": 0}],
    ...                    curve_number=1, max_picks=3)
    [(1, 2), (3, 5)]
    """
    picks = list(picks)
    for point in points:
        if point.get("curve_number") != curve_number:
            continue
        pixel = (int(point["y"]), int(point["x"]))
        if pixel not in picks and len(picks) < max_picks:
            picks.append(pixel)
    return picks
