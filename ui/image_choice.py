"""The sidebar's image chooser, shared by every page: gallery, upload or camera.

``app.py`` calls :func:`image_sidebar` before running the page, so the choice
is made once and every page reads it with :func:`ui.state.current_image`.

URL: a sample's key is kept in the ``sample`` query parameter, so a shared
link opens the same picture. It is synchronised by hand rather than with
``bind="query-params"``: a bound selectbox would write its display label
(``"Everyday photos › Astronaut"``) instead of the key, and a bound parameter
cannot be removed, while an upload must take ``sample`` out of the URL (a link
cannot carry a picture, and must not pretend to). The working-resolution
control, an ordinary number, is bound.
"""

from __future__ import annotations

import streamlit as st

from segmentation.samples import DEFAULT_SAMPLE, SAMPLE_GROUPS, SAMPLES, get_sample

from . import cache
from .state import DEFAULT_MAX_SIDE, MAX_SIDE_CHOICES, WorkingImage, current_image, set_current_image

__all__ = ["UPLOAD_TYPES", "image_sidebar", "keep_uploads_in_memory", "try_this"]

UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")
SAMPLE_PARAM = "sample"  # query parameter holding the sample key
_SOURCE_LABELS = {"sample": "Sample gallery", "upload": "Upload", "camera": "Camera"}
# Gallery order: by group, in the order of SAMPLE_GROUPS.
_GALLERY = tuple(s.key for group in SAMPLE_GROUPS for s in SAMPLES if s.group == group)
_URL_READ_KEY = "_sample_url_read"  # session flag: the link's ?sample= was applied
UPLOAD_DIGEST_KEY = "_upload_digest"  # session: (file_id, SHA-256) of the current upload


def keep_uploads_in_memory() -> None:
    """Make the server keep every uploaded file in memory, never in a temporary file.

    Streamlit's server parses an upload with Starlette's multipart parser,
    which spools each file into a ``SpooledTemporaryFile`` that rolls over to
    a file on disk beyond ``MultiPartParser.spool_max_size`` (1 MB): a phone
    photo would touch the disk. Raising that threshold to the upload limit
    (``server.maxUploadSize``) keeps every accepted upload in memory; larger
    ones are refused before parsing. Idempotent; ``app.py`` calls it first.
    """
    from starlette.formparsers import MultiPartParser

    limit = int(st.get_option("server.maxUploadSize")) * 1024 * 1024 + 1024 * 1024  # + envelope
    if MultiPartParser.spool_max_size < limit:
        MultiPartParser.spool_max_size = limit


def image_sidebar() -> WorkingImage:
    """Draw the image chooser in the sidebar and return the image to work on.

    Compact: the source, the sample, its "what to notice" hint with a
    *Try this* button, and the working resolution folded away. No thumbnail:
    the page shows the picture. A failed upload shows ``st.error`` and
    leaves the previous image in place.
    """
    with st.sidebar:
        st.header("Image")
        _apply_sample_from_url()
        source = st.radio("Source", tuple(_SOURCE_LABELS), format_func=_SOURCE_LABELS.get,
                          horizontal=True, key="image_source",
                          help="Pick a sample, upload a picture (never stored) or take a photo.")
        max_side = st.session_state.get("max_side", DEFAULT_MAX_SIDE)
        if source == "sample":
            # persist_state: the choice survives a detour through "Upload".
            key = st.selectbox("Sample", _GALLERY, format_func=_gallery_label, key=SAMPLE_PARAM,
                               persist_state="session")
            max_side = _resolution_control()
            set_current_image(cache.sample_image(key, max_side))
        elif source == "upload":
            file = st.file_uploader("Picture", type=list(UPLOAD_TYPES), key="upload",
                                    help="Read in memory only; nothing is written to disk.")
            max_side = _resolution_control()
            _use_picture(file, source, max_side)
        else:
            shot = st.camera_input("Take a photo", key="camera")
            max_side = _resolution_control()
            _use_picture(shot, source, max_side)
        image = current_image()
        _sync_sample_param(image)
        _describe(image)
    return image


def _resolution_control() -> int:
    """The working-resolution choice, folded away (bound to ``?max_side=``)."""
    with st.expander("Working resolution"):
        return st.selectbox(
            "Longest side (px)", MAX_SIDE_CHOICES, index=MAX_SIDE_CHOICES.index(DEFAULT_MAX_SIDE),
            key="max_side", bind="query-params",
            help="Images are shrunk to this size before k-means: bigger is sharper but slower.")


def try_this(sample_key: str) -> None:
    """Button callback: set the controls a sample's hint talks about (``Sample.try_this``)."""
    for key, value in get_sample(sample_key).try_this.items():
        st.session_state[key] = value


def _gallery_label(key: str) -> str:
    """``'Everyday photos › Astronaut'``: the group serves as a header."""
    sample = get_sample(key)
    return f"{sample.group} › {sample.title}"


def _apply_sample_from_url() -> None:
    """On a session's first run, select the sample named by ``?sample=`` in the link."""
    if st.session_state.get(_URL_READ_KEY):
        return
    st.session_state[_URL_READ_KEY] = True
    key = st.query_params.get(SAMPLE_PARAM)
    if key is None:
        return
    if key in _GALLERY:
        st.session_state[SAMPLE_PARAM] = key
    else:
        st.session_state["_unknown_sample"] = key


def _use_picture(file, source: str, max_side: int) -> None:
    """Decode an upload / snapshot; on failure say why and keep the previous image."""
    if file is None:
        st.caption("No picture yet: still showing the previous image.")
        return
    name = file.name if source == "upload" else "Camera snapshot"
    result = cache.uploaded_image(file.getvalue(), name=name, source=source, max_side=max_side,
                                  file_digest=_file_digest(file))
    if result.error is not None:
        st.error(f"Could not use {file.name!r}: {result.error} "
                 "Still showing the previous image.")
        return
    set_current_image(result.image)


def _file_digest(file) -> str:
    """SHA-256 of an uploaded file, computed once per upload rather than on every rerun.

    Streamlit gives every uploaded file a new ``file_id``; the digest is kept
    with it in the session (only the 64-character digest, never the bytes).
    """
    kept = st.session_state.get(UPLOAD_DIGEST_KEY)
    if kept is None or kept[0] != file.file_id:
        kept = (file.file_id, cache.bytes_digest(file.getvalue()))
        st.session_state[UPLOAD_DIGEST_KEY] = kept
    return kept[1]


def _sync_sample_param(image: WorkingImage) -> None:
    """Keep ``?sample=`` equal to the sample on screen, and absent for uploads."""
    if image.sample_key is not None:
        if st.query_params.get(SAMPLE_PARAM) != image.sample_key:
            st.query_params[SAMPLE_PARAM] = image.sample_key
    elif SAMPLE_PARAM in st.query_params:
        del st.query_params[SAMPLE_PARAM]


def _describe(image: WorkingImage) -> None:
    """What to notice in the sample, a *Try this* button, its credit and resolution."""
    unknown = st.session_state.pop("_unknown_sample", None)
    if unknown is not None:
        st.warning(f"The link asked for sample {unknown!r}, which does not exist; "
                   f"showing {get_sample(DEFAULT_SAMPLE).title} instead.")
    if image.sample_key is not None:
        sample = get_sample(image.sample_key)
        st.markdown(f"**What to notice.** {sample.description}")
        if sample.try_this:
            settings = ", ".join(f"{key} = {value}" for key, value in sample.try_this.items())
            st.button("Try this", key="try_this", icon=":material/science:",
                      on_click=try_this, args=(sample.key,),
                      help=f"Sets {settings}.")
        st.caption(f"*{sample.credit}*")
    st.caption(image.resolution_text())
