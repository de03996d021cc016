"""The Streamlit user interface over the :mod:`segmentation` package.

One idea per module; pages import these and stay thin:

====================  ======================================================
``ui.params``         :class:`SegmentParams`, the frozen parameters of a run,
                      its JSON and Python-snippet forms (no Streamlit)
``ui.state``          :class:`WorkingImage`, the image every page works on,
                      kept in ``st.session_state``
``ui.cache``          the one caching layer: every computation, keyed on
                      image digest + parameters
``ui.image_choice``   the sidebar's gallery / upload / camera chooser, with
                      each sample's hint and its *Try this* button
``ui.display``        palette, segment numbers, presentation mode (sidebar)
``ui.controls``       k and the features (beside the picture), initialisation
                      and stopping (sidebar), bound to the URL
``ui.figures``        Plotly figures (no Streamlit): the on-demand animation
``ui.svg``            the first screen's charts as SVG (no Streamlit, no
                      JavaScript bundle): inertia curve, feature space
``ui.tables``         the statistics table as a DataFrame (no Streamlit)
``ui.views``          page sections: the first screen (a fragment), metrics,
                      pictures, ground truth, table, link
``ui.downloads``      download buttons with lazily built payloads
``ui.budget``         byte-budgeted caches, k-means slots, work limits for a
                      class on one server (no Streamlit)
``ui.preload``        what a server imports and prepares before the first
                      student arrives (``deploy/preloaded_streamlit.py``)
====================  ======================================================

Page conventions
----------------
Every page is a script in ``app_pages/`` listed in ``app.PAGES`` with a
``url_path`` (``explore``); it is reachable at ``/<url_path>``, also as the
first URL a fresh server sees (``app_pages/`` is not named ``pages/``, which
would switch Streamlit to its legacy pages-folder mode).

*Shared settings* keep their bare key on every page, and the same key is the
URL query parameter (``bind="query-params"``), so moving between pages, or
opening a link, keeps them:

* the image: ``sample`` (synchronised by hand, absent for uploads),
  ``image_source``, ``max_side``; drawn by ``app.py`` (sidebar);
* the run: ``k``, ``color``, ``texture``, ``position``, ``position_weight``,
  ``center``, ``center_weight`` (:func:`ui.controls.main_controls`, drawn by
  the page where it wants them) and ``init``, ``seed``, ``max_iter``, ``tol``
  (:func:`ui.controls.run_options`, sidebar);
* the display: ``palette``, ``numbers``, ``present`` (:mod:`ui.display`,
  drawn by ``app.py``); ``?present=1`` also switches presentation mode on;
* ``try_this``: the sample hint's button (sidebar).

*Page-own* widgets and elements start with the page's ``url_path`` and an
underscore: ``explore_step``, ``explore_opacity``, ``explore_download_mask``,
``explore_inertia_chart``. They are not bound to the URL unless the page says
so, and then under the same prefixed name. Private session keys start with
``_<url_path>_``. A test (``tests/test_app.py``) checks the Explore page.

Speed: the first screen uses no ``st.code`` (a 1.5 MB highlighter) and no
``st.dataframe`` (the data-grid bundles); the statistics are an ``st.table``
and the Python script appears only on demand. Figures and pictures come from
:mod:`ui.cache`, keyed by image digest + parameters (+ step, palette).
"""
