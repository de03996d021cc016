"""Entry point of the k-means segmentation app: ``streamlit run app.py``.

The sidebar's image choice and display settings live here, outside the pages,
so every page works on the same picture (kept in ``st.session_state``, see
:mod:`ui.state`), in the same palette, through the same cache (:mod:`ui.cache`).
Pages are ``st.Page`` entries, each a thin script in ``app_pages/``; the
roadmap adds more beside *Explore*: elbow method, feature comparison,
initialisation lab, post-processing, superpixels, ground-truth evaluation and a
guided lesson. The conventions every page follows (widget keys, shared
settings, the URL) are in :mod:`ui` and the README's "Page conventions".

Why ``app_pages/`` and not ``pages/``: Streamlit treats a folder named
``pages/`` next to the entry script as its legacy multipage mode until
``st.navigation`` has run once in the process, so on a fresh server the first
visitor of a page's own URL would get that page alone, without this sidebar.
"""

import streamlit as st

from ui import cache
from ui.controls import drop_invalid_link_values
from ui.display import display_sidebar, page_style, presentation_requested
from ui.image_choice import image_sidebar, keep_uploads_in_memory
from ui.teaching import keep_shared_settings

# Streamlit runs every session's script in a thread of one process, and BLAS
# (OpenBLAS under NumPy and SciPy) spreads each call over as many threads as
# there are cores: sessions computing at once would oversubscribe the cores.
# One BLAS thread: parallelism comes from the sessions, and from one process
# per core (README, "Serving a class").
BLAS_THREADS = 1

# Script -> st.Page options. url_path is the page's address (/explore) and the
# prefix of its own widget keys (explore_opacity...): see ui/__init__.py.
PAGES = {
    "app_pages/explore.py": {"title": "Explore", "icon": ":material/palette:",
                             "url_path": "explore"},
    "app_pages/choosing_k.py": {"title": "Choosing k", "icon": ":material/show_chart:",
                                "url_path": "choosing_k"},
    "app_pages/compare.py": {"title": "Side by side", "icon": ":material/compare:",
                             "url_path": "compare"},
    "app_pages/starts.py": {"title": "What the start does", "icon": ":material/casino:",
                            "url_path": "starts"},
    "app_pages/cleanup.py": {"title": "Clean-up", "icon": ":material/cleaning_services:",
                             "url_path": "cleanup"},
    "app_pages/methods.py": {"title": "Other methods", "icon": ":material/grid_view:",
                             "url_path": "methods"},
    "app_pages/ground_truth.py": {"title": "Ground truth", "icon": ":material/fact_check:",
                                  "url_path": "ground_truth"},
    "app_pages/learning.py": {"title": "From clustering to learning", "icon": ":material/draw:",
                              "url_path": "learning"},
    "app_pages/lesson.py": {"title": "The lesson", "icon": ":material/school:",
                            "url_path": "lesson"},
}
DEFAULT_PAGE = "app_pages/explore.py"  # served at the root URL


def pages() -> list[st.Page]:
    """The st.Page entries: every page at its url_path, the default one also at "/".

    Streamlit serves the default page only at "/", so its own address
    (/explore) gets a hidden twin: a link to any page's url_path works.
    """
    entries = []
    for path, options in PAGES.items():
        if path == DEFAULT_PAGE:
            entries.append(st.Page(path, **{**options, "url_path": f"{options['url_path']}-home"},
                                   default=True))
            entries.append(st.Page(path, **options, visibility="hidden"))
        else:
            entries.append(st.Page(path, **options))
    return entries


def main() -> None:
    """Limit BLAS threads, configure the page, draw the shared sidebar, run the page."""
    # Process-wide; on every run, since another thread may have changed it
    # (threadpoolctl lets one live thread at a time set it; the others find it
    # set). The pools are found once per process (cache.thread_pools): BLAS and
    # OpenMP are loaded with NumPy, SciPy and scikit-image, before any page runs.
    cache.thread_pools().limit(limits=BLAS_THREADS)
    keep_uploads_in_memory()  # the server would spool uploads over 1 MB to a temp file
    present = presentation_requested()
    st.set_page_config(page_title="k-means segmentation", page_icon="🎨", layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    page = st.navigation(pages())
    drop_invalid_link_values()  # a mangled link falls back to defaults, with a message
    image_sidebar()
    display = display_sidebar()
    page_style(display)
    keep_shared_settings()  # k and the features follow the student from page to page
    page.run()


main()
