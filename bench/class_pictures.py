"""k-means on what a class asks for: the 24 links of ``classroom.py``'s distinct case.

Each link's sample at the app's working size (512 px), its colour space plus
position (weight 0.3), its k; one thread for everybody, as a class server runs
it (``SEGMENT_THREADS=1``). Our Lloyd loop against scikit-learn's Lloyd and
oneDAL's (scikit-learn-intelex), from the same k-means++ start, in the same
run: CPU seconds per run (user + system of this process) and their ratios,
summed over the 24 links.

Usage::

    .venv/bin/python bench/class_pictures.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import session_links  # noqa: E402

from segmentation import extract_features  # noqa: E402
from segmentation import kmeans as kmeans_module  # noqa: E402
from segmentation.kmeans import kmeans, kmeans_plusplus  # noqa: E402
from segmentation.features import FeatureSpec  # noqa: E402
from segmentation.samples import load_sample  # noqa: E402
from segmentation.visualize import downscale_image  # noqa: E402

WORKING_SIDE = 512  # ui.state.DEFAULT_MAX_SIDE


def cpu(run) -> float:
    """CPU seconds of ``run()`` (all threads of this process)."""
    start = time.process_time()
    run()
    return time.process_time() - start


def main() -> int:
    from sklearn.cluster import KMeans  # noqa: PLC0415 - an oracle, not a dependency

    try:
        from sklearnex.cluster import KMeans as OneDAL  # noqa: PLC0415
    except ImportError:
        OneDAL = None
    kmeans_module.set_num_threads(1)
    totals = {"ours": 0.0, "sklearn lloyd": 0.0, "oneDAL": 0.0}
    print(f"{'link':<40} {'ours s':>7} {'lloyd s':>8} {'oneDAL s':>9}")
    with threadpool_limits(1):
        for link in session_links(24, "distinct"):
            image = downscale_image(load_sample(link["sample"]), WORKING_SIDE)
            X = extract_features(image, FeatureSpec.from_weights(link["color"], False, 0.3, 0))
            X = X.values
            k = int(link["k"])
            start = kmeans_plusplus(X, k, seed=0)  # the same start for everybody
            times = {
                "ours": cpu(lambda: kmeans(X, k, init=start, tol=1e-4)),  # noqa: B023
                "sklearn lloyd": cpu(lambda: KMeans(k, init=start, n_init=1, tol=1e-4,  # noqa: B023
                                                    algorithm="lloyd").fit(X)),
            }
            if OneDAL is not None:
                times["oneDAL"] = cpu(lambda: OneDAL(k, init=start, n_init=1,  # noqa: B023
                                                     tol=1e-4).fit(X))
            for name, seconds in times.items():
                totals[name] += seconds
            label = f"{link['sample']} {link['color']} k={k}"
            print(f"{label:<40} {times['ours']:7.3f} {times['sklearn lloyd']:8.3f} "
                  f"{times.get('oneDAL', np.nan):9.3f}")
    print(f"total CPU: ours {totals['ours']:.2f} s, scikit-learn lloyd "
          f"{totals['sklearn lloyd']:.2f} s, oneDAL {totals['oneDAL']:.2f} s")
    print(f"ours / scikit-learn lloyd = {totals['ours'] / totals['sklearn lloyd']:.2f}; "
          + (f"ours / oneDAL = {totals['ours'] / totals['oneDAL']:.2f}" if OneDAL else
             "oneDAL not installed (requirements-bench.txt)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
