"""Entry point of the k-means segmentation app: ``streamlit run app.py``.

The sidebar's image choice lives here, outside the pages, so every page works
on the same picture (kept in ``st.session_state``, see :mod:`ui.state`) and
through the same cache (:mod:`ui.cache`). Pages are ``st.Page`` entries;
the roadmap adds more beside *Explore*, each a thin script in ``pages/``:
elbow method, feature comparison, initialisation lab, feature-space view,
post-processing, superpixels, ground-truth evaluation and a guided lesson.
"""

import streamlit as st
from threadpoolctl import threadpool_limits

from ui.image_choice import image_sidebar

# Streamlit runs every session's script in a thread of one process, and BLAS
# (OpenBLAS under NumPy and SciPy) spreads each call over as many threads as
# there are cores: sessions computing at once would oversubscribe the cores.
# One BLAS thread: parallelism comes from the sessions, and from one process
# per core (README, "Serving a class").
BLAS_THREADS = 1

PAGES = {
    "pages/explore.py": {"title": "Explore", "icon": ":material/palette:", "default": True},
}


def main() -> None:
    """Limit BLAS threads, configure the page, choose the image, run the selected page."""
    # Process-wide, ~1 ms; on every run, to catch BLAS libraries loaded since
    # (threadpoolctl lets one live thread at a time set it; the others find it set).
    threadpool_limits(BLAS_THREADS)
    st.set_page_config(page_title="k-means segmentation", page_icon="🎨", layout="wide")
    page = st.navigation([st.Page(path, **options) for path, options in PAGES.items()])
    image_sidebar()
    page.run()


main()
