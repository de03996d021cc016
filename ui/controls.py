"""Widgets for the k-means parameters; they only collect values.

k and the features (:func:`main_controls`) go where the page puts them, beside
the picture; initialisation and stopping (:func:`run_options`) in a sidebar
expander.

Every widget has an explicit ``key``, which is also its URL query parameter:
``bind="query-params"`` (Streamlit >= 1.67) keeps the value in the address
bar, so the URL is a shareable link and opening it restores the widgets.
Streamlit drops a parameter from the URL while it equals the widget's
default, and ignores (and removes) values a widget cannot take, so a mangled
link falls back to defaults instead of failing. Choice widgets write their
option *label* in the URL; the colour labels are therefore the very words
``segment(color=...)`` accepts (``?color=hsv``).

:func:`segmentation_controls` returns a :class:`SegmentParams`; the URL
encoding of one, :func:`query_items`, mirrors these widgets and is tested
against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from segmentation.params import (
    COLOR_SPACES,
    CONTROL_DEFAULTS,
    INIT_CHOICES,
    K_RANGE,
    MAX_ITER_RANGE,
    N_INIT_RANGE,
    SEED_RANGE,
    TOL_CHOICES,
    WEIGHT_RANGE,
    SegmentParams,
)
from ui import cache
from ui.state import MAX_SIDE_CHOICES, current_image

__all__ = ["CONTROL_DEFAULTS", "RunOptions", "drop_invalid_link_values", "format_tol",
           "main_controls", "query_items",
           "query_string", "run_options", "segmentation_controls"]

_BIND = "query-params"
# The defaults, ranges and choices all come from segmentation.params;
# CONTROL_DEFAULTS holds the widget values of the default run, keyed by
# widget key (= query parameter), including the weight a switched-on group
# starts from.
_COLOR_HELP = ("none: no colour (use texture or position). gray: brightness only. "
               "rgb: red, green, blue. hsv: hue (on a circle), saturation, value. "
               "lab: CIELAB, where distances match perceived colour differences.")


def format_tol(tol: float) -> str:
    """How the tolerance is shown, and written in the URL: ``1e-04``.

    Examples
    --------
    >>> format_tol(0.0001)
    '1e-04'
    """
    return f"{tol:.0e}"


@dataclass(frozen=True)
class RunOptions:
    """How k-means starts and stops: the sidebar's "Initialisation and stopping" values."""

    init: str  # one of INIT_CHOICES
    seed: int  # same seed, same start, same result
    max_iter: int  # iteration limit
    tol: float  # one of TOL_CHOICES
    n_init: int = 1  # random starts, best of N


def _link_value_is_valid(key: str, text: str) -> bool:
    """Whether a query-parameter value is one the widget of ``key`` can show."""
    if key in ("k", "seed", "max_iter", "n_init"):
        low, high = {"k": K_RANGE, "seed": SEED_RANGE, "max_iter": MAX_ITER_RANGE,
                     "n_init": N_INIT_RANGE}[key]
        try:
            number = float(text)
        except ValueError:
            return False
        return number.is_integer() and low <= number <= high  # also False for inf, nan
    if key in ("position_weight", "center_weight"):
        try:
            number = float(text)
        except ValueError:
            return False
        return WEIGHT_RANGE[0] <= number <= WEIGHT_RANGE[1]  # False for nan
    if key in ("texture", "position", "center"):
        return text in ("true", "false")
    if key == "color":
        return text in COLOR_SPACES
    if key == "init":
        return text in INIT_CHOICES
    if key == "tol":
        return text in {format_tol(t) for t in TOL_CHOICES}
    if key == "max_side":
        return text in {str(side) for side in MAX_SIDE_CHOICES}
    return True


def _forget_initial_link_value(key: str) -> None:
    """Make Streamlit forget the value the page was opened with for ``key``.

    Streamlit 1.67 seeds a bound widget from a snapshot of the URL taken at
    page load, not from ``st.query_params``, so deleting the parameter is not
    enough: its number input would still parse ``inf`` and fail. There is no
    public API for the snapshot; this private one is covered by
    tests/test_query_fuzz.py (``?seed=inf``), which fails if it changes.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is not None:
        snapshot = context.session_state._state.query_params._initial_query_params
        snapshot.pop(key, None)


def drop_invalid_link_values() -> list[str]:
    """Remove query parameters the widgets cannot take, and say so on the page.

    Streamlit drops most invalid values of bound widgets silently, and a
    number input given ``inf`` or a 400-digit number fails with an exception;
    here every such value falls back to its default with a visible message.
    Returns the keys that were dropped.
    """
    dropped = [key for key in (*CONTROL_DEFAULTS, "max_side")
               if key in st.query_params and not _link_value_is_valid(key, st.query_params[key])]
    for key in dropped:
        del st.query_params[key]
        _forget_initial_link_value(key)
    if dropped:
        st.warning(f"The link's value for {', '.join(dropped)} was not one the controls can take; "
                   f"using the default instead.", icon="⚠️")
    return dropped


def run_options() -> RunOptions:
    """Draw the initialisation and stopping widgets in a sidebar expander; return them.

    Shared settings (bare keys, bound to the URL). Drawn outside any fragment,
    because a fragment may not write to the sidebar when it reruns alone.
    """
    d = CONTROL_DEFAULTS
    with st.sidebar, st.expander("k-means: initialisation and stopping"):
        init = st.radio("Initialisation", INIT_CHOICES, index=INIT_CHOICES.index(d["init"]),
                        horizontal=True, key="init", bind=_BIND,
                        help="k-means++ spreads the first centres apart; random picks "
                             "k random pixels.")
        seed = st.number_input("Seed", *SEED_RANGE, d["seed"], 1, key="seed", bind=_BIND,
                               help="Same seed, same start, same result.")
        max_iter = st.number_input("Max iterations", *MAX_ITER_RANGE, d["max_iter"], 1,
                                   key="max_iter", bind=_BIND)
        n_init = st.number_input("Starts (best of)", *N_INIT_RANGE, d["n_init"], 1,
                                 key="n_init", bind=_BIND,
                                 help="Run k-means from this many random starts and keep the "
                                      "one with the lowest inertia (slower by as much).")
        tol = st.select_slider("Tolerance", TOL_CHOICES, d["tol"], format_func=format_tol,
                               key="tol", bind=_BIND,
                               help="Stop when the centres move less than this (relative "
                                    "to the spread of the features).")
        allowed = cache.max_iterations(current_image(), max_iter)
        if allowed < max_iter:  # a class shares the server: no run keeps 300 big iterations
            st.caption(f"At this picture size a run keeps at most {allowed} iterations "
                       "(the server is shared); choose a smaller longest side for more.")
            max_iter = allowed
    return RunOptions(init=init, seed=seed, max_iter=max_iter, tol=tol, n_init=n_init)


def main_controls(options: RunOptions) -> SegmentParams:
    """Draw k and the features where the page puts them (not the sidebar); return the run.

    Shared settings (bare keys, bound to the URL). The page places these
    beside the picture, so the first screen holds the picture, the curve and
    the controls that change them.

    Parameters
    ----------
    options : RunOptions
        The sidebar's initialisation and stopping values (:func:`run_options`).

    Returns
    -------
    SegmentParams
        Possibly with no feature selected; ``params.spec()`` then raises a
        :class:`~segmentation.params.NoFeatureSelectedError` whose message
        the page shows as a warning.
    """
    d = CONTROL_DEFAULTS
    k = st.slider("Number of segments k", *K_RANGE, d["k"], key="k", bind=_BIND,
                  help="k-means splits the pixels into exactly k groups.")
    color = st.selectbox("Colour feature", COLOR_SPACES, index=COLOR_SPACES.index(d["color"]),
                         key="color", bind=_BIND, help=_COLOR_HELP)
    position = st.toggle("Position (row, column)", d["position"], key="position", bind=_BIND,
                         help="Pixels close together tend to join the same segment.")
    position_weight = st.slider("Position weight", *WEIGHT_RANGE, d["position_weight"], 0.05,
                                key="position_weight", bind=_BIND, disabled=not position,
                                help="Larger = more compact, connected segments.")
    # The two features used less often, folded: the first screen keeps its room.
    with st.expander("More features: texture, distance from centre"):
        texture = st.toggle("Texture (local contrast)", d["texture"], key="texture", bind=_BIND,
                            help="How much brightness varies around the pixel: fur vs. sky.")
        center = st.toggle("Distance from centre", d["center"], key="center", bind=_BIND,
                           help="Separates a centred subject from the border.")
        center_weight = st.slider("Centre weight", *WEIGHT_RANGE, d["center_weight"], 0.05,
                                  key="center_weight", bind=_BIND, disabled=not center)
    return SegmentParams.from_controls(
        k=k, color=color, texture=texture, position=position, position_weight=position_weight,
        center=center, center_weight=center_weight, init=options.init, seed=options.seed,
        max_iter=options.max_iter, tol=options.tol, n_init=options.n_init)


MAIN_CONTROL_KEYS = ("k", "color", "position", "position_weight", "texture", "center",
                     "center_weight")  # the widgets main_controls draws


def main_control_values() -> tuple:
    """The main controls' values in session state (a widget's new value is there when the
    run it causes starts), to tell a change of k or a feature before anything is drawn."""
    return tuple(st.session_state.get(key) for key in MAIN_CONTROL_KEYS)


def segmentation_controls() -> SegmentParams:
    """All the parameter widgets, k and features in the sidebar (for pages without a
    picture beside their controls); returns the run."""
    options = run_options()
    with st.sidebar:
        st.header("k-means")
        return main_controls(options)


def query_items(params: SegmentParams) -> dict[str, str]:
    """The query parameters that make the widgets show ``params``.

    Only values that differ from the widget defaults, as Streamlit writes them.

    Examples
    --------
    >>> query_items(SegmentParams(k=7, color="hsv"))
    {'k': '7', 'color': 'hsv'}
    >>> query_items(SegmentParams(position_weight=0.0, center_weight=0.5))
    {'position': 'false', 'center': 'true', 'center_weight': '0.5'}
    """
    # A switched-off group shows its default weight (see SegmentParams.controls),
    # so its weight never goes in the URL.
    shown = {key: _query_text(key, value) for key, value in params.controls().items()}
    defaults = {key: _query_text(key, value) for key, value in CONTROL_DEFAULTS.items()}
    return {key: text for key, text in shown.items() if text != defaults[key]}


def _query_text(key: str, value: object) -> str:
    """A widget value as Streamlit writes it in the URL: ``true``, ``0.5``, ``1e-04``."""
    if isinstance(value, bool):
        return str(value).lower()
    if key == "tol":
        return format_tol(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def query_string(params: SegmentParams, *, sample_key: str | None, max_side: int,
                 default_max_side: int) -> str:
    """``?sample=...&k=...``: the part of a link after the address of the app.

    The sample comes first and is always written (a link should say which
    picture it is about); it is left out for uploads, which a link cannot carry.

    Examples
    --------
    >>> query_string(SegmentParams(k=6), sample_key="coins", max_side=512, default_max_side=512)
    '?sample=coins&k=6'
    """
    items: dict[str, str] = {}
    if sample_key is not None:
        items["sample"] = sample_key
    if max_side != default_max_side:
        items["max_side"] = str(max_side)
    items.update(query_items(params))
    return "?" + urlencode(items) if items else ""
