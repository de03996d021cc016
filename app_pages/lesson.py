"""The lesson: the module as sections a teacher presents, with predict-then-run checkpoints.

Six sections in tabs (what segmentation is, the five steps with their
formulas, colour or position, good practice, limitations, deep learning), a
plan for the teacher, and six checkpoints: the student predicts, a button runs
the experiment in place on a fixed sample (:mod:`ui.lesson_checkpoints`,
computed through :mod:`ui.cache`), and the measured answer, whether the
prediction was right and a link to the page that shows it in depth appear.
Progress is kept for the session by :mod:`ui.checkpoints`. The page does not
use the sidebar's picture: its answers must be the same for every student.
This page's own keys start with ``lesson_``.
"""

import streamlit as st

from ui import cache, checkpoints
from ui.display import display_settings
from ui.lesson_checkpoints import CHECKPOINTS, LessonQuestion, question
from ui.teaching import apply_settings, lesson_intro

_OPEN_KEY = "_lesson_open"  # set by a "show me" button: the page to open on the next run
PAGE_TITLES = {  # page script -> its navigation title (app.PAGES), for the links
    "app_pages/explore.py": "Explore", "app_pages/choosing_k.py": "Choosing k",
    "app_pages/compare.py": "Side by side", "app_pages/starts.py": "What the start does",
    "app_pages/cleanup.py": "Clean-up", "app_pages/methods.py": "Other methods",
    "app_pages/ground_truth.py": "Ground truth",
    "app_pages/learning.py": "From clustering to learning",
}
SECTIONS = ("1 · Segmentation", "2 · Five steps", "3 · Colour or position",
            "4 · Good practice", "5 · Limits", "6 · Deep learning")
# Presentation mode: tab labels readable from the back of the room.
_PRESENT_CSS = """
<style>
[data-testid="stMain"] [data-baseweb="tab"] p { font-size: 1.35rem; }
[data-testid="stMain"] td, [data-testid="stMain"] th { font-size: 1.15rem; }
@media (min-width: 700px) { [data-testid="stMain"] .katex-display { font-size: 1.3em; } }
</style>
"""


def open_page(settings: dict, page: str) -> None:
    """Button callback: set the shared settings, then open ``page`` (switched to below)."""
    apply_settings(settings)
    st.session_state[_OPEN_KEY] = page


if target := st.session_state.pop(_OPEN_KEY, None):
    st.switch_page(target)

display = display_settings()
if display.present:
    st.html(_PRESENT_CSS)


def takeaway(text: str, *pages: str) -> None:
    """A key takeaway, with a link to each page that shows it."""
    st.success(f"**Takeaway.** {text}", icon=":material/lightbulb:")
    with st.container(horizontal=True, gap="small"):
        for page in pages:
            st.page_link(page, label=f"See it: {PAGE_TITLES[page]}",
                         icon=":material/arrow_forward:")


def checkpoint(q: LessonQuestion) -> None:
    """One predict-then-run box: prediction, run button, then the measured answer."""
    cp = q.checkpoint
    name = cp.id.split(".", 1)[1]
    with st.container(border=True, key=f"lesson_{name}_box"):
        number = CHECKPOINTS.index(cp) + 1
        st.markdown(f":material/psychology: **Checkpoint {number} of {len(CHECKPOINTS)}: "
                    f"predict, then run.** {cp.question}")
        attempt = checkpoints.first_attempt(cp)
        if attempt is None:
            prediction = st.radio("Your prediction", range(len(cp.choices)), index=None,
                                  format_func=cp.choice_text, key=f"lesson_{name}_prediction")
            st.caption(f"The experiment: {cp.experiment}")
            clicked = st.button("Run the experiment", key=f"lesson_{name}_run",
                                icon=":material/science:", type="primary",
                                disabled=prediction is None,
                                help="Choose a prediction first." if prediction is None
                                else "Runs it now (cached: the class shares the result).")
            if prediction is None:
                st.caption("Choose a prediction to unlock the experiment.")
            if clicked and prediction is not None:
                with st.spinner("Running the experiment..."):
                    measurement = q.run()
                checkpoints.record(cp, prediction, measurement.choice,
                                   measured=measurement.text, value=measurement.value)
                st.rerun()  # drawn again without the radio: the first prediction is scored
        else:
            result(q, attempt)


def result(q: LessonQuestion, attempt: checkpoints.Attempt) -> None:
    """The measured answer of a checkpoint, the verdict, why, and where to see more."""
    cp = q.checkpoint
    name = cp.id.split(".", 1)[1]
    predicted, measured = cp.choice_text(attempt.prediction), cp.choice_text(
        attempt.measured_choice)
    if attempt.correct:
        st.success(f"You predicted **{predicted}**: right.", icon=":material/check_circle:")
    else:
        st.error(f"You predicted **{predicted}**; the run says **{measured}**.",
                 icon=":material/cancel:")
    st.markdown(f"**Measured.** {attempt.measured}")
    pictures = q.run().pictures  # cached: the same runs the answer came from
    if pictures:
        for column, picture in zip(st.columns(len(pictures)), pictures):
            column.image(cache.labels_png(picture.image, picture.what, picture.labels,
                                          display.palette),
                         caption=picture.caption, output_format="PNG", width=320,
                         alt=f"{picture.image.title}, {picture.caption}: the picture in "
                             "flat segment colours.")
    st.markdown(f"**Why.** {q.why}")
    st.button(q.link_label, key=f"lesson_{name}_open", icon=":material/open_in_new:",
              on_click=open_page, args=(dict(q.settings), cp.link),
              help="Loads the same picture and settings there. "
                   + ", ".join(f"{k} = {v}" for k, v in q.settings.items()))


# --------------------------------------------------------------------------- #
# Title, progress, plan
# --------------------------------------------------------------------------- #
st.title("The lesson")
lesson_intro("Segmentation splits a picture into regions. k-means does it by grouping pixels "
             "whose feature vectors are close: step through the sections below, and at each "
             "checkpoint **predict first**, then run the experiment and see if you were right.")
progress_slot = st.container(key="lesson_progress")  # filled at the end, after any run

with st.expander("For the teacher: a 45-minute plan", icon=":material/co_present:"):
    st.markdown(
        "Switch on **Presentation mode** (sidebar, or add `?present=1` to the address) for a "
        "projector. Each checkpoint runs on a fixed sample, so the whole class measures the "
        "same answer; ask for a show of hands *before* anyone presses *Run*.\n\n"
        "| minutes | section | activity |\n|---|---|---|\n"
        "| 0–5 | 1 · Segmentation | Semantic, instance, panoptic: where have students met "
        "each? k-means is none of them: it groups, it does not name. |\n"
        "| 5–15 | 2 · Five steps | The formulas, then Explore's step slider on the "
        "projector: assign, update, the inertia falling. Checkpoints 1–2. |\n"
        "| 15–25 | 3 · Colour or position | Pairs predict, then run checkpoints 3–4; "
        "Side by side on the cat and on Shapes. |\n"
        "| 25–33 | 4 · Good practice | Choosing k and What the start does; checkpoints "
        "5–6. |\n"
        "| 33–40 | 5 · Limits, 6 · Deep learning | What k-means cannot do; the table "
        "from what they did to what a network learns. |\n"
        "| 40–45 | Wrap-up | Students download their progress (JSON) as an exit ticket; "
        "which prediction surprised most of the class? |")

tabs = st.tabs(SECTIONS)

# --------------------------------------------------------------------------- #
# 1. What segmentation is
# --------------------------------------------------------------------------- #
with tabs[0]:
    st.header("What segmentation is")
    st.markdown(
        "**Segmentation** gives every pixel of a picture a label, so that pixels with the "
        "same label form the regions we care about. Three kinds, by what the label means:")
    st.markdown(
        "| kind | every pixel gets | two cars are | used for |\n|---|---|---|---|\n"
        "| **Semantic** | a class (*road*, *car*, *sky*) | the same label | medical imaging "
        "(tumour vs healthy tissue, organs), satellite land cover (water, forest, "
        "fields), a self-driving car's drivable road |\n"
        "| **Instance** | an object number, for countable things only | two labels | counting "
        "cells under a microscope, picking one person out of a photo to edit, a robot "
        "grasping one item |\n"
        "| **Panoptic** | a class *and*, for things, an object number | two labels, both "
        "*car* | a self-driving car's whole scene (every car and pedestrian, plus road and "
        "sky), augmented reality |")
    st.markdown(
        "**Where k-means fits.** k-means segmentation is *unsupervised*: nobody tells it what "
        "a road is. It only groups pixels that look alike, so its segments have numbers, not "
        "names, and one segment can be scattered over the picture. That is still useful on "
        "its own (reducing a photo to a few colours, separating stained cells from the "
        "background, water from land) and as a first step for the methods above.")
    takeaway("Segments are groups of similar pixels; semantic, instance and panoptic "
             "segmentation also say *what* each group is, which needs labelled examples.",
             "app_pages/explore.py", "app_pages/learning.py")

# --------------------------------------------------------------------------- #
# 2. The five steps
# --------------------------------------------------------------------------- #
with tabs[1]:
    st.header("k-means segmentation in five steps")
    st.markdown("**1 · Features.** Describe each pixel *p* by a vector: its colour "
                "(here CIELAB, scaled by 1/100) and, weighted by λ, its position (row *i*, "
                "column *j*, scaled to [0, 1]).")
    st.latex(r"\mathbf{x}_p = \big(\,\mathbf{c}_p,\; \lambda\,\mathbf{u}_p\,\big)")
    # One short formula per line: a phone shows each without scrolling.
    st.latex(r"\mathbf{c}_p = \tfrac{1}{100}\,(L_p,\ a_p,\ b_p)")
    st.latex(r"\mathbf{u}_p = \Big(\frac{i_p}{H-1},\ \frac{j_p}{W-1}\Big)")
    st.markdown("So the squared distance between two pixels adds a colour part and a "
                "position part, and λ sets the exchange rate:")
    st.latex(r"\begin{aligned}\|\mathbf{x}_p-\mathbf{x}_q\|^2"
             r" &= \|\mathbf{c}_p-\mathbf{c}_q\|^2 \\"
             r" &+ \lambda^2\,\|\mathbf{u}_p-\mathbf{u}_q\|^2\end{aligned}")
    st.markdown("**2 · Initialise.** Choose *k* starting centres μ₁ … μₖ: *k* random "
                "pixels, "
                "or **k-means++**, which picks each next centre with a probability growing "
                "with its squared distance *D*(x)² to the nearest centre already chosen:")
    st.latex(r"P(\mathbf{x}_p) = \frac{D(\mathbf{x}_p)^2}{\sum_q D(\mathbf{x}_q)^2}")
    st.markdown("**3 · Assign.** Every pixel joins its nearest centre:")
    st.latex(r"\ell_p = \operatorname*{arg\,min}_{j \in \{1,\dots,k\}}"
             r" \|\mathbf{x}_p - \boldsymbol{\mu}_j\|^2")
    st.markdown("**4 · Update.** Every centre moves to the mean of its pixels "
                "(*S*ⱼ: the pixels with label *j*):")
    st.latex(r"\boldsymbol{\mu}_j = \frac{1}{|S_j|} \sum_{p \in S_j} \mathbf{x}_p")
    st.markdown("**5 · Repeat** steps 3 and 4 until the **inertia** *J*, the sum of squared "
                "distances of the pixels to their centres, stops falling (no pixel changes "
                "segment, or the centres barely move):")
    st.latex(r"J = \sum_{p=1}^{N} \|\mathbf{x}_p - \boldsymbol{\mu}_{\ell_p}\|^2")
    st.caption("Each assign and each update can only lower J or leave it unchanged, and there "
               "are finitely many ways to label the pixels, so the loop always stops: at a "
               "local minimum, which depends on the start.")
    takeaway("Assign to the nearest centre, move each centre to its mean, repeat: the "
             "inertia falls at every step until nothing changes.", "app_pages/explore.py")
    for checkpoint_id in ("lesson.inertia_rises", "lesson.iterations"):
        checkpoint(question(checkpoint_id))

# --------------------------------------------------------------------------- #
# 3. Colour only, or colour and position
# --------------------------------------------------------------------------- #
with tabs[2]:
    st.header("Colour only, or colour and position?")
    st.markdown(
        "| | colour only (λ = 0) | colour + position (λ > 0) |\n|---|---|---|\n"
        "| groups | pixels of similar colour, anywhere | similar colour **and** close by |\n"
        "| regions | many small specks on textured or noisy areas | fewer, compact regions |\n"
        "| two objects of one colour | always one segment | can be two segments |\n"
        "| one big object | stays whole | cut into tiles if λ is too large |\n"
        "| speed | fastest: each distinct colour is clustered once | every pixel is a point |\n"
        "| good for | reducing colours, stains, colour masks | objects, regions, superpixels |")
    takeaway("Position trades colour accuracy for coherent regions; λ sets the price.",
             "app_pages/compare.py")
    for checkpoint_id in ("lesson.position_weight", "lesson.blue_discs"):
        checkpoint(question(checkpoint_id))

# --------------------------------------------------------------------------- #
# 4. Good practice
# --------------------------------------------------------------------------- #
with tabs[3]:
    st.header("Good practice")
    st.markdown(
        "- **Choose k with the elbow** of the inertia curve (and check the silhouette): the "
        "lowest inertia always wants more segments.\n"
        "- **Normalise the features**, so none wins because of its units: colour and position "
        "both span about one unit here, and Lab makes colour distance close to the "
        "difference we see.\n"
        "- **Position weight 0.1–0.5**: enough to join the specks, not so much that segments "
        "become tiles.\n"
        "- **50–100 iterations** at most, with a small tolerance on how far the centres move: "
        "the last iterations only move border pixels.\n"
        "- **Several starts, k-means++**: keep the run with the lowest inertia (best of N).\n"
        "- Work on a **smaller copy** while exploring, and **clean up** tiny regions "
        "afterwards.")
    takeaway("The elbow chooses k; k-means++ and several starts avoid a stuck start.",
             "app_pages/choosing_k.py", "app_pages/starts.py", "app_pages/cleanup.py")
    for checkpoint_id in ("lesson.inertia_vs_k", "lesson.stuck_start"):
        checkpoint(question(checkpoint_id))

# --------------------------------------------------------------------------- #
# 5. Limitations
# --------------------------------------------------------------------------- #
with tabs[4]:
    st.header("What k-means cannot do")
    st.markdown(
        "- **k is fixed in advance**: the same k for a busy street and an empty sky.\n"
        "- **Round clusters**: each pixel goes to the nearest centre, so boundaries lie "
        "halfway between centres; long, thin or very unequal groups are split or swallowed, "
        "and a big segment takes pixels from a small one.\n"
        "- **No semantics**: it never knows *cat* or *sky*; the same colour means the same "
        "segment, and one segment may be scattered over many regions.\n"
        "- **Lighting**: a shadow or a highlight changes a pixel's colour, so the lit and the "
        "shaded side of one object can end in different segments.\n"
        "- **Local minima**: the result depends on the start.\n"
        "- **Texture** (grass, brick) is not in a single pixel's colour: it needs extra "
        "features.")
    takeaway("Simple, fast and label-free, but blind to meaning: measure it against ground "
             "truth and compare it with other methods.",
             "app_pages/ground_truth.py", "app_pages/methods.py")

# --------------------------------------------------------------------------- #
# 6. Deep learning
# --------------------------------------------------------------------------- #
with tabs[5]:
    st.header("When to use deep learning")
    st.markdown(
        "Use a trained network when the segments need **names** (semantic, instance or "
        "panoptic segmentation), when objects vary in colour and lighting, and when labelled "
        "examples or a pretrained model exist. Stay with k-means when there are no labels, "
        "when colour really defines the regions, or for a fast first look.\n\n"
        "- **U-Net**: an **encoder** shrinks the picture step by step into features that see "
        "more and more context; a **decoder** grows it back to full size; **skip "
        "connections** hand the encoder's sharp, full-resolution features to the decoder. "
        "Designed for medical images with few labelled examples.\n"
        "- **DeepLab**: *dilated* (atrous) convolutions widen each pixel's **receptive "
        "field** without shrinking the picture, at several rates at once to see objects of "
        "every size.\n"
        "- **Mask R-CNN**: first finds each object's box, then draws a mask inside it: "
        "**instance** segmentation.")
    st.markdown("**From what you did to what a network learns**")
    st.markdown(
        "| in this app | in a segmentation network |\n|---|---|\n"
        "| features you chose: colour space, texture, position | **learned features**: "
        "filters tuned on labelled examples |\n"
        "| the position weight: nearby pixels belong together | the **receptive field** "
        "(each output sees a neighbourhood) and **skip connections** (exact position kept) |\n"
        "| a smaller copy of the picture, then full size | the **encoder** downsamples, the "
        "**decoder** upsamples |\n"
        "| k-means on superpixels: group regions, not pixels | pooling features over "
        "regions; Mask R-CNN's object proposals |\n"
        "| a centre: what one segment looks like | the last layer: one learned weight vector "
        "per class |\n"
        "| the inertia J, with no labels | a **loss** against ground truth (cross-entropy, "
        "Dice): supervised |\n"
        "| clean-up: small regions, smoothing | smoothing learned by the network (early "
        "DeepLab added a CRF) |\n"
        "| painting strokes to train a pixel classifier | the same idea with millions of "
        "labelled pixels |")
    takeaway("A network replaces hand-chosen features and an unsupervised objective with "
             "features and a loss learned from labelled examples.",
             "app_pages/learning.py", "app_pages/methods.py")

# --------------------------------------------------------------------------- #
# Progress (drawn last, at the top: it counts the run that just happened)
# --------------------------------------------------------------------------- #
summary = checkpoints.progress(CHECKPOINTS)
with progress_slot:
    bar_col, download_col = st.columns([3, 1], vertical_alignment="bottom")
    bar_col.progress(summary["answered"] / summary["total"],
                     text=f"{summary['answered']} of {summary['total']} checkpoints answered, "
                          f"{summary['correct']} predicted right")
    download_col.download_button(
        "My progress (JSON)", checkpoints.to_json(checkpoints.attempts(), CHECKPOINTS),
        file_name="kmeans-lesson-progress.json", mime="application/json",
        key="lesson_download_progress", icon=":material/download:", on_click="ignore",
        help="Your predictions, the measured answers and the times, as JSON.")
