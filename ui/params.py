"""The parameters of one segmentation run, as a frozen, hashable record.

The app, the cache and the downloads all speak about a run through
:class:`SegmentParams`: the widgets produce one, the cache uses it (with the
image digest) as its key, and the parameters JSON and the Python snippet are
written from it. No Streamlit here, so everything is testable in plain Python.

The record is *canonical*: a feature group that is switched off has weight 0,
exactly as :meth:`segmentation.FeatureSpec.from_weights` and
:func:`segmentation.segment` read it. Two widget states that describe the same
computation (position off with weight 0.3, position off with weight 1.2) give
equal records, hence one cache entry.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from segmentation import FeatureSpec

__all__ = [
    "COLOR_CHOICES",
    "INIT_CHOICES",
    "K_RANGE",
    "MAX_ITER_RANGE",
    "SegmentParams",
    "TOL_CHOICES",
    "WEIGHT_RANGE",
]

# Ranges and choices of the controls; the defaults live in SegmentParams.
K_RANGE = (2, 12)
COLOR_CHOICES = ("rgb", "hsv", "lab", "gray", "none")  # the words segment(color=...) takes
INIT_CHOICES = ("k-means++", "random")
WEIGHT_RANGE = (0.0, 2.0)
MAX_ITER_RANGE = (1, 300)
TOL_CHOICES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


@dataclass(frozen=True)
class SegmentParams:
    """Everything :func:`segmentation.segment` needs besides the image.

    Build it with :meth:`from_controls`, which folds the on/off switches into
    the weights. Frozen and made of plain numbers and strings, so it is
    hashable and can key a cache.

    Examples
    --------
    >>> params = SegmentParams.from_controls(k=3, position=False, position_weight=1.2)
    >>> params.position_weight, params.spec().describe()
    (0.0, 'RGB colour')
    """

    k: int = 4  # number of segments
    color: str = "rgb"  # colour feature, one of COLOR_CHOICES
    texture: bool = False  # add the local-contrast column
    position_weight: float = 0.3  # weight of (row, col); 0 = position off
    center_weight: float = 0.0  # weight of the distance from the centre; 0 = off
    init: str = "k-means++"  # initialisation, one of INIT_CHOICES
    seed: int = 0  # seed of the initialisation
    max_iter: int = 100  # most update+assign iterations
    tol: float = 1e-4  # relative centre-shift tolerance, see kmeans_iter

    @classmethod
    def from_controls(cls, *, k: int = 4, color: str = "rgb", texture: bool = False,
                      position: bool = True, position_weight: float = 0.3,
                      center: bool = False, center_weight: float = 1.0,
                      init: str = "k-means++", seed: int = 0, max_iter: int = 100,
                      tol: float = 1e-4) -> SegmentParams:
        """Fold the on/off switches of the controls into the weights.

        Parameters
        ----------
        k, color, texture, init, seed, max_iter, tol
            As in :func:`segmentation.segment`.
        position, center : bool
            Whether the position / distance-from-centre features are on.
        position_weight, center_weight : float
            Their weights, used only when the switch is on.

        Returns
        -------
        SegmentParams
            Canonical: a switched-off group has weight 0.
        """
        return cls(k=int(k), color=str(color), texture=bool(texture),
                   position_weight=float(position_weight) if position else 0.0,
                   center_weight=float(center_weight) if center else 0.0,
                   init=str(init), seed=int(seed), max_iter=int(max_iter), tol=float(tol))

    def spec(self) -> FeatureSpec:
        """The feature specification of this run.

        Raises
        ------
        ValueError
            If no feature group is selected (the message says what to do).
        """
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
        """A short script that reproduces this run with the ``segmentation`` package.

        Parameters
        ----------
        sample_key : str or None
            Gallery key of the image, or None for an uploaded / camera image
            (the script then reads ``my_image.png``).
        max_side : int
            Long side of the working resolution the app segmented at.

        Returns
        -------
        str
            Python source; running it prints the same segment sizes as the app.
        """
        if sample_key is not None:
            load = (f"from segmentation.samples import load_sample\n"
                    f"from segmentation.visualize import downscale_image\n\n"
                    f"image = downscale_image(load_sample({sample_key!r}), max_side={max_side})")
        else:
            load = (f"from segmentation.io import load_image_file\n\n"
                    f"# the picture you uploaded, saved next to this script\n"
                    f"image = load_image_file(\"my_image.png\", max_side={max_side}).image")
        arguments = ",\n".join(f"    {name}={value!r}" for name, value in self.segment_kwargs().items())
        return (f"from segmentation import segment\n{load}\n\n"
                f"result = segment(\n    image,\n{arguments},\n)\n"
                f"print(result.n_iter, \"iterations, converged:\", result.converged)\n"
                f"print([s.pixel_count for s in result.statistics])\n")
