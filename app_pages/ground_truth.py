"""Ground truth: every method graded against exact masks, one picture and the whole set.

A thin page over :mod:`segmentation.benchmark` (the methods, their scores on
connected regions, the confusion with each true region's match on the
diagonal, the best-match pictures) through :mod:`ui.cache` (``gt_*``):

* a picture with an exact mask: a scene of the ground-truth set
  (``assets/ground_truth/``), or the sidebar's current picture: the synthetic
  gallery samples have their own truth, and for any other picture the student
  uploads a label mask here (:func:`segmentation.io.load_label_mask`);
* one method (its scores, the confusion heat map, the best-match pictures)
  or all of them side by side;
* the whole-set table, computed once per process by
  :func:`segmentation.benchmark.score_methods`: the same table
  ``bench/quality.py`` prints.

This page's own keys start with ``ground_truth_``.
"""

import pandas as pd
import streamlit as st

from segmentation.benchmark import K, TABLE_COLUMNS, methods, table_cell
from segmentation.io import MAX_MASK_LABELS
from segmentation.params import K_RANGE
from segmentation.samples import GROUND_TRUTH_SCENES, ground_truth_set
from ui import cache
from ui.display import display_settings
from ui.figures import PLOTLY_CONFIG
from ui.state import current_image
from ui.teaching import ProgressBar, lesson_intro, try_this

CURRENT = "current"  # the scene choice "the sidebar's picture"
ALL = -1  # the method choice "all methods"; the others are positions in methods(k)
DEFAULT_SCENE = "gravel_disc_on_grass"  # k-means specks, clean-up and the hierarchy all differ
DEFAULT_METHOD = 1  # k-means (colour+position): the app's default run
PICTURE_WIDTH = 155  # px: five pictures in a row at 1366 px, two on a 390 px phone
NBSP = "\u00a0"
MASK_TYPES = ("png", "bmp", "gif", "tif", "tiff", "webp")


def scene_title(name: str) -> str:
    """``'Shapes noisy'`` for ``shapes_noisy``."""
    return name.replace("_", " ").capitalize()


def current_truth(image):
    """(truth key, truth) of the sidebar's picture, or None with a message saying what to do."""
    if image.sample_key is not None:
        truth = cache.ground_truth(image)
        if truth is not None:
            st.caption(f"{image.title} is a synthetic sample: its exact mask comes with it.")
            return f"sample:{image.sample_key}", truth
    height, width = image.original_size
    file = st.file_uploader(
        f"Label mask of {image.title} ({width} x {height} px, PNG)", type=list(MASK_TYPES),
        key="ground_truth_mask",
        help="A picture of the same size where every region is painted in one flat value or "
             f"colour (grayscale 0, 1, 2..., a palette, or RGB colours; at most "
             f"{MAX_MASK_LABELS}). Read in memory only; nothing is written to disk.")
    if file is None:
        st.info(f"{image.title} has no ground truth. Paint its regions in flat colours on a "
                f"copy of it ({width} x {height} px) in any drawing program, save it as PNG and "
                "upload it above; or choose a scene of the set.", icon=":material/draw:")
        return None
    mask = cache.gt_mask(file.getvalue(), image)
    if isinstance(mask, str):
        st.error(mask)
        return None
    key, truth = mask
    st.caption(f"Your mask: {int(truth.max()) + 1} labels"
               + (f", shrunk with the picture to {image.size[1]} x {image.size[0]} px."
                  if image.downscaled else "."))
    return key, truth


def score_metrics(run) -> None:
    """The scores of one run: two rows of four metrics (two a row on a phone)."""
    scores = run.scores
    rows = (
        (("Adjusted Rand index", scores.adjusted_rand,
          "Pixel pairs both put together or apart, corrected for chance: 1 identical, about "
          "0 chance."),
         ("VoI (bits)", scores.variation_of_information,
          "Variation of information = split + merge: 0 when the regions are exactly the "
          "true ones."),
         ("VoI split (bits)", scores.vi_split,
          "Over-segmentation: true regions cut into several regions."),
         ("VoI merge (bits)", scores.vi_merge,
          "Under-segmentation: several true regions in one region.")),
        (("Mean best-match IoU", scores.mean_best_iou,
          "Each true region paired with one region (Hungarian matching); the mean overlap "
          "(intersection over union) of the pairs."),
         ("Covering", scores.covering,
          "Each true region's best overlap with any region, weighted by size."),
         ("Boundary precision", scores.boundary_precision,
          "Share of the predicted borders within 2 px of a true border."),
         ("Boundary recall", scores.boundary_recall,
          "Share of the true borders within 2 px of a predicted border.")),
    )
    # Horizontal containers of fixed-width metrics, not columns: columns stack one metric
    # a row on a phone, these wrap two a row.
    for number, row in enumerate(rows):
        with st.container(horizontal=True, gap="medium", key=f"ground_truth_scores_{number}"):
            for label, value, help_text in row:
                st.metric(label, f"{value:.3f}", help=help_text, width=160)


def voi_explained() -> None:
    """Split and merge, one sentence each."""
    st.markdown("**Variation of information** counts the bits lost between the two "
                "partitions, in two parts. **Split**: knowing a pixel's true region, how many "
                "more bits to tell which of our regions it is in; it grows when true regions "
                "are cut into pieces (over-segmentation). **Merge**: knowing our region, how many "
                "more bits to tell the true region; it grows when one of our regions swallows "
                "several true ones (under-segmentation).")


def one_method(picture_key, truth_key, k, method, picture, truth) -> None:
    """Scores, pictures and confusion heat map of one method."""
    run = cache.gt_run(picture_key, truth_key, method.name, k, picture, truth)
    score_metrics(run)
    segments, matched, errors = cache.gt_pictures(picture_key, truth_key, k, display.palette,
                                                  picture, run)
    n_truth = len(run.confusion.truth_labels)
    pictures = (
        (cache.gt_photo_png(picture_key, picture), "The picture", "The picture being scored."),
        (cache.gt_truth_png(truth_key, truth, display.palette), "The truth",
         f"The {n_truth} true regions in flat colours."),
        (segments, f"{method.name}", f"The segments of {method.name}, flat colours, outlined."),
        (matched, "The truth in its matched segments' colours (grey: unmatched)",
         "The true regions painted in the colours of their matched segments."),
        (errors, f"Errors in magenta: {100 * run.match.error_share:.1f} % of pixels",
         f"The picture darkened, with the {100 * run.match.error_share:.0f} % of pixels "
         "outside their region's matched segment in magenta."),
    )
    # Fixed-width pictures that wrap: five in a row on a laptop, two on a phone.
    with st.container(horizontal=True, gap="small", key="ground_truth_pictures"):
        for png, caption, alt in pictures:
            st.image(png, caption=caption, output_format="PNG", width=PICTURE_WIDTH, alt=alt)
    st.caption(f"{run.scores.n_regions:,} connected regions against {n_truth} true ones; "
               f"{run.seconds:.2f} s. Scores count connected regions, as a person drawing them "
               "would: a segment scattered in 300 specks is 300 regions. A pixel is an error "
               "when its segment is not the one matched to its true region.")
    voi_explained()
    st.plotly_chart(cache.gt_confusion_figure(picture_key, truth_key, k, run,
                                              large_text=display.present),
                    key="ground_truth_confusion_chart", config=PLOTLY_CONFIG,
                    alt=f"Heat map: rows are the {len(run.confusion.truth_labels)} true regions, "
                        f"columns the {len(run.confusion.predicted_labels)} segments of "
                        f"{method.name}; each cell is the share of the region the segment took.")
    st.caption("Each row is a true region and shows where its pixels went. The matched segment "
               "of each region comes first, so a perfect result is a dark diagonal; a row "
               "spread over several columns is a region split apart, a column with several "
               "dark cells is regions merged into one segment.")


def all_methods(picture_key, truth_key, k, picture, truth) -> None:
    """Every method on this picture: a table of scores and their segments."""
    bar = ProgressBar("Running every method on this picture...")
    runs = []
    chosen = methods(k)
    for done, method in enumerate(chosen):
        bar.update(done / len(chosen))
        runs.append(cache.gt_run(picture_key, truth_key, method.name, k, picture, truth))
    bar.done()
    rows = [{"method": run.method, "ARI": run.scores.adjusted_rand,
             "VoI": run.scores.variation_of_information, "split": run.scores.vi_split,
             "merge": run.scores.vi_merge, "mean IoU": run.scores.mean_best_iou,
             "covering": run.scores.covering, "boundary P": run.scores.boundary_precision,
             "boundary R": run.scores.boundary_recall, "regions": run.scores.n_regions,
             "time (s)": run.seconds} for run in runs]
    numbers = {name: "{:.3f}" for name in rows[0] if name not in ("method", "regions")}
    st.table(pd.DataFrame(rows).style.format({**numbers, "regions": "{:,}", "time (s)": "{:.2f}"})
             .hide(axis="index"))
    tiles = [(cache.gt_photo_png(picture_key, picture), "The picture", "The picture scored."),
             (cache.gt_truth_png(truth_key, truth, display.palette),
              f"The truth: {len(runs[0].confusion.truth_labels)} regions",
              "The true regions in flat colours.")]
    for method, run in zip(chosen, runs):
        segments = cache.gt_pictures(picture_key, truth_key, k, display.palette, picture, run)[0]
        tiles.append((segments, f"{method.name}: {run.scores.n_regions:,} regions",
                      f"The segments of {method.name}, flat colours, outlined."))
    # Wrapping, not columns: on a phone columns would stack column by column, out of order.
    with st.container(horizontal=True, gap="small", key="ground_truth_all_pictures"):
        for png, caption, alt in tiles:
            st.image(png, output_format="PNG", width=PICTURE_WIDTH, caption=caption, alt=alt)
    voi_explained()


def whole_set_table(k: int) -> None:
    """The comparison table on the whole set, computed once per process."""
    scenes = ground_truth_set()
    chosen = methods(k)
    bar = ProgressBar(f"Scoring {len(chosen)} methods on the {len(scenes)} scenes "
                      "(once for the whole class)...")
    table = cache.gt_table(k, progress=lambda done, total, _: bar.update(done / total))
    bar.done()
    frame = pd.DataFrame([{"method": row.method,
                           # non-breaking spaces: "0.623 ± 0.228" stays on one line on a phone
                           **{column: table_cell(row, column).replace(" ", NBSP)
                              for column in TABLE_COLUMNS},
                           "time (s)": f"{row.median_seconds:.3f}"} for row in table.rows])
    st.table(frame.style.hide(axis="index"))
    command = "bench/quality.py" + ("" if k == K else f" --k {k}")
    st.caption(f"Mean ± standard deviation over the {len(table.scenes)} scenes (k = {k}), scored "
               f"on connected regions; time: the median per scene when it was computed. This is "
               f"the same table, from the same code, that `{command}` prints.")
    with st.expander("More scores: VoI split and merge, mean IoU, boundary precision and recall"):
        more = pd.DataFrame([{"method": row.method, "VoI split": row.mean("vi_split"),
                              "VoI merge": row.mean("vi_merge"),
                              "mean IoU": row.mean("mean_best_iou"),
                              "boundary P": row.mean("boundary_precision"),
                              "boundary R": row.mean("boundary_recall")} for row in table.rows])
        st.table(more.style.format(precision=3).hide(axis="index"))
        st.caption("Means over the scenes. A method that cuts everything into specks has a "
                   "large split and a small merge; one that paints big blobs the reverse.")


image = current_image()
display = display_settings()

st.title("Ground truth")
lesson_intro("A score needs an answer key: every picture here comes with the exact mask of its "
             "regions, and each method is graded against it on connected regions, so "
             "k-means' scattered specks count as many small regions. Watch the two halves of "
             "the variation of information: colour-only k-means loses on *split* (regions cut "
             "into specks), the hierarchy on *merge*, and clean-up brings k-means from the "
             "bottom of the table to the top.")

st.session_state.setdefault("ground_truth_scene", DEFAULT_SCENE)
st.session_state.setdefault("ground_truth_method", DEFAULT_METHOD)
scene_col, method_col, k_col = st.columns([5, 4, 3], gap="medium")
with k_col:
    # value= rather than a session default: nothing else sets it, and the browser's own
    # default is then the table's k too.
    k = st.slider("k (k-means and hierarchy)", *K_RANGE, value=K, key="ground_truth_k")
chosen = methods(k)
with scene_col:
    scene = st.selectbox(
        "Picture", (*ground_truth_set(), CURRENT), key="ground_truth_scene",
        format_func=lambda name: (f"The current picture: {image.title}" if name == CURRENT
                                  else f"{scene_title(name)} (set)"))
with method_col:
    method_index = st.selectbox(
        "Method", (*range(len(chosen)), ALL), key="ground_truth_method",
        format_func=lambda index: "All methods" if index == ALL else chosen[index].name)

if scene == CURRENT:
    picture, picture_key = image.image, image.digest
    found = current_truth(image)
    truth_key, truth = found if found is not None else (None, None)
    where = image.resolution_text()
else:
    picture, truth = cache.gt_scene(scene)
    picture_key = truth_key = f"scene:{scene}"
    where = f"{GROUND_TRUTH_SCENES[scene]} 256 x 256 px, with its exact mask."
st.caption(where if method_index == ALL else f"{where} {chosen[method_index].description}")

if truth is not None:
    st.subheader("Scores on this picture")
    if method_index == ALL:
        all_methods(picture_key, truth_key, k, picture, truth)
    else:
        one_method(picture_key, truth_key, k, chosen[method_index], picture, truth)

st.subheader("Every method on the whole set")
whole_set_table(k)

try_this("Choose **Shapes textured** and **k-means (colour)**: the stripes scatter thousands of "
         "specks, so VoI *split* is huge while *merge* stays small. Then switch the method to "
         "**k-means + clean**: which half of the VoI drops, what happens to the heat map's "
         "diagonal, and where are the magenta errors left?",
         {"ground_truth_scene": "shapes_textured", "ground_truth_method": 0},
         key="ground_truth_try_this", label="Try this on textured shapes")
