"""Image segmentation by k-means clustering of per-pixel features, in pure NumPy.

The package is organised one idea per module:

========================  ====================================================
``segmentation.params``   :class:`SegmentParams`: the parameters of a run, with
                          the one set of defaults, limits and choices
``segmentation.kmeans``   k-means++ and Lloyd's iterations as a generator of
                          frozen per-iteration states
``segmentation.features`` per-pixel feature vectors (colour, texture, position)
``segmentation.pipeline`` :func:`segment`: features -> k-means -> label image
``segmentation.metrics``  segment statistics and ground-truth scores
``segmentation.postprocess`` clean-up of a label image: small regions, holes,
                          similar neighbours, ragged borders
``segmentation.methods``  SLIC, Felzenszwalb, hierarchical merging, k-means on
                          superpixels, side by side with our k-means
``segmentation.visualize`` overlays, boundaries, palettes, animated GIFs
``segmentation.io``       safe image loading for untrusted uploads, PNG output
``segmentation.export``   the result files (labels PNG, overlay PNG, statistics
                          CSV) of the command line and the app's downloads
``segmentation.cli``      the ``python -m segmentation`` command line
========================  ====================================================

Examples
--------
>>> from skimage import data
>>> from segmentation import segment
>>> result = segment(data.coffee()[::4, ::4], k=3, seed=0)
>>> result.labels.shape, len(result.statistics)
((100, 150), 3)
"""

from .export import ResultFile, export_files
from .features import COLOR_SPACES, FeatureMatrix, FeatureSpec, extract_features
from .io import ImageInfo, ImageLoadError, LoadedImage, encode_png, load_image, load_image_file
# The function kmeans() is not re-exported here: `segmentation.kmeans` is the module
# (import the function with `from segmentation.kmeans import kmeans`).
from .kmeans import KMeansState, TooFewDistinctPointsError, kmeans_iter, kmeans_plusplus
from .metrics import (
    GroundTruthScores,
    SegmentationQuality,
    SegmentStats,
    compare_to_ground_truth,
    evaluate_segmentation,
    segment_statistics,
    statistics_csv,
    statistics_rows,
)
from .params import NoFeatureSelectedError, SegmentParams
from .pipeline import Segmentation, TooFewDistinctPixelsError, segment
from .postprocess import CleanSteps, clean, clean_steps
from .choosing_k import elbow_curve, suggest_elbow, working_image
from .stability import adjusted_rand_index, compare_starts, kmeanspp_steps, stability_to_perturbations

__all__ = [
    "COLOR_SPACES",
    "FeatureMatrix",
    "FeatureSpec",
    "GroundTruthScores",
    "ImageInfo",
    "CleanSteps",
    "ImageLoadError",
    "KMeansState",
    "LoadedImage",
    "NoFeatureSelectedError",
    "ResultFile",
    "SegmentParams",
    "SegmentStats",
    "Segmentation",
    "SegmentationQuality",
    "TooFewDistinctPixelsError",
    "TooFewDistinctPointsError",
    "clean",
    "clean_steps",
    "compare_to_ground_truth",
    "encode_png",
    "evaluate_segmentation",
    "export_files",
    "extract_features",
    "kmeans_iter",
    "kmeans_plusplus",
    "load_image",
    "load_image_file",
    "segment",
    "segment_statistics",
    "statistics_csv",
    "statistics_rows",
    "adjusted_rand_index", "compare_starts", "elbow_curve", "kmeanspp_steps", "stability_to_perturbations", "suggest_elbow", "working_image",
]
