"""Cache keys: the fast keys of ``ui/cache.py`` tell apart everything the slow ones did.

Streamlit hashes a dataclass argument field by field, which costs 0.1-0.25 ms
per argument per call; ``ui.cache._HASH_FUNCS`` keys the app's frozen settings
dataclasses on their ``repr`` instead. That is only right if the repr changes
whenever any field does, and if every cached function uses these keys.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from streamlit.runtime.caching.cache_type import CacheType
from streamlit.runtime.caching.hashing import update_hash

from tests.test_cache_bounds import cached_functions
from ui import cache
from ui.display import DisplaySettings
from ui.params import SegmentParams

# A second valid value for every field of every keyed dataclass.
OTHER_VALUES = {
    SegmentParams: {"k": 5, "color": "lab", "texture": True, "position_weight": 0.35,
                    "center_weight": 1.0, "init": "random", "seed": 1, "max_iter": 99,
                    "tol": 1e-5, "n_init": 2},
    DisplaySettings: {"palette": "colorblind", "numbers": True, "present": True},
    cache.CleanSettings: {"min_size": 7, "fill": True, "merge_threshold": 3.5,
                          "smooth_radius": 3},
}


def streamlit_key(value) -> str:
    """The hash Streamlit's cache computes for ``value`` as an argument, with our keys."""
    hasher = hashlib.new("md5", usedforsecurity=False)
    update_hash(value, hasher=hasher, cache_type=CacheType.RESOURCE,
                hash_funcs=cache._HASH_FUNCS)
    return hasher.hexdigest()


@pytest.mark.parametrize("kind", list(OTHER_VALUES), ids=lambda kind: kind.__name__)
def test_changing_any_field_changes_the_key(kind):
    base = kind()
    fields = {field.name for field in dataclasses.fields(kind)}
    assert set(OTHER_VALUES[kind]) == fields  # a new field needs a value here
    for name, value in OTHER_VALUES[kind].items():
        changed = dataclasses.replace(base, **{name: value})
        assert getattr(changed, name) != getattr(base, name), name
        assert streamlit_key(changed) != streamlit_key(base), name
    assert streamlit_key(kind()) == streamlit_key(base)  # and equal values, equal keys


def test_fast_keys_reach_inside_tuples():
    # A tuple key such as cache.cleaned_key's hashes its SegmentParams the fast way too.
    params = SegmentParams(k=3)
    hasher = hashlib.new("md5", usedforsecurity=False)
    update_hash(cache.cleaned_key(params), hasher=hasher, cache_type=CacheType.RESOURCE,
                hash_funcs={})
    slow = hasher.hexdigest()
    assert streamlit_key(cache.cleaned_key(params)) != slow  # the fast key was used inside
    assert streamlit_key(cache.cleaned_key(params)) != streamlit_key(cache.cleaned_key(
        SegmentParams(k=4)))


@pytest.mark.parametrize("name", sorted(cached_functions()))
def test_every_cached_function_uses_the_fast_keys(name):
    info = cached_functions()[name]._info
    assert info.hash_funcs is cache._HASH_FUNCS, name
