"""Tests for segmentation.params: the one place of a run's defaults, limits and choices.

Every other place that needs a default (``segment``'s signature, the command
line, the app's widgets, ``FeatureSpec.from_weights``) is checked against
:data:`DEFAULTS` here, so a default can only change in one line.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools

import pytest

from segmentation import features, segment
from segmentation.cli import build_parser
from segmentation.features import FeatureSpec
from segmentation.params import (
    COLOR_SPACES,
    CONTROL_DEFAULTS,
    DEFAULTS,
    INIT_CHOICES,
    K_RANGE,
    MAX_ITER_RANGE,
    MAX_K,
    MAX_WEIGHT,
    SEED_RANGE,
    TOL_CHOICES,
    WEIGHT_RANGE,
    NoFeatureSelectedError,
    SegmentParams,
)

FIELDS = [field.name for field in dataclasses.fields(SegmentParams)]


def test_defaults_are_the_field_defaults():
    # DEFAULTS is SegmentParams() and every field has a default.
    assert DEFAULTS == SegmentParams()
    assert all(field.default is not dataclasses.MISSING for field in dataclasses.fields(SegmentParams))


def test_segment_signature_defaults_equal_segment_params():
    # segment(image, k=..., color=..., ...) defaults are exactly DEFAULTS, field by field.
    parameters = inspect.signature(segment).parameters
    signature_defaults = {name: parameters[name].default for name in FIELDS}
    assert signature_defaults == dataclasses.asdict(DEFAULTS)


def test_from_weights_defaults_equal_segment_params():
    # FeatureSpec.from_weights() with no arguments is the spec of the default run.
    parameters = inspect.signature(FeatureSpec.from_weights).parameters
    for name in ("color", "texture", "position_weight", "center_weight"):
        assert parameters[name].default == getattr(DEFAULTS, name), name
    assert FeatureSpec.from_weights() == DEFAULTS.spec()


def test_cli_defaults_and_choices_equal_segment_params():
    # python -m segmentation IMAGE with no option runs the default run.
    parser = build_parser()
    args = parser.parse_args(["photo.png"])
    assert {name: getattr(args, name) for name in FIELDS} == dataclasses.asdict(DEFAULTS)
    choices = {action.dest: action.choices for action in parser._actions if action.choices}
    assert tuple(choices["color"]) == COLOR_SPACES
    assert tuple(choices["init"]) == INIT_CHOICES


def test_color_spaces_have_one_source():
    # features.COLOR_SPACES is the very tuple of params, not a copy that could drift.
    assert features.COLOR_SPACES is COLOR_SPACES
    assert set(COLOR_SPACES) == set(features._COLOR_NAMES)  # every choice has its columns


def test_widget_ranges_sit_inside_the_limits():
    # What the app offers is always a valid run, and includes the default.
    assert 1 <= K_RANGE[0] <= DEFAULTS.k <= K_RANGE[1] <= MAX_K
    assert 0 <= WEIGHT_RANGE[0] <= DEFAULTS.position_weight <= WEIGHT_RANGE[1] <= MAX_WEIGHT
    assert MAX_ITER_RANGE[0] <= DEFAULTS.max_iter <= MAX_ITER_RANGE[1]
    assert SEED_RANGE[0] <= DEFAULTS.seed <= SEED_RANGE[1]
    assert DEFAULTS.tol in TOL_CHOICES
    assert DEFAULTS.color in COLOR_SPACES and DEFAULTS.init in INIT_CHOICES


def test_control_defaults_describe_the_default_run():
    # The widgets' defaults give the default run, and the default run shows them.
    assert SegmentParams.from_controls(**CONTROL_DEFAULTS) == DEFAULTS
    assert SegmentParams.from_controls() == DEFAULTS
    assert DEFAULTS.controls() == CONTROL_DEFAULTS


@pytest.mark.parametrize("params", [
    SegmentParams(),
    SegmentParams(k=7, color="hsv", texture=True, position_weight=0.0, center_weight=0.5,
                  init="random", seed=3, max_iter=20, tol=1e-3),
    SegmentParams(color="none", position_weight=1.5),
])
def test_controls_round_trip(params):
    # controls() is the inverse of from_controls(): the widgets restore the same run.
    assert SegmentParams.from_controls(**params.controls()) == params


def test_switched_off_group_shows_the_weight_it_starts_from():
    # Centre off (weight 0): its switch is off and its slider rests at 1.0, not 0.
    controls = SegmentParams(center_weight=0.0, position_weight=0.0).controls()
    assert (controls["center"], controls["center_weight"]) == (False, 1.0)
    assert (controls["position"], controls["position_weight"]) == (False, DEFAULTS.position_weight)


def test_values_are_normalised_so_equal_runs_hash_equal():
    # numpy ints and ints give the same record (one cache key).
    import numpy as np

    a = SegmentParams(k=np.int64(5), position_weight=1, seed=np.int32(2), texture=np.bool_(True))
    b = SegmentParams(k=5, position_weight=1.0, seed=2, texture=True)
    assert a == b and hash(a) == hash(b)
    assert type(a.k) is int and type(a.position_weight) is float and type(a.texture) is bool


@pytest.mark.parametrize(("field", "value", "message"), [
    ("k", 0, "k=0 must be between 1 and 256"),
    ("k", MAX_K + 1, "k=257 must be between 1 and 256"),
    ("color", "cmyk", "color='cmyk' must be one of 'none', 'gray', 'rgb', 'hsv', 'lab'"),
    ("init", "kmeans++", "init='kmeans++' must be one of 'k-means++', 'random'"),
    ("position_weight", -0.1, "position_weight=-0.1 must be between 0 and 10"),
    ("center_weight", 11, "center_weight=11 must be between 0 and 10"),
    ("seed", -1, "seed=-1 must be >= 0"),
    ("max_iter", -5, "max_iter=-5 must be >= 0"),
    ("tol", -1e-3, "tol=-0.001 must be >= 0"),
])
def test_invalid_values_name_the_parameter_and_value(field, value, message):
    # Errors that teach: the field, the rule, the value received.
    with pytest.raises(ValueError, match=f"^{message.replace('+', '[+]')}"):
        SegmentParams(**{field: value})


@pytest.mark.parametrize(("field", "value"), [("k", 2.5), ("texture", "False"), ("seed", None)])
def test_wrong_types_are_type_errors(field, value):
    # A string "False" would be truthy; a float k is a mistake, not a rounding.
    with pytest.raises(TypeError, match=f"^{field}="):
        SegmentParams(**{field: value})


def test_from_controls_rejects_unknown_controls():
    # A misspelt control is an error, not silently the default.
    with pytest.raises(TypeError, match="unknown controls \\['positon'\\]"):
        SegmentParams.from_controls(positon=False)


def test_has_features_agrees_with_feature_spec():
    # has_features is True exactly when FeatureSpec.from_weights accepts the run.
    for color, texture, position, center in itertools.product(
            COLOR_SPACES, (False, True), (0.0, 0.3), (0.0, 1.0)):
        params = SegmentParams(color=color, texture=texture, position_weight=position,
                               center_weight=center)
        try:
            FeatureSpec.from_weights(color, texture, position, center)
            accepted = True
        except ValueError:
            accepted = False
        assert params.has_features == accepted, params


def test_no_feature_selected_is_its_own_error():
    # The app can catch this one error, not every ValueError; its message says what to do.
    params = SegmentParams(color="none", position_weight=0.0)
    with pytest.raises(NoFeatureSelectedError, match="^Select at least one feature"):
        params.spec()
    assert issubclass(NoFeatureSelectedError, ValueError)


def test_segment_kwargs_run_segment():
    # segment(image, **params.segment_kwargs()) is the run the record describes.
    import numpy as np

    image = np.zeros((4, 6), dtype=np.uint8)
    image[:, 3:] = 255
    params = SegmentParams(k=2, position_weight=0.0)
    result = segment(image, **params.segment_kwargs())
    assert result.k == 2 and result.spec == params.spec()


def test_python_snippet_says_how_to_install():
    # The script's header tells a student what to install and that it runs from anywhere.
    script = SegmentParams().python_snippet(sample_key="coins", max_side=256)
    header = script.split('"""')[1]
    assert "pip install -r requirements.txt" in header
    assert "from any folder" in header
    compile(script, "reproduce.py", "exec")  # valid Python
