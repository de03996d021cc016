"""Import what the pages need before the first student arrives.

``streamlit run app.py`` starts serving after importing Streamlit alone; the
app's own modules (scikit-image, SciPy, Plotly, pandas, PIL's decoders, the
sample files) are imported by the first script run, inside the first
session. That is 2-3 s of CPU per server process, and a class arriving at
once pays it at the worst moment: every student of that replica waits behind
it, and so do the k-means runs queued behind their first results (it was a
fifth of a replica's CPU in the first 40 s of ``bench/classroom.py``).

``deploy/preloaded_streamlit.py`` calls :func:`preload` and then starts
Streamlit's own command line in the same process, so the script's imports
find everything in ``sys.modules``. ``tests/test_preload.py`` checks that a
first Explore run after :func:`preload` imports none of these packages.
"""

from __future__ import annotations

import importlib

__all__ = ["MODULES", "preload"]

# The app's modules (they import scikit-image, SciPy, Plotly and pandas), then
# what they import lazily on first use.
MODULES = (
    "ui.cache",
    "ui.controls",
    "ui.display",
    "ui.downloads",
    "ui.image_choice",
    "ui.lesson_checkpoints",
    "ui.teaching",
    "ui.views",
    "segmentation.io",
    "segmentation.samples",
    "pandas",
    "plotly.graph_objects",
    "pyarrow.pandas_compat",  # how Streamlit sends a table
    "pyarrow.vendored.version",
    "packaging.tags",  # Streamlit's check of the pyarrow version
    "packaging.utils",
)


def preload() -> tuple[str, ...]:
    """Import :data:`MODULES` and read one sample (its decoders load on first use).

    Returns
    -------
    tuple of str
        The modules imported, for a log line.
    """
    for name in MODULES:
        importlib.import_module(name)
    from segmentation.samples import SAMPLES, load_sample  # noqa: PLC0415 - imported above

    for sample in SAMPLES:  # each kind of file: scikit-image's data, PNG, JPEG
        load_sample(sample.key)
    return MODULES
