"""Every cache of the app is bounded: a class of students cannot fill the server's memory.

``ui/cache.py`` is the one caching layer. Each cached function must say how
many entries it keeps and for how long, so memory is bounded by
(entries x entry size) per process whatever the students do.
"""

from __future__ import annotations

import inspect

import pytest
from streamlit.runtime.caching.cache_utils import CachedFunc

from ui import cache


def cached_functions() -> dict[str, CachedFunc]:
    """All Streamlit-cached functions defined in ui/cache.py."""
    return {name: value for name, value in inspect.getmembers(cache)
            if isinstance(value, CachedFunc)}


def test_the_caching_layer_has_caches():
    # The enumeration below is not vacuous.
    assert len(cached_functions()) >= 3


@pytest.mark.parametrize("name", sorted(cached_functions()))
def test_every_cache_has_an_entry_limit_and_a_lifetime(name):
    # An unbounded cache keyed by parameters from a URL grows without limit.
    info = cached_functions()[name]._info
    assert info.max_entries is not None and 1 <= info.max_entries <= 512, name
    assert info.ttl is not None, name


def test_a_bounded_cache_evicts_beyond_its_limit():
    # The bound is real: with max_entries=2, a third key evicts the oldest one,
    # which is then computed again.
    import streamlit as st

    calls = []

    @st.cache_resource(max_entries=2, ttl=60, show_spinner=False)
    def square(x):
        calls.append(x)
        return x * x

    for x in (1, 2, 3, 1):
        assert square(x) == x * x
    assert calls == [1, 2, 3, 1]
    square.clear()
