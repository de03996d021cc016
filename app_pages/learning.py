"""From clustering to learning: paint a few strokes, a pixel classifier learns, next to k-means.

A thin page over :func:`segmentation.learning.train_pixel_classifier`
(multiscale features + a random forest, scikit-image's trainable
segmentation) through :func:`ui.cache.pixel_classifier`, at the teaching size,
cached on image digest + strokes digest + parameters. The student paints on
``streamlit-drawable-canvas`` (see :mod:`ui.learning_canvas`); *Use example
strokes* paints a few scribbles for them: inside the true regions on a sample
with a ground truth, inside the k-means segments on any other picture. The
result is shown next to k-means with k = the number of classes, both scored
against the ground truth where there is one. This page's own keys start with
``learning_``; its private session keys with ``_learning_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from segmentation.comparison import disagreement
from segmentation.learning import MAX_CLASSES, example_scribbles, rasterize_scribbles
from segmentation.params import SegmentParams
from ui import cache
from ui.learning_canvas import (BRUSH_WIDTH, CLASS_COLOR_NAMES, CLASS_COLORS, canvas_scale,
                                canvas_size, class_palette, scribbles_drawing,
                                strokes_from_canvas)
from ui.state import WorkingImage, current_image
from ui.teaching import lesson_intro, try_this, working_size_note

STATE_KEY = "_learning_canvas"  # what the canvas was started with: see canvas_state()
N_CLASSES_KEY = "learning_n_classes"
SEED = 0  # the forest's random_state and the examples' seed: the same strokes, the same result
SIGMA_MIN = 0.5
# The classes a student would paint on each sample with a ground truth: names and the
# truth values each class covers. A pixel classifier sees what is around a pixel, not
# where it is, so regions that look the same (the two blue discs) are one class; and a
# class need not be one colour (six balloons, one "balloon").
EXAMPLE_CLASSES = {
    "shapes": {"sand": (0,), "disc": (1, 2), "square": (3,), "triangle": (4,)},
    "cells": {"background": (0,), "purple cell": (1,), "pink cell": (2,)},
    "stuck": {"sky": (0,), "field": (1,), "balloon": (2, 3, 4, 5, 6, 7)},
}


def truth_classes(image: WorkingImage, truth: np.ndarray | None) -> dict[str, tuple[int, ...]] | None:
    """Class name -> truth values for this picture's examples; None without a usable truth."""
    if truth is None:
        return None
    if image.sample_key in EXAMPLE_CLASSES:
        return EXAMPLE_CLASSES[image.sample_key]
    values = [int(v) for v in np.unique(truth)]
    if len(values) > MAX_CLASSES:
        return None  # more regions than colours: fall back to k-means examples
    return {f"region {v}": (v,) for v in values}


def canvas_state(digest: str) -> dict:
    """The canvas of this picture: its ``version`` (part of its key: a new version is a
    blank canvas), the example ``scribbles`` it starts with, class ``names``, ``source``."""
    state = st.session_state.get(STATE_KEY)
    if state is None or state["digest"] != digest:
        version = 0 if state is None else state["version"] + 1
        state = {"digest": digest, "version": version, "scribbles": (), "names": None,
                 "source": None}
        st.session_state[STATE_KEY] = state
    return state


def use_examples(image: WorkingImage, truth: np.ndarray | None) -> None:
    """Button callback: a fresh canvas painted with example scribbles."""
    state = canvas_state(image.digest)
    classes = truth_classes(image, truth)
    if classes is not None:
        scribbles = example_scribbles(truth, list(classes.values()), seed=SEED)
        names, source = tuple(classes), "truth"
    else:  # no ground truth: teach the classifier what k-means found
        k = int(st.session_state.get(N_CLASSES_KEY, 3))
        try:
            labels = cache.small_segmentation(image, kmeans_params(k)).labels
        except cache.SETTINGS_ERRORS as err:  # fewer different colours than classes
            st.toast(f"No example strokes: k-means found no {k} segments here ({err}).",
                     icon="⚠️")
            return
        scribbles = example_scribbles(labels, seed=SEED)
        names, source = tuple(f"k-means segment {i + 1}" for i in range(k)), "kmeans"
    st.session_state[STATE_KEY] = {**state, "version": state["version"] + 1,
                                   "scribbles": scribbles, "names": names, "source": source}
    st.session_state[N_CLASSES_KEY] = max(2, len(names))


def clear_strokes(digest: str) -> None:
    """Button callback: a fresh, blank canvas."""
    state = canvas_state(digest)
    st.session_state[STATE_KEY] = {**state, "version": state["version"] + 1, "scribbles": (),
                                   "names": None, "source": None}


def kmeans_params(k: int) -> SegmentParams:
    """The k-means this page compares with: Lab colour only, k segments, fixed seed."""
    return SegmentParams(k=k, color="lab", position_weight=0.0, seed=SEED)


def class_label(number: int, names) -> str:
    """``:red[■] sky``: a class's brush colour and name, as Markdown."""
    name = names[number - 1] if names and number <= len(names) else f"class {number}"
    return f":{CLASS_COLOR_NAMES[number - 1]}[■■] {name}"


def truth_as_classes(image: WorkingImage, truth: np.ndarray | None,
                     source: str | None) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """The ground truth with its values replaced by the example's class numbers, and the
    class names; None without a ground truth, or when the examples came from k-means."""
    classes = truth_classes(image, truth)
    if classes is None or source == "kmeans":
        return None
    lookup = np.zeros(int(truth.max()) + 1, dtype=np.int64)
    for number, values in enumerate(classes.values(), start=1):
        lookup[list(values)] = number
    return lookup[truth], tuple(classes)


def kmeans_beside(image: WorkingImage, result):
    """k-means with k = the classifier's classes, its segments renamed after the classes they
    are paired with (0 = paired with none), and the pairing; None (with a warning) if
    k-means cannot run (fewer different colours than classes)."""
    try:
        clustered = cache.small_segmentation(image, kmeans_params(result.n_classes))
    except cache.SETTINGS_ERRORS as err:
        st.warning(f"k-means cannot run beside the classifier here: {err}", icon="⚠️")
        return None
    # k-means numbers its segments arbitrarily: pair each with a class (Hungarian).
    paired = disagreement(result.labels, clustered.labels)
    to_class = np.zeros(clustered.k, dtype=np.int64)
    for segment, label in paired.b_to_a.items():
        to_class[segment] = label
    return clustered, to_class[clustered.labels], paired


def show_results(image: WorkingImage, result, truth: tuple | None, what: tuple) -> None:
    """The classifier's labels beside k-means', their times, and the scores if there is a truth."""
    palette = class_palette()
    beside = kmeans_beside(image, result)
    pictures = [("classifier", result.labels,
                 f"Classifier: {result.n_classes} classes learned from "
                 f"{result.n_training_pixels:,} painted pixels")]
    if beside is not None:
        clustered, as_classes, paired = beside
        pictures.append(("kmeans", as_classes,
                         f"k-means, k = {clustered.k} (Lab colour), each segment coloured as "
                         "the class it is paired with"
                         + ("; grey: a segment that overlaps no class of the classifier"
                            if (as_classes == 0).any() else "")))
    for column, (kind, labels, caption) in zip(st.columns(2), pictures):
        column.image(cache.class_png(image, ("learning", kind, *what), labels, palette),
                     caption=caption, output_format="PNG", width="stretch",
                     alt=f"{caption}: the picture painted in its class colours.")
    st.caption("The classifier's mistakes gather where its features are unsure: on borders, "
               "where the blurred colours of two classes mix, and in parts of the picture no "
               "stroke resembles. A stroke there teaches it.")
    first, second, third = st.columns(3)
    first.metric("Classifier time", f"{result.seconds:.2f} s",
                 help=f"Features {result.feature_seconds:.2f} s ({result.n_features} per "
                      f"pixel), training {result.fit_seconds:.2f} s, labelling every pixel "
                      f"{result.predict_seconds:.2f} s; one thread, at the teaching size.")
    if beside is None:
        return
    second.metric("k-means time", f"{clustered.elapsed_seconds:.2f} s")
    third.metric("Disagree", f"{100 * paired.fraction:.0f} %",
                 help="Share of the pixels where the two differ, after pairing each "
                      "k-means segment with a class (Hungarian algorithm on the overlaps).")
    if truth is None:
        st.caption("This picture has no ground truth: judge by eye which one found what "
                   "you meant.")
        return
    truth_labels, names = truth
    rows = []
    for kind, labels in (("classifier", result.labels),
                         (f"k-means, k = {clustered.k}", clustered.labels)):
        scores = cache.learning_scores(image, (kind, *what), labels, truth_labels)
        rows.append({"method": kind, "ARI": scores.adjusted_rand,
                     "mean best IoU": scores.mean_best_iou})
    truth_col, table_col = st.columns([1, 2], gap="medium")
    truth_col.image(cache.class_png(image, ("learning", "truth", image.sample_key), truth_labels,
                                    palette),
                    caption="The ground truth, in the example's classes", output_format="PNG",
                    width="stretch",
                    alt="The ground truth: the picture painted in the example's class colours.")
    table_col.table(pd.DataFrame(rows).style.format(
        {"ARI": "{:.3f}", "mean best IoU": "{:.3f}"}).hide(axis="index"))
    table_col.caption("Adjusted Rand index and mean best IoU against the ground truth grouped "
                      f"into the example's classes ({', '.join(names)}); 1 is perfect. If you "
                      "painted other classes, this measures how close they are to these.")


image = current_image()
st.title("From clustering to learning")
lesson_intro("k-means groups pixels by how alike they are, with no idea what you want. A "
             "classifier is *told*: paint a few strokes per class, it learns from those pixels "
             "alone which features mean which class, and labels the rest. That is what modern "
             "segmentation networks do, at scale.")
small = cache.teaching_image(image)
height, width = small.shape[:2]
working_size_note(image, small.shape, "both the classifier and k-means run at this size.")
truth = cache.teaching_truth(image)
state = canvas_state(image.digest)
names = state["names"]

# --------------------------------------------------------------------------- #
# Paint
# --------------------------------------------------------------------------- #
st.session_state.setdefault(N_CLASSES_KEY, 2)
paint_col, result_col = st.columns(2, gap="large")
with paint_col:
    st.subheader("1. Paint a few strokes")
    n_classes = st.slider("Classes", 2, MAX_CLASSES, key=N_CLASSES_KEY,
                          help="How many kinds of pixel you want told apart; one colour each.")
    paint_class = st.radio("Paint with", range(1, n_classes + 1), horizontal=True,
                           key="learning_class", format_func=lambda c: class_label(c, names),
                           help="Choose a class, then paint over a few of its pixels.")
    with st.container(horizontal=True, gap="small"):
        st.button("Use example strokes", key="learning_example", icon=":material/brush:",
                  on_click=use_examples, args=(image, truth),
                  help="Paints a few short strokes per class for you: inside the true regions "
                       "on a sample with a ground truth, inside the k-means segments otherwise.")
        st.button("Clear strokes", key="learning_clear", icon=":material/delete:",
                  on_click=clear_strokes, args=(image.digest,))
    scale = canvas_scale(small.shape)
    canvas_w, canvas_h = canvas_size(small.shape)
    # Example scribbles drawn as wide as rasterize_scribbles paints them (3 picture pixels),
    # so the canvas's layer, once sent back, holds about as many painted pixels.
    drawing = (scribbles_drawing(state["scribbles"], scale, width=round(3 * scale))
               if state["scribbles"] else None)
    canvas = st_canvas(stroke_width=BRUSH_WIDTH, stroke_color=CLASS_COLORS[paint_class - 1],
                       background_image=cache.teaching_photo_png(image), width=canvas_w,
                       height=canvas_h, drawing_mode="freedraw", initial_drawing=drawing,
                       return_image_data=True, key=f"learning_canvas_{state['version']}")
    layer = canvas.image_data  # the painted layer alone; None until the canvas sends it
    if layer is not None:
        strokes = strokes_from_canvas(layer, (height, width))
    else:
        strokes = rasterize_scribbles(state["scribbles"], (height, width))
    painted = [int(c) for c in np.unique(strokes) if c > 0]
    if state["source"] == "truth":
        st.caption(f"Example strokes inside the true regions of this sample: "
                   f"{', '.join(names)}. Paint more, or clear and paint your own.")
    elif state["source"] == "kmeans":
        st.caption("**Example strokes taken from k-means** (this picture has no ground "
                   "truth): the classifier will learn k-means' answer. Clear them and paint "
                   "what *you* mean, e.g. one class for a whole object of several colours.")
    else:
        st.caption("Paint in the picture with the mouse or a finger. The toolbar above the "
                   "picture undoes a stroke.")
    with st.expander("Classifier settings"):
        n_estimators = st.slider("Trees in the forest", 10, 200, 50, step=10,
                                 key="learning_trees",
                                 help="More trees vote more smoothly and take longer.")
        sigma_max = st.slider("Largest scale σ (px)", 1.0, 16.0, 4.0, step=1.0,
                              key="learning_sigma_max",
                              help="The features blur the picture with Gaussians from σ = "
                                   f"{SIGMA_MIN} px up to this: larger sees more context "
                                   "but smears borders.")

with result_col:
    st.subheader("2. What the classifier learned")
    if len(painted) < 2:
        got = ("No stroke yet" if not painted
               else f"Only {class_label(painted[0], names)} is painted")
        st.info(f"{got}: paint at least one stroke in each of **two classes**, or press "
                "**Use example strokes**. The classifier then trains on those pixels.",
                icon=":material/draw:")
        result = None
    else:
        result = cache.pixel_classifier(image, strokes, sigma_min=SIGMA_MIN,
                                        sigma_max=sigma_max, n_estimators=n_estimators,
                                        seed=SEED)

if result is not None:
    what = (cache.strokes_digest(strokes), SIGMA_MIN, sigma_max, n_estimators, SEED)
    with result_col:
        show_results(image, result, truth_as_classes(image, truth, state["source"]), what)

# --------------------------------------------------------------------------- #
# What networks do
# --------------------------------------------------------------------------- #
st.subheader("From this page to U-Net and DeepLab")
st.markdown("The pixel classifier here is the same idea as a segmentation network, on a small "
            "scale: labelled pixels in, a class for every pixel out. The difference is where the "
            "features come from and how much is labelled.")
st.table(pd.DataFrame({
    "": ["labelled examples", "features of a pixel", "context", "the classifier",
         "training"],
    "this page": [
        "a few hundred painted pixels of one picture",
        f"hand-made: colour blurred at σ = {SIGMA_MIN}-{sigma_max:g} px, edge strength, "
        "texture (Hessian)",
        f"what the largest Gaussian sees, about {4 * sigma_max:g} px",
        "a random forest, pixel by pixel",
        "a fraction of a second, for this picture only"],
    "U-Net, DeepLab": [
        "millions of pixels, over thousands of annotated pictures",
        "learned: convolution filters tuned by gradient descent to the task",
        "an encoder shrinks the picture step by step, so deep layers see most of it "
        "(DeepLab: dilated convolutions)",
        "a decoder brings the labels back to full size; U-Net's skip connections restore "
        "fine detail",
        "hours on GPUs, once; then any new picture, no strokes needed"],
}).set_index(""))
st.caption("k-means needs no labels but cannot know what you mean; a learned model needs labels "
           "but then finds *your* classes, even a class of many colours.")

try_this("Load the **balloons** and press **Use example strokes**: the classes are sky, field "
         "and *balloon*, six balloons of six colours. k-means with k = 3 groups pixels by "
         "colour, so it cannot put a red and a black balloon in one segment; the classifier "
         "learns \"balloon\" from a few strokes. Compare their scores.",
         {"sample": "stuck"}, key="learning_try_this", label="Try this on the balloons")
