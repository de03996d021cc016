"""Explore: segment one image with k-means, step through it, take the results home.

A thin page. The first screen (:func:`ui.views.first_screen`) holds the
segmented picture, the step control, k and the features, the inertia curve
and the feature space; below it come the result pictures, the ground truth
of synthetic samples, the statistics, the downloads and the share link.
The *Clean up* switch (``explore_clean``, in the URL too) makes everything
from the result pictures down show the labels after
:func:`segmentation.postprocess.clean`; the first screen and the animation
keep showing the k-means iterations.
:mod:`ui.cache` computes (once per image and parameters). This page's own
widget keys start with ``explore_`` (see :mod:`ui`).
"""

import streamlit as st

from ui import cache, controls, downloads, views
from ui.display import display_settings
from ui.state import current_image

image = current_image()  # chosen in the sidebar by app.py
display = display_settings()  # palette, numbers, presentation: the sidebar of app.py
options = controls.run_options()  # initialisation and stopping, in the sidebar

st.title("k-means segmentation")
params, result = views.first_screen(image, options, display)
if result is None:  # settings k-means cannot run: the first screen said why
    st.stop()

st.caption(f"**{image.title}**: {image.resolution_text()} Features: {params.spec().describe()}.")
views.summary_metrics(result)
views.animation_section(image, params, result, display)

st.subheader("Result")
cleaned = views.clean_switch()
# What the rest of the page shows and exports: k-means' labels, or the same cleaned up.
shown = cache.cleaned_segmentation(image, params) if cleaned else result
if cleaned:
    views.clean_summary(image, params)
views.result_images(image, params, shown, display, cleaned=cleaned)  # a fragment
views.ground_truth_section(image, params, shown, display, cleaned=cleaned)
views.statistics_section(shown, display.palette)

st.subheader("Downloads")
# The overlay download takes the opacity the slider shows when it is clicked.
downloads.download_section(image, params, shown, views.overlay_opacity(), cleaned=cleaned)
views.share_link(image, params, cleaned=cleaned)
