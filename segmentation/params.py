"""The parameters of one segmentation run: defaults, limits and choices, in one place.

Everything that describes a run of :func:`segmentation.segment` besides the
image lives here, and every caller reads it from here: the command line
(:mod:`segmentation.cli`) takes its option defaults, ranges and choices from
these names, the app's widgets (``ui/controls.py``) theirs, and
:meth:`segmentation.FeatureSpec.from_weights` its default weights. So a
default changes in exactly one line: a field of :class:`SegmentParams`.

:class:`SegmentParams` is a frozen, hashable record, checked when it is built:
the app keys its cache on it, and writes the parameters JSON and the Python
script of a run from it.

The record is *canonical*: a feature group that is switched off has weight 0,
exactly as :meth:`segmentation.FeatureSpec.from_weights` and
:func:`segmentation.segment` read it. Two widget states that describe the same
computation (position off with weight 0.3, position off with weight 1.2) give
equal records, hence one cache entry.

This module imports nothing else from the package at load time, so that
:mod:`segmentation.features` can read its defaults from here without an
import cycle.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_choice, check_float, check_int

if TYPE_CHECKING:  # only for the annotation of SegmentParams.spec
    from .features import FeatureSpec

__all__ = [
    "COLOR_SPACES",
    "CONTROL_DEFAULTS",
    "DEFAULTS",
    "INIT_CHOICES",
    "K_RANGE",
    "MAX_ITER_RANGE",
    "N_INIT_RANGE",
    "MAX_K",
    "MAX_WEIGHT",
    "NoFeatureSelectedError",
    "SEED_RANGE",
    "SegmentParams",
    "TOL_CHOICES",
    "WEIGHT_RANGE",
    "WEIGHT_WHEN_SWITCHED_ON",
]

# ----------------------------------------------------------------------------
# What a run accepts (SegmentParams checks these; so does the command line).
# ----------------------------------------------------------------------------
# The colour feature of each pixel, from none to the richest; "none" = no colour.
COLOR_SPACES = ("none", "gray", "rgb", "hsv", "lab")
INIT_CHOICES = ("k-means++", "random")  # how the first centres are chosen
MAX_K = 256  # the labels PNG is 8-bit, pixel value = segment index
MAX_WEIGHT = 10.0  # largest feature-group weight (FeatureSpec's limit)

# ----------------------------------------------------------------------------
# What the app's widgets offer: teaching ranges inside the limits above.
# ----------------------------------------------------------------------------
K_RANGE = (2, 12)
WEIGHT_RANGE = (0.0, 2.0)
SEED_RANGE = (0, 2**31 - 1)
MAX_ITER_RANGE = (1, 300)
N_INIT_RANGE = (1, 10)  # starts of "best of N"
TOL_CHOICES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
# The weight a group starts from when a student switches it on and its
# default weight is 0 (the centre distance).
WEIGHT_WHEN_SWITCHED_ON = 1.0


class NoFeatureSelectedError(ValueError):
    """The parameters select no feature at all, so pixels cannot be compared.

    A ``ValueError``, raised separately so the app can show it as advice
    ("select a feature") without catching every ``ValueError``.
    """


@dataclass(frozen=True)
class SegmentParams:
    """Everything :func:`segmentation.segment` needs besides the image.

    The field defaults below are *the* defaults of the package, the command
    line and the app. Values are checked and normalised (plain ``int``,
    ``float``, ``bool``, ``str``) when the record is built, so equal runs
    compare and hash equal and the record can key a cache.

    Raises
    ------
    ValueError
        If a field is out of range or not one of its choices; the message
        names the field and the value.
    TypeError
        If a field has the wrong type (e.g. ``k=2.5``).

    Examples
    --------
    >>> params = SegmentParams.from_controls(k=3, position=False, position_weight=1.2)
    >>> params.position_weight, params.spec().describe()
    (0.0, 'RGB colour')
    >>> SegmentParams(color="cmyk")
    Traceback (most recent call last):
    ...
    ValueError: color='cmyk' must be one of 'none', 'gray', 'rgb', 'hsv', 'lab'
    """

    k: int = 4  # number of segments, 1..MAX_K
    color: str = "rgb"  # colour feature, one of COLOR_SPACES
    texture: bool = False  # add the local-contrast column
    position_weight: float = 0.3  # weight of (row, col), 0..MAX_WEIGHT; 0 = position off
    center_weight: float = 0.0  # weight of the distance from the centre; 0 = off
    init: str = "k-means++"  # initialisation, one of INIT_CHOICES
    seed: int = 0  # seed of the initialisation, >= 0
    max_iter: int = 100  # most update+assign iterations, >= 0
    tol: float = 1e-4  # relative centre-shift tolerance, >= 0, see kmeans_iter
    n_init: int = 1  # random starts; the run with the lowest inertia is kept, >= 1

    def __post_init__(self) -> None:
        # object.__setattr__ because the dataclass is frozen.
        checked = {
            "k": check_int(self.k, "k", low=1, high=MAX_K),
            "color": check_choice(self.color, "color", COLOR_SPACES),
            "texture": _check_flag(self.texture, "texture"),
            "position_weight": check_float(self.position_weight, "position_weight", low=0,
                                           high=MAX_WEIGHT),
            "center_weight": check_float(self.center_weight, "center_weight", low=0,
                                         high=MAX_WEIGHT),
            "init": check_choice(self.init, "init", INIT_CHOICES),
            "seed": check_int(self.seed, "seed", low=0),
            "max_iter": check_int(self.max_iter, "max_iter", low=0),
            "tol": check_float(self.tol, "tol", low=0),
            "n_init": check_int(self.n_init, "n_init", low=1),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_controls(cls, **controls: object) -> SegmentParams:
        """Fold the on/off switches of the app's controls into the weights.

        Parameters
        ----------
        **controls
            Widget values keyed as :data:`CONTROL_DEFAULTS` (``k``, ``color``,
            ``texture``, ``position``, ``position_weight``, ``center``,
            ``center_weight``, ``init``, ``seed``, ``max_iter``, ``tol``, ``n_init``);
            a missing key takes its value from :data:`CONTROL_DEFAULTS`.
            ``position`` and ``center`` are the switches; their weights count
            only when the switch is on.

        Returns
        -------
        SegmentParams
            Canonical: a switched-off group has weight 0.

        Raises
        ------
        TypeError
            If a key is not one of the controls.
        ValueError
            If a value is out of range, as the constructor checks.

        Examples
        --------
        >>> SegmentParams.from_controls(center=True).center_weight
        1.0
        """
        unknown = sorted(set(controls) - set(CONTROL_DEFAULTS))
        if unknown:
            raise TypeError(f"from_controls got unknown controls {unknown}; "
                            f"expected some of {sorted(CONTROL_DEFAULTS)}")
        c = {**CONTROL_DEFAULTS, **controls}
        return cls(k=c["k"], color=c["color"], texture=c["texture"],
                   position_weight=c["position_weight"] if c["position"] else 0.0,
                   center_weight=c["center_weight"] if c["center"] else 0.0,
                   init=c["init"], seed=c["seed"], max_iter=c["max_iter"], tol=c["tol"],
                   n_init=c["n_init"])

    def controls(self) -> dict[str, object]:
        """The widget values that show these parameters; the inverse of :meth:`from_controls`.

        A switched-off group shows its switch off and the weight it would
        start from if switched on.

        Examples
        --------
        >>> SegmentParams(position_weight=0.0).controls()["position"]
        False
        """
        return {
            "k": self.k, "color": self.color, "texture": self.texture,
            "position": self.position_weight > 0,
            "position_weight": self.position_weight or _weight_when_on("position_weight"),
            "center": self.center_weight > 0,
            "center_weight": self.center_weight or _weight_when_on("center_weight"),
            "init": self.init, "seed": self.seed, "max_iter": self.max_iter, "tol": self.tol,
            "n_init": self.n_init,
        }

    @property
    def has_features(self) -> bool:
        """Whether at least one feature group is selected (else :meth:`spec` raises)."""
        return (self.color != "none" or self.texture or self.position_weight > 0
                or self.center_weight > 0)

    def spec(self) -> FeatureSpec:
        """The feature specification of this run.

        Raises
        ------
        NoFeatureSelectedError
            If no feature group is selected (the message says what to do).
        """
        from .features import FeatureSpec  # here: features reads its defaults from this module

        if not self.has_features:
            raise NoFeatureSelectedError(
                "Select at least one feature: a colour space, texture, position or distance "
                "from centre. Got color='none' and every other group off or with weight 0.")
        return FeatureSpec.from_weights(self.color, self.texture, self.position_weight,
                                        self.center_weight)

    def segment_kwargs(self) -> dict[str, object]:
        """Keyword arguments of :func:`segmentation.segment` (all but the image)."""
        return dataclasses.asdict(self)

    def to_json(self, **extra: object) -> str:
        """The parameters as pretty JSON, with ``extra`` fields (image name, size...) first.

        Examples
        --------
        >>> print(SegmentParams(k=2).to_json(image="coins"))  # doctest: +ELLIPSIS
        {
          "image": "coins",
          "k": 2,
        ...
        """
        return json.dumps({**extra, **self.segment_kwargs()}, indent=2)

    def python_snippet(self, *, sample_key: str | None, max_side: int) -> str:
        """A script that reproduces this run with the ``segmentation`` package.

        The script says in its header how to install the package; once it
        is installed, the script runs from any folder.

        Parameters
        ----------
        sample_key : str or None
            Gallery key of the image, or None for an uploaded / camera image
            (the script then reads ``my_image.png`` saved next to it).
        max_side : int
            Long side of the working resolution the app segmented at.

        Returns
        -------
        str
            Python source; running it prints the number of iterations and the
            segment sizes, the same as the app's.
        """
        if sample_key is not None:
            load = (f"from segmentation.samples import load_sample\n"
                    f"from segmentation.visualize import downscale_image\n\n"
                    f"image = downscale_image(load_sample({sample_key!r}), max_side={max_side})")
        else:
            load = (f"from pathlib import Path\n\n"
                    f"from segmentation.io import load_image_file\n\n"
                    f"# the picture you uploaded, saved as my_image.png next to this script\n"
                    f"picture = Path(__file__).resolve().with_name(\"my_image.png\")\n"
                    f"image = load_image_file(picture, max_side={max_side}).image")
        arguments = ",\n".join(f"    {name}={value!r}" for name, value in self.segment_kwargs().items())
        return (f"{_SCRIPT_HEADER}\nfrom segmentation import segment\n{load}\n\n"
                f"result = segment(\n    image,\n{arguments},\n)\n"
                f"print(result.n_iter, \"iterations, converged:\", result.converged)\n"
                f"print([s.pixel_count for s in result.statistics])\n")


# The header of the script python_snippet writes: what it needs and how to get it.
_SCRIPT_HEADER = '''\
"""Reproduce a k-means segmentation made in the app "k-means image segmentation".

Needs Python 3.11 and the `segmentation` package of the app's repository
(distribution name kmeans-segment, with numpy, scipy, scikit-image, pillow).
Install it once, from the repository's folder:

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt

(or `pip install /path/to/the/repository` into any Python 3.11 environment),
then run this script from any folder with that Python:

    /path/to/the/repository/.venv/bin/python this_script.py
"""
'''


def _check_flag(value: object, name: str) -> bool:
    """A real bool (numpy's too), as widgets and argparse give; not 0/1 or strings."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False, not {type(value).__name__}")
    return bool(value)


def _weight_when_on(name: str) -> float:
    """The weight a group's slider shows while the group is off: its default, or 1."""
    return getattr(DEFAULTS, name) or WEIGHT_WHEN_SWITCHED_ON


DEFAULTS = SegmentParams()  # the default run, as the app opens and the CLI starts
# The app's widget values for the default run, keyed by widget key (= URL
# query parameter): the switches, and the weight each group starts from.
CONTROL_DEFAULTS = DEFAULTS.controls()
