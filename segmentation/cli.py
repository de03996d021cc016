"""The ``python -m segmentation`` command line: segment image files in a batch.

Installed with the package, the same command is also called ``kmeans-segment``.
For every input image it writes the three files of :mod:`segmentation.export`
into the output folder, exactly as the app's downloads are built:

* ``<stem>_labels.png``: 8-bit grayscale, pixel value = segment index (0..k-1),
  numbered from darkest to brightest segment as :func:`segmentation.segment` does;
* ``<stem>_overlay.png``: the segment colours blended over the photo;
* ``<stem>_stats.csv``: one row of :func:`segmentation.statistics_csv` per segment.

With ``--clean``, the labels are cleaned up by :func:`segmentation.postprocess.clean`
(small specks join their neighbour, holes are filled, similar neighbours merge,
borders are smoothed) before the files are written; the statistics then
describe the cleaned segments.

Option defaults, ranges and choices are those of :mod:`segmentation.params`.

A damaged or missing file does not stop the batch: its error is reported on
stderr, the other images are processed, and the exit status is 1. Invalid
parameters stop everything before the first image with exit status 2, the
status ``argparse`` uses for usage errors.

Examples
--------
>>> parser = build_parser()
>>> args = parser.parse_args(["photo.jpg", "--k", "3"])
>>> args.k, args.color, args.position_weight
(3, 'rgb', 0.3)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._validation import check_float, check_int
from .export import DEFAULT_ALPHA, export_files
from .features import extract_features
from .io import ImageLoadError, load_image_file
from .kmeans import TooFewDistinctPointsError
from .params import (
    COLOR_SPACES,
    DEFAULTS,
    INIT_CHOICES,
    MAX_K,
    MAX_WEIGHT,
    NoFeatureSelectedError,
    SegmentParams,
)
from .metrics import segment_statistics
from .pipeline import Segmentation, segment
from .postprocess import clean

__all__ = ["COMMAND", "ImageSummary", "build_parser", "cleaned", "console_main", "main",
           "process_image", "segment_params"]

# Exit statuses: 0 = every image segmented, 1 = at least one image failed,
# 2 = invalid command line (argparse's own convention for usage errors).
EXIT_OK, EXIT_IMAGE_FAILED, EXIT_USAGE = 0, 1, 2

COMMAND = "kmeans-segment"  # the console command an install creates (see pyproject.toml)
MODULE_PROG = "python -m segmentation"  # how the command is called without installing

_DESCRIPTION = """\
Segment images into k regions with k-means on per-pixel features (colour,
texture, position), in pure NumPy. For every IMAGE, three files are written
into the output folder: STEM_labels.png (8-bit grayscale, pixel value =
segment index, segments numbered from darkest to brightest), STEM_overlay.png
(segment colours over the photo) and STEM_stats.csv (size, colour and shape of
each segment)."""

_EPILOG = """\
examples:
  %(prog)s photo.jpg --k 4 --out results
  %(prog)s scans/*.png --k 3 --color lab --position-weight 0 --max-side 512
  %(prog)s photo.jpg --k 6 --clean

exit status: 0 if every image was segmented, 1 if any image could not be read
or segmented (the others are still processed), 2 for invalid options."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show every option's default and keep the example lines of the epilog as written."""


@dataclass(frozen=True)
class ImageSummary:
    """What :func:`process_image` did with one image."""

    source: Path  # the input file, as given on the command line
    labels_path: Path  # <stem>_labels.png, pixel value = segment index
    overlay_path: Path  # <stem>_overlay.png, segment colours over the photo
    stats_path: Path  # <stem>_stats.csv, one row per segment
    shape: tuple[int, int]  # (height, width) actually segmented (after --max-side)
    k: int  # number of segments
    n_iter: int  # k-means iterations after the initial assignment
    converged: bool  # False if k-means stopped at --max-iter
    elapsed_seconds: float  # wall time for load + segment + write

    def describe(self) -> str:
        """One progress-line summary, e.g. ``'4 segments, 12 iterations, 0.8 s'``."""
        text = (f"{_plural(self.k, 'segment')}, {_plural(self.n_iter, 'iteration')}, "
                f"{self.elapsed_seconds:.1f} s")
        return text if self.converged else text + " (stopped at --max-iter before converging)"


def build_parser(prog: str = MODULE_PROG) -> argparse.ArgumentParser:
    """Create the argument parser of ``python -m segmentation``.

    Parameters
    ----------
    prog : str, optional
        The command's name in the usage line and the examples.

    Returns
    -------
    argparse.ArgumentParser
        Parses the image paths and every option; numeric options are checked
        against their allowed range while parsing, so a bad value is a usage
        error (exit status 2) that names the option.

    Examples
    --------
    >>> build_parser().parse_args(["a.png", "--max-side", "512"]).max_side
    512
    """
    parser = argparse.ArgumentParser(
        prog=prog, description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=_HelpFormatter)
    parser.add_argument("images", metavar="IMAGE", nargs="+", type=Path,
                        help="image files to segment (PNG, JPEG, WebP, GIF, BMP or TIFF)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=Path("out"),
                        help="folder for the results, created if missing")
    model = parser.add_argument_group("k-means")
    model.add_argument("--k", type=_int_option("--k", 1, MAX_K), default=DEFAULTS.k,
                       help=f"number of segments (1 to {MAX_K})")
    model.add_argument("--seed", type=_int_option("--seed", 0, None), default=DEFAULTS.seed,
                       help="seed of the initialisation; the same seed gives the same segments")
    model.add_argument("--init", choices=INIT_CHOICES, default=DEFAULTS.init,
                       help="how the first centres are chosen")
    model.add_argument("--n-init", type=_int_option("--n-init", 1, None), default=DEFAULTS.n_init,
                       help="random starts; the one with the lowest inertia is kept")
    model.add_argument("--max-iter", type=_int_option("--max-iter", 0, None),
                       default=DEFAULTS.max_iter,
                       help="maximum number of k-means iterations")
    model.add_argument("--tol", type=_float_option("--tol", 0.0, None), default=DEFAULTS.tol,
                       help="stop when the centres move less than tol times the mean "
                            "feature variance")
    features = parser.add_argument_group("features (what makes two pixels similar)")
    features.add_argument("--color", choices=COLOR_SPACES, default=DEFAULTS.color,
                          help="colour space of the colour feature ('none' = no colour)")
    features.add_argument("--texture", action="store_true",
                          help="add the local-contrast texture feature")
    features.add_argument("--position-weight",
                          type=_float_option("--position-weight", 0.0, MAX_WEIGHT),
                          default=DEFAULTS.position_weight,
                          help="weight of the pixel position (0 = off); larger gives "
                               "compacter segments")
    features.add_argument("--center-weight", type=_float_option("--center-weight", 0.0, MAX_WEIGHT),
                          default=DEFAULTS.center_weight,
                          help="weight of the distance from the image centre (0 = off)")
    output = parser.add_argument_group("input and output")
    output.add_argument("--max-side", metavar="PIXELS", type=_int_option("--max-side", 8, None),
                        default=None,
                        help="shrink each image so its long side is at most PIXELS before "
                             "segmenting, which is faster (default: %(default)s = full size)")
    output.add_argument("--alpha", type=_float_option("--alpha", 0.0, 1.0), default=DEFAULT_ALPHA,
                        help="opacity of the segment colours in the overlay, 0 to 1")
    output.add_argument("--clean", action="store_true",
                        help="clean up the segments before writing: specks join their "
                             "neighbour, holes are filled, similar neighbours merge, "
                             "borders are smoothed (segmentation.postprocess.clean)")
    output.add_argument("--quiet", action="store_true",
                        help="print only errors, no progress lines")
    return parser


def segment_params(args: argparse.Namespace) -> SegmentParams:
    """The run parameters of parsed options (the same record the app builds).

    Raises
    ------
    ValueError
        If an option is out of range (the parser already checks each one).

    Examples
    --------
    >>> segment_params(build_parser().parse_args(["a.png", "--k", "3"])).k
    3
    """
    return SegmentParams(k=args.k, color=args.color, texture=args.texture,
                         position_weight=args.position_weight, center_weight=args.center_weight,
                         init=args.init, seed=args.seed, max_iter=args.max_iter, tol=args.tol,
                         n_init=args.n_init)


def process_image(path: str | Path, out_dir: str | Path, args: argparse.Namespace, *,
                  stem: str | None = None) -> ImageSummary:
    """Load, segment and write the three result files of one image.

    Parameters
    ----------
    path : str or Path
        The image file.
    out_dir : str or Path
        Existing folder the results are written into.
    args : argparse.Namespace
        Options as parsed by :func:`build_parser`.
    stem : str, optional
        Base name of the output files; default: the file name of ``path``
        without its extension.

    Returns
    -------
    ImageSummary
        Output paths, segmented size, number of iterations and timing.

    Raises
    ------
    ImageLoadError
        If the file is missing, unreadable, or not a loadable image.
    TooFewDistinctPointsError
        A ``ValueError``: ``k`` is larger than the number of distinct pixels
        of this image.
    OSError
        If an output file cannot be written.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from segmentation.io import encode_png
    >>> folder = Path(tempfile.mkdtemp())
    >>> image = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> image[:, 3:] = 255
    >>> _ = (folder / "halves.png").write_bytes(encode_png(image))
    >>> args = build_parser().parse_args(["halves.png", "--k", "2"])
    >>> summary = process_image(folder / "halves.png", folder, args)
    >>> summary.labels_path.name, summary.shape, summary.k
    ('halves_labels.png', (4, 6), 2)
    >>> import shutil; shutil.rmtree(folder)
    """
    started = time.perf_counter()
    path, out_dir = Path(path), Path(out_dir)
    stem = path.stem if stem is None else stem
    image = load_image_file(path, max_side=args.max_side).image  # (H, W, 3) uint8
    result = segment(image, **segment_params(args).segment_kwargs())
    if getattr(args, "clean", False):
        result = cleaned(image, result)
    written = []
    for file in export_files(image, result, stem=stem, alpha=args.alpha):  # labels, overlay, stats
        written.append(out_dir / file.name)
        written[-1].write_bytes(file.build())
    labels_path, overlay_path, stats_path = written
    return ImageSummary(path, labels_path, overlay_path, stats_path, result.shape, result.k,
                        result.n_iter, result.converged, time.perf_counter() - started)


def cleaned(image, result: Segmentation) -> Segmentation:
    """The run with :func:`segmentation.postprocess.clean` applied to its labels.

    The labels keep their segment numbers (cleaning only moves pixels between
    existing segments) and the statistics are recomputed on them, with the
    distances measured to the run's k-means centres. The iteration states are
    those of k-means, before cleaning.

    Raises
    ------
    ValueError
        If ``image`` does not match the labels of ``result``.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((16, 16, 3), dtype=np.uint8)
    >>> image[:, 8:] = 255
    >>> image[3, 3] = 255  # one white speck on the black half
    >>> result = segment(image, k=2, position_weight=0)
    >>> [s.pixel_count for s in result.statistics], [s.pixel_count for s in cleaned(image, result).statistics]
    ([127, 129], [128, 128])
    """
    labels = clean(result.labels, image)
    labels.flags.writeable = False
    features = extract_features(image, result.spec).values  # (H*W, d), as segment() made them
    statistics = segment_statistics(image, labels, features, result.states[-1].centers)
    return dataclasses.replace(result, labels=labels, statistics=statistics)


def main(argv: Sequence[str] | None = None, *, prog: str = MODULE_PROG) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default: ``sys.argv[1:]``.
    prog : str, optional
        The command's name in messages.

    Returns
    -------
    int
        0 if every image was segmented, 1 if any image failed, 2 if the
        options are invalid. (``--help`` and argparse's own usage errors
        exit through ``SystemExit`` with status 0 and 2.)

    Examples
    --------
    >>> main(["photo.png", "--color", "none", "--position-weight", "0"])
    2
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    err = sys.stderr
    # 1. Check the combination of feature options once, before any image:
    # each option alone can be valid while together they select nothing.
    try:
        spec = segment_params(args).spec()
    except NoFeatureSelectedError as error:
        print(f"{parser.prog}: error: {error}", file=err)
        return EXIT_USAGE
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"{parser.prog}: error: cannot create the output folder {str(args.out)!r}: "
              f"{error.strerror}", file=err)
        return EXIT_IMAGE_FAILED
    n_images = len(args.images)
    if not args.quiet:
        print(f"Segmenting {_plural(n_images, 'image')} into k={args.k} segments using "
              f"{spec.describe()}.", file=err)
    # 2. Segment the images one by one; a failure is reported and skipped.
    failed = 0
    for number, (path, stem) in enumerate(zip(args.images, _unique_stems(args.images)), start=1):
        prefix = f"[{number}/{n_images}] {path} ..."
        if not args.quiet:
            err.write(prefix + " ")
            err.flush()  # show which image is being worked on while it runs
        try:
            summary = process_image(path, args.out, args, stem=stem)
        except (ImageLoadError, TooFewDistinctPointsError, OSError) as error:
            failed += 1
            message = _error_text(error)
            print(f"error: {message}" if not args.quiet else f"{prefix} error: {message}", file=err)
            continue
        if not args.quiet:
            print(summary.describe(), file=err)
    # 3. Sum up.
    if not args.quiet:
        print(f"Done: {n_images - failed} of {_plural(n_images, 'image')} segmented, results in "
              f"{args.out}" + (f"; {failed} failed." if failed else "."), file=err)
    return EXIT_IMAGE_FAILED if failed else EXIT_OK


def console_main() -> int:
    """Entry point of the installed ``kmeans-segment`` command (see ``pyproject.toml``)."""
    return main(prog=COMMAND)


def _error_text(error: Exception) -> str:
    """A one-line message for a failed image; write errors name the output file."""
    if isinstance(error, OSError):  # reading errors arrive as ImageLoadError, not OSError
        return f"cannot write {error.filename}: {error.strerror}"
    return str(error)


def _plural(count: int, word: str) -> str:
    """``'1 image'``, ``'2 images'``."""
    return f"{count} {word}{'s' * (count != 1)}"


def _unique_stems(paths: Sequence[Path]) -> list[str]:
    """Output stems for the inputs; a repeated stem gets -2, -3, ... so nothing is overwritten.

    >>> _unique_stems([Path("a/x.png"), Path("b/x.jpg"), Path("x-2.png"), Path("y.png")])
    ['x', 'x-2', 'x-2-2', 'y']
    """
    used: set[str] = set()
    stems = []
    for path in paths:
        stem, number = path.stem, 1
        while stem in used:  # a loop, as "x-2" may itself be an input's stem
            number += 1
            stem = f"{path.stem}-{number}"
        used.add(stem)
        stems.append(stem)
    return stems


def _int_option(option: str, low: int | None, high: int | None) -> Callable[[str], int]:
    """An argparse ``type`` that parses an int and checks its range with :func:`check_int`."""
    return _number_option(option, int, "an integer", check_int, low, high)


def _float_option(option: str, low: float | None, high: float | None) -> Callable[[str], float]:
    """An argparse ``type`` that parses a float and checks its range with :func:`check_float`."""
    return _number_option(option, float, "a number", check_float, low, high)


def _number_option(option, convert, noun, check, low, high):
    """Parse with ``convert`` (int or float), then range-check with ``check``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option}={text!r} must be {noun}") from None
        return _checked(check, value, option, low, high)
    return parse


def _checked(check, value, option, low, high):
    """Run a range check, turning its ValueError into argparse's usage error (exit 2)."""
    try:
        return check(value, option, low=low, high=high)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
