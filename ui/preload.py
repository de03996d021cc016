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
first Explore run after :func:`preload` imports none of these packages and
reduces no sample again.
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
    # Streamlit's own lazy imports on a first run: its emoji catalogue compiles
    # one huge regular expression (about 80 ms) the first time a label with a
    # non-ASCII character is checked for a leading icon.
    "streamlit.emojis",
    "streamlit.material_icon_names",
    "streamlit.components.v2.manifest_scanner",
    "streamlit.runtime.scriptrunner.magic_funcs",
)


def preload() -> tuple[str, ...]:
    """Import :data:`MODULES` and prepare every sample's working image.

    The samples are read (their decoders load on first use) and reduced to
    the default working size in :func:`ui.cache.sample_image`'s cache, which
    every session of the process shares: 30-40 ms a sample that the first
    student to open each one no longer waits for.

    Returns
    -------
    tuple of str
        The modules imported, for a log line.
    """
    for name in MODULES:
        importlib.import_module(name)
    from segmentation.samples import SAMPLES  # noqa: PLC0415 - imported above
    from ui import cache  # noqa: PLC0415
    from ui.state import DEFAULT_MAX_SIDE  # noqa: PLC0415

    for sample in SAMPLES:
        cache.sample_image(sample.key, DEFAULT_MAX_SIDE)
    return MODULES
