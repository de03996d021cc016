"""Entry point of the k-means segmentation app: ``streamlit run app.py``.

The sidebar's image choice lives here, outside the pages, so every page works
on the same picture (kept in ``st.session_state``, see :mod:`ui.state`) and
through the same cache (:mod:`ui.cache`). Pages are ``st.Page`` entries;
the roadmap adds more beside *Explore*, each a thin script in ``pages/``:
elbow method, feature comparison, initialisation lab, feature-space view,
post-processing, superpixels, ground-truth evaluation and a guided lesson.
"""

import streamlit as st

from ui.image_choice import image_sidebar

PAGES = {
    "pages/explore.py": {"title": "Explore", "icon": ":material/palette:", "default": True},
}


def main() -> None:
    """Configure the page, choose the image, run the selected page."""
    st.set_page_config(page_title="k-means segmentation", page_icon="🎨", layout="wide")
    page = st.navigation([st.Page(path, **options) for path, options in PAGES.items()])
    image_sidebar()
    page.run()


main()
