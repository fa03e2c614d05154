"""The Embedding page's projector parts as plain functions: outlines and which points they hold, search matches,
the figure's marks, the link state, the projection job's button and polling, neighbours and item sets against the
fake backend."""

from __future__ import annotations

import importlib
import threading
import time
from functools import partial
from types import ModuleType

import flask
import httpx
import numpy as np
import pytest
from component_text import text_of
from dash import Dash, Patch, no_update
from dash.exceptions import PreventUpdate
from fake_backend import EMBEDDING, VERSION, FakeBackend, problem
from test_pages import triggered

from frontend.api_client import BackendClient, Embedding, ItemSet
from frontend.auth import COOKIE
from frontend.components.pagekit import parse_search
from frontend.components.projector_cache import ViewCache, key_state, view_key
from frontend.components.projector_data import (
    inside,
    matching_items,
    nearest_points,
    outline_of,
    point_values,
    search_terms,
    selected_items,
)
from frontend.components.projector_figures import LEGEND, Marks, means_figure, projector_figure, projector_patch
from frontend.state import EmbeddingState

pytestmark = pytest.mark.unit

RUN = {"run_id": "tiny", "version": VERSION, "dataset": "digits", "latent_dim": 4, "n_items": 1797}
EMB = Embedding.model_validate(EMBEDDING)  # items 484 (0.23, -0.04), 553 (-0.16, -0.27), 917 (0.18, 0.13)


@pytest.fixture(scope="module")
def page(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.embedding")


def test_a_box_and_a_lasso_hold_the_points_inside_them() -> None:
    box = outline_of({"range": {"x": [0.3, 0.0], "y": [-0.1, 0.2]}, "points": []})
    assert box == "box:0,0.3,-0.1,0.2" and selected_items(EMB, box) == [484, 917]
    lasso = outline_of({"lassoPoints": {"x": [-0.3, 0.0, -0.3], "y": [-0.4, -0.2, 0.0]}})
    assert selected_items(EMB, lasso) == [553]
    assert outline_of(None) == outline_of({"lassoPoints": {"x": [1, 2], "y": [1, 2]}}) == ""
    assert selected_items(EMB, "lasso:1,x,3") == [] and selected_items(EMB, "") == []


def test_inside_agrees_with_a_known_polygon() -> None:
    """An L shape: (1, 1) is in its corner, (3, 3) in its notch (outside)."""
    shape = np.array([[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4]], dtype=float)
    xs, ys = np.array([1.0, 3.0, 3.0, 1.0, 5.0]), np.array([1.0, 3.0, 1.0, 3.0, 1.0])
    assert inside(xs, ys, shape).tolist() == [True, False, True, True, False]


def test_a_long_lasso_is_thinned_for_the_link() -> None:
    angle = np.linspace(0, 2 * np.pi, 1000)
    outline = outline_of({"lassoPoints": {"x": np.cos(angle).tolist(), "y": np.sin(angle).tolist()}})
    assert outline.startswith("lasso:") and len(outline.split(",")) == 2 * 120
    assert EmbeddingState.from_query({"sel": outline}).sel == outline  # the link keeps it


def test_search_matches_the_shown_points_as_the_backend_read_the_conditions() -> None:
    assert search_terms(" label=3, thickness=1.6..1.71 ;") == ["label=3", "thickness=1.6..1.71"]
    assert matching_items(EMB, {"label": 3}) == [484]
    assert matching_items(EMB, {"thickness": [1.6, 1.71]}) == [484, 917]
    assert matching_items(EMB, {"label": 3, "thickness": [1.71, 2.0]}) == []
    assert matching_items(EMB, {"nosuch": 1}) == []


def test_nearest_points_and_values() -> None:
    assert nearest_points(EMB, 484, 2) == [484, 917] and nearest_points(EMB, None, 2) == [484, 553]
    assert point_values(EMB, 553) == "label 9 · thickness 1.74" and point_values(EMB, 1) == ""


def test_the_figure_marks_matches_the_selection_and_the_clicked_point() -> None:
    fig = projector_figure(EMB, "", Marks(matches={484}, selected={484, 917}, outline="box:0,0.3,-0.1,0.2",
                                          item=553), "r1")
    names = [t.name for t in fig.data]
    assert names[1:LEGEND] == ["selected (2)", "search matches (1)", "item 553"]
    assert all(t.type == "scattergl" for t in fig.data) and fig.data[3].x == (-0.16,)
    assert all(t.hoverinfo == "skip" for t in fig.data[1:]) and fig.layout.shapes[0].type == "path"
    assert fig.layout.uirevision == "r1" and fig.layout.selectionrevision == "box:0,0.3,-0.1,0.2"
    assert list(fig.data[0].customdata) == [484, 553, 917]  # the points in the sample's order: hover finds its cell
    digits = projector_figure(EMB, "factor:label", Marks())
    assert digits.data[0].marker.color == (3, 9, 2)  # one trace, coloured by the digit on a stepped scale
    assert [t.name for t in digits.data[LEGEND:] if t.visible] == ["label 2", "label 3", "label 9"]
    assert [len(t.x) for t in digits.data[1:LEGEND]] == [0, 0, 0]  # nothing marked


def assigned(patch: object) -> list[tuple[object, ...]]:
    """The places a ``dash.Patch`` assigns to, e.g. ("data", 0, "marker")."""
    return [tuple(op["location"]) for op in patch.to_plotly_json()["operations"]]  # type: ignore[attr-defined]


def test_a_colour_or_a_click_patches_only_what_changed() -> None:
    marks = Marks(matches={484}, selected=set(), outline="", item=553)
    colour = assigned(projector_patch(EMB, "attribute:thickness", marks, {"colour"}))
    assert ("data", 0, "marker") in colour and ("data", LEGEND) in colour
    assert not any(place[:2] in (("data", 1), ("data", 2), ("data", 3)) for place in colour)
    assert assigned(projector_patch(EMB, "", marks, {"item"})) == [("data", 3)]
    assert assigned(projector_patch(EMB, "", marks, {"selection"})) == [
        ("data", 1), ("layout", "shapes"), ("layout", "selectionrevision")]


def test_the_server_keeps_a_few_views_and_fetches_one_it_lost() -> None:
    keys = [view_key(RUN, EmbeddingState(n=n), n) for n in (100, 200, 300)]
    fetched: list[int] = []

    def fetch(key: dict[str, object]) -> Embedding:
        fetched.append(key_state(key).n)
        return EMB

    cache = ViewCache(2)
    for key in (*keys, keys[1], keys[0]):  # keys[1] again is held; keys[0], the least recent, was dropped
        cache.get(key, partial(fetch, key))
    assert fetched == [100, 200, 300, 100]


def test_a_view_asked_for_by_several_callbacks_at_once_is_fetched_once() -> None:
    """Four callbacks land together on a worker that lacks the view: one fetch, the others wait and read it."""
    key, fetched = view_key(RUN, EmbeddingState(n=100), 100), []

    def fetch() -> Embedding:
        fetched.append(threading.get_ident())
        time.sleep(0.3)  # the backend answering a large view
        return EMB

    cache = ViewCache(4)
    answers: list[Embedding] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get(key, fetch))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fetched) == 1 and len(answers) == 4 and all(a is EMB for a in answers)


def test_a_view_is_fetched_again_once_its_time_is_up() -> None:
    """An entry is served for the cache's ttl only (a revoked token stops reading its views then)."""
    key, fetched = view_key(RUN, EmbeddingState(n=100), 100), []

    def fetch() -> Embedding:
        fetched.append(1)
        return EMB

    kept, brief = ViewCache(4, ttl_s=600.0), ViewCache(4, ttl_s=0.05)
    for cache in (kept, kept, brief):
        cache.get(key, fetch)
    time.sleep(0.1)
    brief.get(key, fetch)
    assert len(fetched) == 3  # kept: once for two asks; brief: again after its 0.05 s


def test_a_view_is_kept_per_token_so_one_users_points_never_reach_another() -> None:
    """With FACTORSCOPE_AUTH_READS on, the points fetched with one user's token stay theirs: a request with another
    token (or none) fetches again, through the backend that checks it."""
    key = view_key(RUN, EmbeddingState(n=100), 100)
    fetched: list[str | None] = []

    def fetch(cookie: str | None) -> Embedding:
        fetched.append(cookie)
        return EMB

    cache, server = ViewCache(4), flask.Flask(__name__)
    for cookie in ("alice-token", None, "bob-token", "alice-token"):
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        with server.test_request_context(headers=headers):
            cache.get(key, partial(fetch, cookie))
    assert fetched == ["alice-token", None, "bob-token"]  # alice's second ask is served from her entry


def test_the_means_chart_sets_the_set_beside_the_sample() -> None:
    shown = ItemSet(set_id="7", run_id="tiny", name="sevens", n_items=2, items=[1, 2], mean_code=[0.5, -1.0],
                    baseline_code=[0.0, 0.1], baseline_n=500)
    fig = means_figure(shown)
    assert [t.name for t in fig.data] == ["sevens (2 items)", "sample mean (500 items)"]
    assert fig.data[0].y == (0.5, -1.0)


def test_the_link_keeps_the_whole_view() -> None:
    state = EmbeddingState(run="tiny", v="abc", method="dims", dim_x=3, dim_y=0, scope="all", n=700, seed=4,
                           color="factor:label", q="label=3", item=553, sel="box:0,0.3,-0.1,0.2", set="12")
    assert EmbeddingState.from_query(parse_search(state.to_query())) == state
    assert EmbeddingState.from_query({"method": "tsne"}).by_job and EmbeddingState(n=6000).by_job
    assert not EmbeddingState(n=5000).by_job
    bad = EmbeddingState.from_query({"sel": "box:1,2,3", "set": "<x>", "scope": "most", "item": "-1"})
    assert (bad.sel, bad.set, bad.scope, bad.item) == ("", None, "sample", None)


def test_a_failed_reload_keeps_the_plot_and_says_why_and_a_patch_needs_the_view_drawn_whole(
        page: ModuleType, backend: FakeBackend, with_client: Dash) -> None:
    """The view is not held here (another worker drew it) and the backend is busy: the plot keeps what it shows
    and the page says so. A colour change on a plot that does not hold the view whole redraws it; on one that does,
    it is a patch."""
    key = {**view_key(RUN, EmbeddingState(n=123), 123), "points": 3}
    backend.overrides[("GET", "/api/v1/runs/tiny/embedding")] = lambda r: problem(503, "Service Unavailable", "busy")
    with triggered("embedding-color", "value"):
        fig, drawn, alert = page.figure(key, "factor:label", None, "", None, key)
    assert fig is no_update and drawn is no_update and "Could not draw the points again" in text_of(alert)
    del backend.overrides[("GET", "/api/v1/runs/tiny/embedding")]
    with triggered("embedding-color", "value"):
        fig, drawn, alert = page.figure(key, "factor:label", None, "", None, None)
    assert len(fig.data[0].x) == 3 and drawn == key and alert is no_update
    with triggered("embedding-color", "value"):
        patch, drawn, _ = page.figure(key, "", None, "", None, key)
    assert isinstance(patch, Patch) and drawn is no_update


def test_a_projection_not_computed_offers_the_button_then_follows_the_job(page: ModuleType, client: BackendClient,
                                                                           backend: FakeBackend,
                                                                           with_client: Dash) -> None:
    path = "/api/v1/runs/tiny/projections/tsne"
    backend.overrides[("GET", path)] = lambda r: problem(404, "Not Found", "not computed yet")
    state = EmbeddingState(run="tiny", v=VERSION, method="tsne", n=300)
    data, _, _, alert, _, job, note, values = page.load_view(client, RUN, state, "")
    assert data is None is values and alert is None and job["display"] == "block" and "press Compute" in note
    backend.overrides[("POST", "/api/v1/runs/tiny/projections")] = lambda r: httpx.Response(
        202, json={"job_id": "pj1", "run_id": "tiny", "job_url": "/api/v1/jobs/pj1"})
    assert page.start_projection(client, RUN, state) == ({"job_id": "pj1"}, False, "queued")
    assert backend.calls[-1][3] == {"method": "tsne", "n": 300, "seed": 0, "v": VERSION}
    backend.jobs["pj1"] = backend.job("pj1", "projection", "tiny") | {"state": "running", "progress": 0.4,
                                                                       "message": "fitting"}
    assert page.poll_projection(client, "pj1", 0) == (40, "40%", "running: fitting", False, no_update)
    backend.jobs["pj1"].update(state="succeeded", progress=1.0)
    assert page.poll_projection(client, "pj1", 0)[3:] == (True, 1)  # done: the points load again
    backend.overrides[("GET", path)] = lambda r: httpx.Response(200, json={**EMBEDDING, "method": "tsne"})
    data, *_, values = page.load_view(client, RUN, state, "")
    assert data["method"] == "tsne" and backend.calls[-1][2] == {"n": "300", "seed": "0", "v": VERSION}
    assert (data["size"], data["points"]) == (300, 3)  # the key the browser holds, not the points
    assert values == {"names": ["label", "thickness"], "columns": [[3, 9, 2], [1.7, 1.74, 1.67]]}


def test_every_item_and_chosen_dims_are_asked_for_as_the_backend_takes_them(page: ModuleType, client: BackendClient,
                                                                            backend: FakeBackend,
                                                                            with_client: Dash) -> None:
    page.load_view(client, RUN, EmbeddingState(method="dims", dim_x=3, dim_y=0, n=200), "")
    assert backend.calls[-1][2] == {"method": "dims", "n": "200", "v": VERSION, "dim_x": "3", "dim_y": "0"}
    page.load_view(client, RUN, EmbeddingState(method="pca", scope="all"), "")
    assert backend.calls[-1][1:3] == ("/api/v1/runs/tiny/projections/pca", {"n": "1797", "seed": "0", "v": VERSION})
    data, _, _, alert, *_ = page.load_view(client, RUN, EmbeddingState(method="dims", scope="all"), "")
    assert data is None and "up to 5,000 sampled items" in text_of(alert)


def test_a_search_counts_the_dataset_and_rings_the_shown_matches(page: ModuleType, client: BackendClient,
                                                                 backend: FakeBackend) -> None:
    backend.overrides[("GET", "/api/v1/datasets/digits/items/search")] = lambda r: httpx.Response(200, json={
        "dataset": "digits", "total": 183, "offset": 0, "items": [3], "where": {"label": 3}})
    where, note = page.find_matches(client, "digits", ["label=3"], EMB)
    assert where == {"label": 3}
    assert note == "183 items of digits match label=3; 1 of the 3 points shown are ringed in orange."
    assert backend.calls[-1][2] == {"where": "label=3", "limit": "1", "offset": "0"}
    backend.overrides[("GET", "/api/v1/datasets/digits/items/search")] = lambda r: problem(
        422, "Unprocessable Content", "query.where.0: expected name=value (e.g. shape=heart), got 'label'")
    shown, note = page.find_matches(client, "digits", ["label"], EMB)
    assert shown is None and "query.where.0: expected name=value" in text_of(note)


def test_a_clicked_point_lists_its_neighbours(page: ModuleType, client: BackendClient, backend: FakeBackend,
                                              with_client: Dash) -> None:
    backend.overrides[("GET", "/api/v1/runs/tiny/neighbours")] = lambda r: httpx.Response(200, json={
        "run_id": "tiny", "version": VERSION, "item": 553, "n": 3, "seed": 0,
        "neighbours": [{"item": 917, "distance": 0.25}, {"item": 484, "distance": 0.5}]})
    panel, said = page.point_view(client, RUN, EMB, 553, {"size": 3, "seed": 0})
    text = text_of(panel)
    assert "item 553" in text and "label 9" in text and "0.250" in text and "Open item 553 in Explore" in text
    assert said == "Item 553: its 2 nearest neighbours are listed in the Point panel."
    assert backend.calls[-1][2] == {"item": "553", "k": "10", "n": "3", "seed": "0", "v": VERSION}


def test_a_selection_is_saved_and_its_means_shown(page: ModuleType, client: BackendClient,
                                                  backend: FakeBackend) -> None:
    saved = {"set_id": "12", "run_id": "tiny", "name": "two", "n_items": 2, "created_by": None,
             "created_at": "2026-12-03T05:00:00+00:00", "set_url": "/api/v1/item-sets/12"}
    backend.overrides[("POST", "/api/v1/runs/tiny/item-sets")] = lambda r: httpx.Response(201, json={
        **saved, "items": [484, 917]})
    backend.overrides[("GET", "/api/v1/runs/tiny/item-sets")] = lambda r: httpx.Response(200, json={
        "sets": [saved]})
    backend.overrides[("GET", "/api/v1/item-sets/12")] = lambda r: httpx.Response(200, json={
        **saved, "items": [484, 917], "version": VERSION, "mean_code": [0.1, 0.2, 0.3, 0.4],
        "baseline_code": [0.0, 0.0, 0.0, 0.0], "baseline_n": 500})
    set_id, note = page.store_set(client, RUN, [484, 917], "", named=True)
    assert set_id is no_update and "Name the set" in text_of(note)
    set_id, note = page.store_set(client, RUN, [484, 917], "", named=False)
    assert set_id == "12" and backend.calls[-1][3] == {"name": "2 points from the embedding", "items": [484, 917]}
    graph, style, mean, listed = page.show_set(client, RUN, "12")
    assert style["display"] == "block" and mean == [0.1, 0.2, 0.3, 0.4] and "two (2 items)" in text_of(listed)
    assert len(graph.figure.data) == 2
    href = page.explore_link("tiny", VERSION, 484, mean)
    assert "base=item:484" in href and "z=0.1,0.2,0.3,0.4" in href


def test_a_new_selection_replaces_the_outline_and_forgets_the_compared_set(page: ModuleType) -> None:
    box = {"range": {"x": [0.0, 0.3], "y": [-0.1, 0.2]}}
    with triggered("embedding-graph", "selectedData"):
        assert page.select(box, 0, "lasso:0,0,1,0,1,1") == ("box:0,0.3,-0.1,0.2", None)
        with pytest.raises(PreventUpdate):  # the same outline again (Plotly redrawn): the set stays
            page.select(box, 0, "box:0,0.3,-0.1,0.2")
        with pytest.raises(PreventUpdate):  # Plotly's selection forgotten on a redraw
            page.select(None, 0, "box:0,0.3,-0.1,0.2")
    with triggered("embedding-clear"):
        assert page.select(box, 1, "box:0,0.3,-0.1,0.2") == ("", None)


def test_a_point_is_picked_by_a_click_or_from_the_lists(page: ModuleType) -> None:
    with triggered("embedding-graph", "clickData"):
        assert page.pick({"points": [{"customdata": 553}]}, [], []) == 553
        with pytest.raises(PreventUpdate):
            page.pick({"points": []}, [], [])
    with triggered({"type": "embedding-point", "item": 917}):
        assert page.pick(None, [1], []) == 917
    with triggered({"type": "embedding-nb", "item": 484}):
        assert page.pick(None, [], [1]) == 484
