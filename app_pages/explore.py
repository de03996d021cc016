"""Explore: segment one image with k-means, watch it converge, take the results home.

A thin page: the sidebar widgets (:mod:`ui.controls`) collect the
parameters, :mod:`ui.cache` computes (once per image and parameters), and
:mod:`ui.views` / :mod:`ui.downloads` render.
"""

import streamlit as st

from ui import cache, controls, downloads, views
from ui.state import current_image

image = current_image()  # chosen in the sidebar by app.py
params = controls.segmentation_controls()

st.title("k-means image segmentation")
st.caption(f"**{image.title}**: {image.resolution_text()}")

try:
    result = cache.segmentation(image, params)
except cache.SETTINGS_ERRORS as err:  # no feature selected, or k above the image's different pixels
    st.warning(f"{err}\n\nChange the settings in the sidebar to continue.", icon="⚠️")
    st.stop()

st.caption(f"Features: {params.spec().describe()}.")
views.summary_metrics(result)
views.convergence_section(image, params, result)

st.subheader("Result")
alpha = st.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key="opacity",
                  help="0 shows the photo, 1 the flat segment colours.")
views.result_images(image, params, result, alpha)
views.step_scrubber(image, params, result, alpha)
views.statistics_section(result)

st.subheader("Downloads")
downloads.download_section(image, params, result, alpha)
views.share_link(image, params)
