"""Fuzz tests of the Explore page's query parameters: a mangled link never breaks the page.

A shared link can be edited, truncated or forged, so every query parameter
the page reads (the widgets bound to the URL in ``ui/controls.py``, the
working resolution ``max_side`` and the ``sample`` key read by
``ui/image_choice.py``) may hold anything: nothing, huge or negative numbers,
NaN, ``inf``, unicode, 10 000 characters, a repeated parameter. The property:

* hard: no exception element on the page, and every widget holds a legal
  value; a value that is certainly invalid leaves the widget at its default;
* hard: an unknown ``sample`` shows a warning naming it, and the default sample;
* hard: a visible warning names every parameter whose value was dropped
  (``ui.controls.drop_invalid_link_values``; Streamlit alone drops invalid
  bound values silently).

``?seed=`` or ``?max_iter=`` with a value that parses to an infinite float
(``inf``, ``-inf``, ``1e400``, 400 digits) used to raise ``OverflowError`` in
Streamlit's ``NumberInputSerde.deserialize`` and show an exception; such
values are now dropped before the number inputs exist.

Runs: AppTest takes 1-3 s per run, so the Hypothesis test is small and
derandomized (the same examples every run); ``FUZZ_LONG=1`` runs 10 times as
many random examples::

    FUZZ_LONG=1 .venv/bin/python -m pytest tests/test_query_fuzz.py
"""

from __future__ import annotations

import math
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from segmentation.features import COLOR_SPACES
from segmentation.samples import DEFAULT_SAMPLE
from ui.controls import CONTROL_DEFAULTS
from ui.params import INIT_CHOICES, K_RANGE, MAX_ITER_RANGE, TOL_CHOICES, WEIGHT_RANGE
from ui.state import DEFAULT_MAX_SIDE, MAX_SIDE_CHOICES

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120  # seconds per AppTest run; generous, the CI machine is small and shared
SEED_RANGE = (0, 2**31 - 1)  # the seed widget's bounds (ui/controls.py)
_TOGGLE_WORDS = {"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"}


def _in_range(low, high):
    return lambda value: low <= value <= high


# Query parameter -> (AppTest accessor, default value, legal-value check).
WIDGETS = {
    "k": ("slider", CONTROL_DEFAULTS["k"], _in_range(*K_RANGE)),
    "color": ("selectbox", CONTROL_DEFAULTS["color"], lambda v: v in COLOR_SPACES),
    "texture": ("toggle", CONTROL_DEFAULTS["texture"], lambda v: isinstance(v, bool)),
    "position": ("toggle", CONTROL_DEFAULTS["position"], lambda v: isinstance(v, bool)),
    "position_weight": ("slider", CONTROL_DEFAULTS["position_weight"], _in_range(*WEIGHT_RANGE)),
    "center": ("toggle", CONTROL_DEFAULTS["center"], lambda v: isinstance(v, bool)),
    "center_weight": ("slider", CONTROL_DEFAULTS["center_weight"], _in_range(*WEIGHT_RANGE)),
    "init": ("radio", CONTROL_DEFAULTS["init"], lambda v: v in INIT_CHOICES),
    "seed": ("number_input", CONTROL_DEFAULTS["seed"], _in_range(*SEED_RANGE)),
    "max_iter": ("number_input", CONTROL_DEFAULTS["max_iter"], _in_range(*MAX_ITER_RANGE)),
    "tol": ("select_slider", CONTROL_DEFAULTS["tol"], lambda v: v in TOL_CHOICES),
    "max_side": ("selectbox", DEFAULT_MAX_SIDE, lambda v: v in MAX_SIDE_CHOICES),
}
PARAMS = (*WIDGETS, "sample")
_NUMERIC_RANGES = {"k": K_RANGE, "position_weight": WEIGHT_RANGE, "center_weight": WEIGHT_RANGE,
                   "seed": SEED_RANGE, "max_iter": MAX_ITER_RANGE}


LONG_RUN = os.environ.get("FUZZ_LONG") == "1"


def time_limit(seconds: float):
    """pytest-timeout for one test, scaled like the number of examples in a long run."""
    return pytest.mark.timeout(seconds * (10 if LONG_RUN else 1))


def fuzz_settings(examples: int) -> settings:
    """CI: ``examples`` derandomized examples; ``FUZZ_LONG=1``: 10x as many, random."""
    common = dict(deadline=timedelta(seconds=TIMEOUT), database=None,
                  suppress_health_check=[HealthCheck.too_slow])
    if LONG_RUN:
        return settings(max_examples=10 * examples, derandomize=False, **common)
    return settings(max_examples=examples, derandomize=True,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink), **common)


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run app.py as an st.navigation app, as the server does (as in tests/test_app.py).

    AppTest 1.67 recomputes ``PagesManager.uses_pages_directory`` before every
    run from whether a ``pages/`` folder exists; the server sets it to False
    once ``st.navigation`` has been called, and so does this after each reset.
    """

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", NavigationPagesManager)


# --------------------------------------------------------------------------- #
# What counts as invalid
# --------------------------------------------------------------------------- #
def _last(value) -> str:
    """The value a page reads from a repeated parameter (``?k=3&k=4``): the last one."""
    return value[-1] if isinstance(value, list) else value


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def crashes_streamlit(key: str, value) -> bool:
    """The known crash: an int number_input seeded with an infinite float."""
    number = _as_float(_last(value)) if key in ("seed", "max_iter") else None
    return number is not None and math.isinf(number)


def surely_invalid(key: str, value) -> bool:
    """True only when no reading of ``value`` is a legal, non-default widget value.

    Conservative: Streamlit is lenient (``k=7.0`` is 7, ``color=RGB`` is rgb,
    ``max_iter=5.5`` is 5), so anything it might accept counts as maybe valid.
    """
    text = _last(value)
    if key == "sample":
        return text != DEFAULT_SAMPLE  # a wrong key is reported whatever it is
    if key in ("color", "init"):
        choices = COLOR_SPACES if key == "color" else INIT_CHOICES
        return text.strip().lower() not in {choice.lower() for choice in choices}
    if key in ("texture", "position", "center"):
        return text.strip().lower() not in _TOGGLE_WORDS
    number = _as_float(text)
    if number is None or not math.isfinite(number):
        return True
    if key == "tol":
        return not any(math.isclose(number, choice, rel_tol=0.05) for choice in TOL_CHOICES)
    if key == "max_side":
        return all(abs(number - choice) >= 1 for choice in MAX_SIDE_CHOICES)
    low, high = _NUMERIC_RANGES[key]
    return not (low - 1 < number < high + 1)


# --------------------------------------------------------------------------- #
# The property
# --------------------------------------------------------------------------- #
def run_with(query: dict) -> AppTest:
    """A fresh session of the app opened with ``query`` as its query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _messages(at: AppTest) -> list[str]:
    return [element.value for element in (*at.warning, *at.error)]


def check_falls_back(at: AppTest, query: dict) -> list[str]:
    """The hard part of the property; returns the dropped bound parameters nobody explained."""
    assert not at.exception, [getattr(e, "message", e.value) for e in at.exception]
    unexplained = []
    for key, value in query.items():
        if key == "sample":
            continue
        accessor, default, legal = WIDGETS[key]
        shown = getattr(at, accessor)(key=key).value
        assert legal(shown), f"?{key}={_last(value)!r:.60} gave the illegal value {shown!r}"
        if surely_invalid(key, value):
            assert shown == default, f"?{key}={_last(value)!r:.60} gave {shown!r}, not {default!r}"
            if not any(re.search(rf"(?<![\w-]){key}(?![\w-])", message)
                       for message in _messages(at)):
                unexplained.append(key)
    if "sample" in query:
        assert at.selectbox(key="sample").value in (_last(query["sample"]), DEFAULT_SAMPLE)
        if surely_invalid("sample", query["sample"]):
            assert at.selectbox(key="sample").value == DEFAULT_SAMPLE
            assert any("sample" in w.value for w in at.sidebar.warning), _messages(at)
    return unexplained


def expect_explained(unexplained: list[str]) -> None:
    """Every dropped value is explained by a message naming it."""
    assert not unexplained, f"no message for the dropped values of {unexplained}"


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #
NASTY_VALUES = [
    "", " ", "nan", "-1", "1e20", "0x1F", "ünïcödé 🎨", "x" * 10_000, "\x00",
    "<script>alert(1)</script>", "%FF%FE", ["3", "4"],
]


@time_limit(300)
@pytest.mark.parametrize("value", NASTY_VALUES,
                         ids=lambda v: repr(v)[:20].encode("ascii", "backslashreplace").decode())
def test_nasty_value_in_every_parameter(value):
    # One nasty value in all thirteen parameters at once: defaults, no exception.
    query = {key: value for key in PARAMS}
    expect_explained(check_falls_back(run_with(query), query))


CRASHING = [("seed", "inf"), ("seed", "1e400"), ("seed", "9" * 400), ("max_iter", "-inf"),
            ("max_iter", "-1e400")]


@time_limit(120)
@pytest.mark.parametrize("key, value", CRASHING, ids=[f"{k}={v[:8]}" for k, v in CRASHING])
def test_infinite_number_in_an_integer_input(key, value):
    # ?seed=inf and friends: must fall back like any other garbage.
    query = {key: value}
    assert crashes_streamlit(key, value)
    check_falls_back(run_with(query), query)


GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["NaN", "-inf", "Infinity", "1e-400", "-0", "+5", "5.5", "1_000", "٣",
                     "TRUE", "rgb ", "k-means++", "1e-04", "768", "x" * 2000]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.text(max_size=4), min_size=2, max_size=3),
)


QUERIES = st.dictionaries(st.sampled_from(PARAMS), GARBAGE, min_size=1, max_size=len(PARAMS))


@time_limit(300)
def test_random_query_parameters():
    # Any mix of parameters and values: legal widget values, no exception, and a
    # message for every dropped value (checked once at the end, so that a missing
    # one does not make Hypothesis shrink).
    unexplained: set[str] = set()

    @fuzz_settings(8)
    @given(query=QUERIES)
    def opens_cleanly(query):
        unexplained.update(check_falls_back(run_with(query), query))

    opens_cleanly()
    expect_explained(sorted(unexplained))
