"""What the benchmarks share: the test images and a float64 inertia.

Every script compares inertias recomputed here in float64 from each run's
labels and centres, because scikit-learn and oneDAL accumulate float32
distances in float32 (off by 0.2-3 % at 12 MP).
"""

from __future__ import annotations

import numpy as np
from skimage import data, transform


def load_images(quick: bool) -> dict[str, np.ndarray]:
    """retina (1411 x 1411, 2 MP) and, unless quick, a bilinear upscale to 12 MP.

    Interpolation (not tiling) makes new in-between colours, so the 12 MP
    image has a realistic number of distinct colours, not just the 2 MP ones.
    """
    retina = data.retina()
    images = {"2 MP": retina}
    if not quick:
        upscaled = transform.resize(retina, (3000, 4000), order=1, anti_aliasing=False)
        images["12 MP"] = (upscaled * 255).round().astype(np.uint8)
    return images


def exact_inertia(X, labels, centers, chunk=1 << 20) -> float:
    """Sum of squared distances of the rows of X to their labelled centres, in float64."""
    total = 0.0
    for start in range(0, len(X), chunk):
        rows = X[start:start + chunk].astype(np.float64)
        total += float(np.sum((rows - centers[labels[start:start + chunk]]) ** 2))
    return total
