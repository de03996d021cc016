"""Write the synthetic sample images and their exact ground truth to assets/.

Run from the repository root: ``python assets/make_synthetic.py``. The files are
deterministic (fixed seeds), and tests/test_samples.py checks that the stored
PNGs equal what this script makes.
"""

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation.io import encode_png  # noqa: E402
from segmentation.samples import ASSETS_DIR, SYNTHETIC  # noqa: E402

if __name__ == "__main__":
    for key, make in SYNTHETIC.items():
        image, truth = make()
        (ASSETS_DIR / f"{key}.png").write_bytes(encode_png(image))
        (ASSETS_DIR / f"{key}_truth.png").write_bytes(encode_png(truth))
        print(f"wrote {key}.png and {key}_truth.png ({image.shape[1]} x {image.shape[0]})")
