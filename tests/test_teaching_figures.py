"""Figures of the teaching pages (ui/teaching_figures.py), read from their specs, no browser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from segmentation.choosing_k import suggest_elbow
from segmentation.stability import compare_starts
from ui.figures import TEXT_COLOR, figure_size_bytes
from ui.teaching import add_clicked_pixels
from ui.teaching_figures import (
    BAND,
    CHOICE_TRACE,
    ELBOW_TRACE,
    GRID_TRACE,
    PICKS_TRACE,
    criteria_figure,
    elbow_figure,
    heat_png,
    pick_canvas_figure,
    picks_figure,
    starts_figure,
    sweep_figure,
)


@pytest.fixture
def knee():
    """A curve with an obvious knee at k = 4: steep to 4, nearly flat after."""
    ks = list(range(2, 9))
    inertias = [100.0, 50.0, 10.0, 9.0, 8.0, 7.0, 6.0]
    return ks, inertias, suggest_elbow(ks, inertias)


def named(figure, name):
    """The traces of ``figure`` called ``name``."""
    return [trace for trace in figure.data if trace.name == name]


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_elbow_figure_marks_the_elbow_the_chord_and_its_gap(knee):
    ks, inertias, suggestion = knee
    figure = elbow_figure(suggestion, inertias)
    # The elbow star sits on the curve at the suggested k.
    (elbow,) = named(figure, ELBOW_TRACE)
    assert suggestion.k == 4 and elbow.x == (4,) and elbow.y == (10.0,)
    # The chord joins the first and last points.
    (chord,) = named(figure, "chord")
    assert chord.x == (2, 8) and chord.y == (100.0, 6.0)
    # The gap runs from the chord (at k = 4: 100 - 94 * 2/6) down to the curve.
    (gap,) = named(figure, "gap to the chord")
    assert gap.x == (4, 4)
    assert gap.y[0] == pytest.approx(100 - 94 * 2 / 6) and gap.y[1] == 10.0
    assert named(figure, CHOICE_TRACE) == []  # no k chosen, no ring
    assert figure.layout.font.color == TEXT_COLOR


def test_elbow_figure_rings_the_students_k_only_on_the_curve(knee):
    ks, inertias, suggestion = knee
    (ring,) = named(elbow_figure(suggestion, inertias, current_k=6), CHOICE_TRACE)
    assert ring.x == (6,) and ring.y == (8.0,)
    assert named(elbow_figure(suggestion, inertias, current_k=12), CHOICE_TRACE) == []


def test_elbow_figure_rejects_a_wrong_number_of_inertias(knee):
    ks, inertias, suggestion = knee
    with pytest.raises(ValueError, match="one value per k"):
        elbow_figure(suggestion, inertias[:-1])


def test_criteria_figure_marks_each_best_on_its_own_axis():
    # Silhouette best at k = 3, CH best at k = 5; NaN (undefined) is skipped.
    figure = criteria_figure([2, 3, 4, 5], [0.4, 0.8, float("nan"), 0.5],
                             [10.0, 20.0, 30.0, 40.0], current_k=4)
    (best_sil,) = named(figure, "best silhouette")
    (best_ch,) = named(figure, "best Calinski–Harabasz")
    assert best_sil.x == (3,) and best_ch.x == (5,)
    assert best_sil.yaxis == "y" and best_ch.yaxis == "y2"
    assert figure.layout.shapes[0].x0 == 4  # the student's k, dotted


def test_criteria_figure_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        criteria_figure([2, 3], [0.5], [1.0, 2.0])


def test_sweep_figure_shades_the_recommended_band():
    figure = sweep_figure([0, 0.1, 0.3, 0.5, 1, 2], [900, 300, 120, 60, 20, 8])
    assert figure.data[0].y == (900, 300, 120, 60, 20, 8)
    band = figure.layout.shapes[0]
    assert (band.x0, band.x1) == BAND == (0.1, 0.5)
    assert figure.layout.yaxis.rangemode == "tozero"  # counts from 0, not zoomed in


def test_starts_figure_has_one_box_per_init_and_quantity_with_every_run():
    X = [[0.0], [0.2], [5.0], [5.2], [9.0], [9.2]]
    runs = compare_starts(X, 3, n_seeds=5)
    figure = starts_figure(runs)
    assert [(box.name, box.xaxis) for box in figure.data] == [
        ("k-means++", "x"), ("random", "x"), ("k-means++", "x2"), ("random", "x2")]
    assert list(figure.data[0].y) == [run.inertia for run in runs.runs_of("k-means++")]
    assert list(figure.data[3].y) == [run.n_iter for run in runs.runs_of("random")]
    assert list(figure.data[1].customdata) == list(runs.seeds)  # hover names the seed
    assert all(box.boxpoints == "all" for box in figure.data)


def test_heat_png_is_black_at_zero_and_brightest_at_the_maximum():
    values = np.array([[0.0, 0.25], [1.0, 4.0]])
    rgb = decode(heat_png(values))
    assert rgb.shape == (2, 2, 3)
    assert rgb[0, 0].tolist() == [0, 0, 4]  # zero probability: the dark end
    assert rgb[1, 1].tolist() == [252, 255, 164]  # the maximum: the bright end
    brightness = rgb.sum(axis=2)
    assert brightness[0, 0] < brightness[0, 1] < brightness[1, 0] < brightness[1, 1]


def test_heat_png_of_a_uniform_distribution_is_one_colour():
    rgb = decode(heat_png(np.full((3, 4), 1 / 12)))
    assert np.unique(rgb.reshape(-1, 3), axis=0).shape[0] == 1


def test_picks_figure_draws_the_picks_on_both_pictures_in_order():
    png = heat_png(np.ones((10, 12)))
    figure = picks_figure(png, png, [(1, 2), (7, 9)])
    picks = named(figure, PICKS_TRACE)
    assert len(picks) == 2
    for trace in picks:
        assert trace.x == (2, 9) and trace.y == (1, 7) and trace.text == ("1", "2")
    assert [trace.type for trace in figure.data].count("image") == 2


def test_pick_canvas_grid_covers_the_picture_and_is_clickable():
    figure = pick_canvas_figure(heat_png(np.ones((16, 24))), (16, 24), [(3, 5)], grid_step=4)
    grid = figure.data[GRID_TRACE]
    assert grid.name == "click a pixel"
    assert len(grid.x) == (16 // 4) * (24 // 4)
    assert min(grid.x) >= 0 and max(grid.x) < 24 and min(grid.y) >= 0 and max(grid.y) < 16
    assert figure.layout.clickmode == "event+select"
    (picked,) = named(figure, PICKS_TRACE)
    assert picked.x == (5,) and picked.y == (3,)
    # Rows grow downwards, as in the picture.
    assert figure.layout.yaxis.range == (15.5, -0.5)


def test_clicked_grid_points_become_picks_once_and_up_to_the_limit():
    points = [{"curve_number": GRID_TRACE, "x": 6, "y": 2},
              {"curve_number": 0, "x": 1, "y": 1},  # the photo itself: ignored
              {"curve_number": GRID_TRACE, "x": 6, "y": 2}]  # the same pixel again
    assert add_clicked_pixels([], points, curve_number=GRID_TRACE, max_picks=5) == [(2, 6)]
    full = [(0, 0), (1, 1)]
    assert add_clicked_pixels(full, points, curve_number=GRID_TRACE, max_picks=2) == full


def test_teaching_figures_stay_small():
    # Pictures go in as PNG, not as numbers: a 160 x 160 heat map figure stays well under 1 MB.
    rng = np.random.default_rng(0)
    heat = heat_png(rng.random((160, 160)))
    assert figure_size_bytes(picks_figure(heat, heat, [(10, 10)] * 12)) < 1_000_000
    assert figure_size_bytes(pick_canvas_figure(heat, (160, 160), [])) < 1_000_000


def test_picks_space_figure_colours_pixels_by_the_next_pick_and_numbers_the_picks():
    # The picks in feature space: the picked rows at their projected features,
    # numbered in order, over the fixed pixel sample coloured by P(pick).
    from segmentation.stability import kmeanspp_steps
    from ui.figures import feature_projection, feature_sample
    from ui.teaching_figures import PICKS_TRACE, SPACE_TRACE, picks_space_figure

    rng = np.random.default_rng(0)
    X = rng.random((500, 3))
    steps = kmeanspp_steps(X, 4, seed=1)
    figure = picks_space_figure(X, ("red", "green", "blue"), steps.rows, steps.probabilities, 3)
    pixels, picks = figure.data
    assert (pixels.name, picks.name) == (SPACE_TRACE, PICKS_TRACE)
    projection = feature_projection(("red", "green", "blue"))
    sample = feature_sample(len(X))
    np.testing.assert_allclose(pixels.marker.color, steps.probabilities[2][sample])
    expected = X[np.asarray(steps.rows[:3])] @ projection.matrix
    np.testing.assert_allclose(np.column_stack([picks.x, picks.y]), expected)
    assert picks.text == ("1", "2", "3")
    # a picked row has probability 0 of being picked again
    assert all(steps.probabilities[2][row] == 0 for row in steps.rows[:2])
