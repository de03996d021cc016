"""How results are shown, shared by every page: palette, segment numbers, presentation mode.

Three sidebar widgets, drawn once by ``app.py`` (shared settings, bare keys,
bound to the URL, see :mod:`ui`):

* ``palette``: the segment colours, a key of
  :data:`segmentation.visualize.PALETTES` (``?palette=cvd-safe`` for the
  palette that stays distinct under deuteranopia and protanopia);
* ``numbers``: write each segment's number on the pictures;
* ``present``: presentation mode for a projector (``?present=true``): the
  sidebar starts collapsed, text is larger, the picture and the curve take
  the width of the screen and the charts' text is black.

:func:`display_settings` reads them back anywhere as one frozen
:class:`DisplaySettings`, which the cache keys its pictures on.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from segmentation.visualize import PALETTES

__all__ = ["DEFAULT_PALETTE", "DisplaySettings", "display_settings", "display_sidebar",
           "page_style", "presentation_requested"]

_BIND = "query-params"
DEFAULT_PALETTE = "default"
PRESENT_KEY = "present"
# Words a link may use to switch presentation mode on before the toggle exists
# (the toggle itself writes "true").
_ON_WORDS = ("1", "true", "yes", "on")
# Presentation mode: larger text everywhere, bigger headings; Streamlit's
# theme fixes the base font size, so this is a page style.
_PRESENTATION_CSS = """
<style>
[data-testid="stMain"] { font-size: 1.25rem; }
[data-testid="stMain"] p, [data-testid="stMain"] label,
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.2rem; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
</style>
"""
# Every page: a visible focus ring for keyboard users (3:1 against white and
# against the theme's grey), and less empty space above the title, so the
# picture and the controls fit the first screen.
_BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
:focus-visible { outline: 3px solid #0072B2 !important; outline-offset: 2px; }
</style>
"""


@dataclass(frozen=True)
class DisplaySettings:
    """How pictures and charts are drawn; hashable, so the cache can key on it."""

    palette: str = DEFAULT_PALETTE  # a key of segmentation.visualize.PALETTES
    numbers: bool = False  # write segment numbers on the pictures
    present: bool = False  # presentation mode: large text, large picture and curve


def presentation_requested() -> bool:
    """Whether this run is in presentation mode: the toggle, or ``?present=`` in the link.

    Read before the page is configured (the sidebar must start collapsed), so
    it looks at the widget's state and, on a session's first run, the URL.
    """
    if PRESENT_KEY in st.session_state:
        return bool(st.session_state[PRESENT_KEY])
    return str(st.query_params.get(PRESENT_KEY, "")).strip().lower() in _ON_WORDS


def display_sidebar() -> DisplaySettings:
    """Draw the display settings in the sidebar; return them."""
    if PRESENT_KEY not in st.session_state and presentation_requested():
        st.session_state[PRESENT_KEY] = True  # ?present=1 as well as the toggle's own "true"
    with st.sidebar:
        st.header("Display")
        st.selectbox("Segment colours", tuple(PALETTES), key="palette", bind=_BIND,
                     format_func=lambda key: PALETTES[key].title,
                     help="Colour-blind safe: the segments stay distinct under "
                          "deuteranopia and protanopia.")
        st.toggle("Segment numbers on the picture", False, key="numbers", bind=_BIND,
                  help="Write each segment's number inside it, as in the table.")
        st.toggle("Presentation mode", key=PRESENT_KEY, bind=_BIND,
                  help="For a projector: large picture, curve and text; the sidebar "
                       "starts closed. The link keeps it (?present=true).")
    return display_settings()


def display_settings() -> DisplaySettings:
    """The display settings of this run (defaults before the sidebar is drawn)."""
    palette = st.session_state.get("palette", DEFAULT_PALETTE)
    return DisplaySettings(palette=palette if palette in PALETTES else DEFAULT_PALETTE,
                           numbers=bool(st.session_state.get("numbers", False)),
                           present=bool(st.session_state.get(PRESENT_KEY, False)))


def page_style(display: DisplaySettings) -> None:
    """Add the page's CSS: focus rings, and larger text in presentation mode."""
    st.html(_BASE_CSS + (_PRESENTATION_CSS if display.present else ""))
