"""The Streamlit user interface over the :mod:`segmentation` package.

One idea per module; pages import these and stay thin:

====================  ======================================================
``ui.params``         :class:`SegmentParams`, the frozen parameters of a run,
                      its JSON and Python-snippet forms (no Streamlit)
``ui.state``          :class:`WorkingImage`, the image every page works on,
                      kept in ``st.session_state``
``ui.cache``          the one caching layer: every computation, keyed on
                      image digest + parameters
``ui.image_choice``   the sidebar's gallery / upload / camera chooser
``ui.controls``       the sidebar's parameter widgets, bound to the URL
``ui.figures``        Plotly figures (no Streamlit)
``ui.tables``         the statistics table as a DataFrame (no Streamlit)
``ui.views``          page sections: metrics, animation, images, table, link
``ui.downloads``      download buttons with lazily built payloads
====================  ======================================================
"""
