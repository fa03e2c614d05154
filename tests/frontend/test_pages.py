"""Page callbacks called as plain functions against the fake backend (no browser, no server)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import ModuleType
from typing import Any

import dash_bootstrap_components as dbc
import httpx
import pytest
from component_text import text_of
from dash import Dash, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from fake_backend import DETAIL, FACTORS, GROUPED_RUN, HEATMAP, PNG, RUN, VERSION, FakeBackend, problem

from frontend.api_client import BackendClient, ImageUrls
from frontend.state import Base, EmbeddingState

IMAGES = ImageUrls("http://localhost:8000")


@pytest.fixture(scope="module")
def pages(app: Dash) -> dict[str, ModuleType]:
    """The page modules the app discovered (importing them needs the app to exist first)."""
    return {name: importlib.import_module(f"frontend.pages.{name}") for name in ("explore", "factors", "embedding",
                                                                                 "groups", "runs")}


@contextmanager
def triggered(component_id: Any, prop: str = "n_clicks") -> Iterator[None]:
    """Run a callback as if ``component_id.prop`` had fired (for ctx.triggered_id)."""
    key = (component_id if isinstance(component_id, str) else
           "{" + ",".join(f'"{k}":{v!r}'.replace("'", '"') for k, v in sorted(component_id.items())) + "}")
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{key}.{prop}", "value": 1}]))
    try:
        yield
    finally:
        context_value.reset(token)


# -- Explore ---------------------------------------------------------------------------------------------

def test_explore_loads_the_newest_run_ranked_by_mi(pages: dict[str, ModuleType], client: BackendClient) -> None:
    data, options, value, banner, alerts, remembered = pages["explore"].load_explore(client, None, {}, None)
    assert value == remembered == "tiny" and options[0]["value"] == "tiny" and banner is None and alerts == []
    assert data["version"] == VERSION and data["order"] == [3, 2, 1, 0] and data["n_items"] == 1797
    assert data["mi"][3] == 0.90 and data["latent_dim"] == 4


def test_a_link_naming_dims_the_run_lacks_says_so(pages: dict[str, ModuleType], client: BackendClient) -> None:
    *_, alerts, _ = pages["explore"].load_explore(client, "tiny", {"run": "tiny", "dims": "0,99"}, None)
    assert "dims [0, 99] are not all in tiny (dims 0..3)" in text_of(alerts)
    *_, alerts, _ = pages["explore"].load_explore(client, "tiny", {"run": "tiny", "dims": "3,0"}, None)
    assert alerts == []


def test_a_link_vector_of_the_wrong_length_says_so(pages: dict[str, ModuleType], client: BackendClient) -> None:
    *_, alerts, _ = pages["explore"].load_explore(client, "tiny", {"run": "tiny", "z": "1,2,3"}, None)
    assert "z has 3 values but tiny has 4 dims" in text_of(alerts)
    *_, alerts, _ = pages["explore"].load_explore(client, "tiny", {"run": "tiny", "z": "1,2,3,4"}, None)
    assert alerts == []


def test_a_link_about_another_run_says_nothing_once_the_user_switches_run(
        pages: dict[str, ModuleType], client: BackendClient, grouped: FakeBackend) -> None:
    """The link named tiny (bad dims, wrong z length, an old version); the user picked grouped: none of it applies."""
    initial = {"run": "tiny", "dims": "0,99", "z": "1,2,3", "v": "0123456789ab"}
    data, _, value, banner, alerts, _ = pages["explore"].load_explore(client, "grouped", initial, None)
    assert value == data["run_id"] == "grouped" and banner is None and alerts == []


def test_a_link_for_an_old_version_shows_the_banner(pages: dict[str, ModuleType], client: BackendClient) -> None:
    initial = {"run": "tiny", "v": "0123456789ab", "dims": "1", "steps": "5"}
    _, _, _, banner, _, _ = pages["explore"].load_explore(client, "tiny", initial, None)
    assert isinstance(banner, dbc.Alert) and "0123456789ab" in text_of(banner) and VERSION in text_of(banner)
    link = banner.children[-1]
    assert link.href == f"/explore?run=tiny&v={VERSION}&dims=1&steps=5&span=2.5&base=typical&unit=prior"


def test_a_link_for_a_kept_older_version_shows_that_version(pages: dict[str, ModuleType], client: BackendClient,
                                                             backend: FakeBackend) -> None:
    kept = "aaaaaaaaaaaa"  # a version the run kept when a newer one replaced it (GET /runs/{id}?v= answers it)

    def detail(request: httpx.Request) -> httpx.Response:
        asked = request.url.params.get("v")
        if asked in (None, VERSION):
            return httpx.Response(200, json={**DETAIL, "latest_version": VERSION})
        if asked == kept:
            return httpx.Response(200, json={**DETAIL, "version": kept, "latest_version": VERSION})
        return problem(409, "Conflict", f"run 'tiny' is at version {VERSION}, not {asked}")

    backend.overrides[("GET", "/api/v1/runs/tiny")] = detail
    initial = {"run": "tiny", "v": kept, "dims": "1", "steps": "5"}
    data, _, _, banner, _, _ = pages["explore"].load_explore(client, "tiny", initial, None)
    assert data["version"] == kept  # the views load the linked version
    assert "show that version" in text_of(banner) and f"A newer version exists: {VERSION}" in text_of(banner)
    assert banner.children[-1].href.startswith(f"/explore?run=tiny&v={VERSION}&")
    _, _, _, banner, _, _ = pages["explore"].load_explore(client, "tiny", {**initial, "v": "0123456789ab"}, None)
    assert "did not keep the older one" in text_of(banner)  # a version never kept: the current one is shown


def test_an_unknown_run_is_a_readable_error(pages: dict[str, ModuleType], client: BackendClient) -> None:
    data, options, value, _, alerts, _ = pages["explore"].load_explore(client, "nope", {"run": "nope"}, None)
    assert data is None and value == "nope" and options[-1]["label"] == "nope (not found)"
    assert "Not Found" in text_of(alerts) and "no run or route" in text_of(alerts)
    assert "Traceback" not in text_of(alerts)


def test_with_the_backend_down_the_asked_run_is_not_called_missing(pages: dict[str, ModuleType],
                                                                   client: BackendClient, backend: FakeBackend) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    backend.overrides[("GET", "/api/v1/runs")] = down
    _, options, value, _, alerts, _ = pages["explore"].load_explore(client, "tiny", {"run": "tiny"}, None)
    assert value == "tiny" and options[-1]["label"] == "tiny (runs could not be listed)"
    assert "Backend unreachable" in text_of(alerts)


def test_refresh_retries_the_train_form_only_when_it_could_not_load(pages: dict[str, ModuleType],
                                                                   with_client: Dash) -> None:
    runs = pages["runs"]
    with triggered("runs-reload"):
        with pytest.raises(PreventUpdate):  # loaded: the user's choices in the form stay
            runs.catalogue("", 1, [{"name": "vae"}])
        families, options, *_, alert = runs.catalogue("", 1, None)  # it had failed: load it now
    assert families and options and alert is None


def test_without_factors_rows_keep_index_order(pages: dict[str, ModuleType], client: BackendClient,
                                               backend: FakeBackend) -> None:
    backend.overrides[("GET", "/api/v1/runs/tiny/factors")] = lambda r: problem(503, "Service Unavailable", "busy")
    data, *_, alerts, _ = pages["explore"].load_explore(client, "tiny", {}, None)
    assert data["mi"] is None and data["order"] == [0, 1, 2, 3] and "busy" in text_of(alerts)


def run_store(pages: dict[str, ModuleType]) -> dict[str, Any]:
    return pages["explore"].run_data("tiny", VERSION, 4, "digits", 1797, [0.005, 0.034, 0.039, 0.9], [3, 2, 1, 0])


def test_traversal_view_builds_the_backend_url(pages: dict[str, ModuleType]) -> None:
    out = pages["explore"].traversal_view(IMAGES, run_store(pages), [3, 1], 7, 2.0, Base("item", index=5))
    src, labels, caption, download, name, direct, note, style = out
    assert src == direct == (f"http://localhost:8000/api/v1/runs/tiny/traversal.png?dims=3,1&steps=7&span=2.0"
                             f"&base=item:5&v={VERSION}")
    assert [text_of(label) for label in labels] == ["z3 MI 0.90", "z1 MI 0.03"]
    assert "7 values from −2 to +2 (its posterior sd) around dataset item 5" in caption and note is None
    assert download.startswith("/download/traversal.png?run=tiny&v=") and "dims=3,1" in download
    assert name == "traversal-tiny-dims3-1.png" and style == {"maxWidth": "616px"}
    assert "heat strip" not in caption and "strip" not in caption  # images need no key
    vectors = {**run_store(pages), "images": False}
    strips = pages["explore"].traversal_view(IMAGES, vectors, [3, 1], 7, 2.0, Base())[2]
    assert "red above 0, blue below, full colour at ±3" in strips and "feature groups" in strips


@pytest.mark.parametrize(("dims", "base", "words"), [
    ([], Base(), "at least one"), (list(range(21)), Base(), "at most 20"),
    ([0], Base("item", index=5000), "expected a whole number in 0..1796 (digits has 1797 items)"),
])
def test_traversal_view_explains_what_is_wrong(pages: dict[str, ModuleType], dims: list[int], base: Base,
                                               words: str) -> None:
    src, *_, note, _ = pages["explore"].traversal_view(IMAGES, run_store(pages), dims, 9, 2.5, base)
    assert src is None and words in text_of(note)


def test_vector_rows_are_stretched_to_their_labels(pages: dict[str, ModuleType]) -> None:
    explore = pages["explore"]
    strips = explore.run_data("bc", VERSION, 6, "breast_cancer", 569, None, None, images=False)
    assert explore.grid_style(strips, 6, 9) == {"maxWidth": "792px", "minHeight": f"{6 * explore.STRIP_ROW_PX}px"}
    assert explore.grid_style(run_store(pages), 6, 9) == {"maxWidth": "792px"}  # images keep their aspect


def test_a_full_link_draws_its_image_with_the_page(pages: dict[str, ModuleType]) -> None:
    from frontend.state import ExploreState

    state = ExploreState(run="tiny", v=VERSION, dims=(3, 1), steps=5, base=Base(), unit="sd")
    first = pages["explore"].first_view(IMAGES, state)
    assert first["src"] == f"http://localhost:8000/api/v1/runs/tiny/traversal.png?dims=3,1&steps=5&span=2.5&base=zero&v={VERSION}"
    absolute = pages["explore"].first_view(IMAGES, ExploreState(run="tiny", v=VERSION, dims=(3,), base=Base(),
                                                                unit="abs"))
    assert "&span_mode=abs&" in absolute["src"]
    assert [text_of(label) for label in first["labels"]] == ["z3 ", "z1 "]
    typical = ExploreState(run="tiny", v=VERSION, dims=(3,))  # no base: the typical item, named by the run's details
    assert pages["explore"].first_view(IMAGES, typical)["src"] is None
    assert pages["explore"].first_view(IMAGES, ExploreState(run="tiny", dims=(3,)))["src"] is None  # no version
    assert pages["explore"].first_view(None, state)["src"] is None
    assert pages["explore"].traversal_view(IMAGES, None, [3], 5, 2.5, Base()) == (no_update,) * 8


def test_run_controls_restore_the_link(pages: dict[str, ModuleType], with_client: Dash) -> None:
    run = run_store(pages)
    options, dims, _play, play_dim, sliders = pages["explore"].run_controls(run, "?run=tiny&dims=2,0&z=1,2,3,-1",
                                                                          "zero", 0, 0)
    assert dims == [2, 0] and play_dim == "2" and [o["value"] for o in options] == [3, 2, 1, 0]
    assert [row.children[1].children.value for row in sliders] == [1.0, 2.0, 3.0, -1.0]
    _, dims, _, _, sliders = pages["explore"].run_controls(run, "?run=other&dims=9", "item", 3, 0)
    assert dims == [3, 2, 1]  # another run's link: the most informative dims, less z0 (0.005 nats: unused)
    dead = {**run, "mi": [0.0, 0.0, 0.0, 0.001]}
    assert pages["explore"].run_controls(dead, "?run=other", "zero", 0, 0)[1] == [3]  # one row stays
    assert [row.children[1].children.value for row in sliders] == [0.1, -0.2, 0.3, 4.0]  # base_z, not clamped


def test_the_url_query_follows_the_controls(pages: dict[str, ModuleType]) -> None:
    run = run_store(pages)
    query = pages["explore"].query(run, [3], 5, 1.0, "prior", 0, 7, [0.5, 0, 0, 0], True, "sd", None, None)
    assert query == f"?run=tiny&v={VERSION}&dims=3&steps=5&span=1&base=prior:7&z=0.5,0,0,0"
    assert pages["explore"].query(run, [3], 5, 1.0, "zero", 0, 7, [], True, "abs", None, None).endswith("&unit=abs")
    picked = pages["explore"].query(run, [3], 5, 1.0, "prior", 0, 7, [], True, "sd", "label=3", "label=4")
    assert "pick=label%3D3" in picked and "find=label%3D4" in picked
    with pytest.raises(PreventUpdate):  # playing: no URL write per frame
        pages["explore"].query(run, [3], 5, 1.0, "prior", 0, 7, [0.5, 0, 0, 0], False, "sd", None, None)
    with pytest.raises(PreventUpdate):  # a bad base (here -3) keeps the last good link
        pages["explore"].query(run, [3], 5, 1.0, "item", -3, 7, [0.5, 0, 0, 0], True, "sd", None, None)
    with pytest.raises(PreventUpdate):  # so does an item the dataset lacks
        pages["explore"].query(run, [3], 5, 1.0, "item", 99999, 7, [0.5, 0, 0, 0], True, "sd", None, None)


def test_playground_decodes_the_sliders(pages: dict[str, ModuleType], with_client: Dash) -> None:
    src = pages["explore"].decoded([0.5, -1, 0, 2], run_store(pages))
    assert src == f"http://localhost:8000/api/v1/runs/tiny/decode.png?z=0.5,-1,0,2&v={VERSION}"
    assert pages["explore"].decoded([0.5], run_store(pages)) is None


def test_gallery_and_picking_an_item(pages: dict[str, ModuleType], with_client: Dash) -> None:
    explore = pages["explore"]
    assert explore.gallery_indices(1790, 1797, 12)[:8] == [1790, 1791, 1792, 1793, 1794, 1795, 1796, 0]
    with triggered("explore-gallery-next"):
        thumbs, start = explore.gallery(run_store(pages), None, 1, 5, "item", 0)
    assert start == 12 and thumbs[0].id == {"type": "gallery-item", "index": 12}
    assert thumbs[0].children.src == "http://localhost:8000/api/v1/datasets/digits/items/12.png"
    with triggered({"type": "gallery-item", "index": 17}):
        assert explore.pick_item([0, 1, 0]) == ("item", 17)
    with pytest.raises(PreventUpdate):
        explore.pick_item([0, 0])


def test_the_playground_follows_the_base(pages: dict[str, ModuleType], with_client: Dash,
                                         backend: FakeBackend) -> None:
    z, low, high, marks = pages["explore"].follow_base("item", 3, 0, None, run_store(pages))
    assert [m[max(m)] for m in marks] == [f"{h:g}" for h in high]  # the scale under each slider follows its range
    assert z == [0.1, -0.2, 0.3, 4.0] and high == [3.0, 3.0, 3.0, 4.0] and low == [-v for v in high]  # not clamped
    assert backend.calls[-1][2]["base"] == "item:3"
    assert pages["explore"].follow_base("zero", 3, 0, None, run_store(pages))[0] == [0.0] * 4


def test_animation_steps_one_slider(pages: dict[str, ModuleType]) -> None:
    explore = pages["explore"]
    assert [explore.triangle(p, 4, 2.0) for p in range(9)] == [-2.0, -1.0, 0.0, 1.0, 2.0, 1.0, 0.0, -1.0, -2.0]
    values, phase = explore.animate(3, "1", 0, [0.0, 0.0, 0.0])
    assert values[0] is no_update and values[2] is no_update and values[1] == explore.triangle(1) and phase == 1
    assert explore.toggle_play(1, True) == (False, "■ Stop")
    with pytest.raises(PreventUpdate):
        explore.animate(3, None, 0, [0.0])


def test_a_broken_image_is_explained(pages: dict[str, ModuleType], client: BackendClient,
                                     backend: FakeBackend) -> None:
    backend.overrides[("GET", "/api/v1/runs/tiny/traversal.png")] = lambda r: problem(
        422, "Unprocessable Entity", "query.dims: dims [9] are out of range")
    src = "http://localhost:8000/api/v1/runs/tiny/traversal.png?dims=9"
    alert = pages["explore"].explain_image(client, IMAGES, {"src": src})
    assert "dims [9] are out of range" in text_of(alert)
    assert pages["explore"].explain_image(client, IMAGES, None) is None
    backend.overrides[("GET", "/api/v1/runs/tiny/traversal.png")] = lambda r: problem(
        409, "Conflict", "run 'tiny' is at version b, not a", current_version="b")
    assert pages["explore"].explain_image(client, IMAGES, {"src": src}, "b") is None  # an old link: the banner says
    changed = pages["explore"].explain_image(client, IMAGES, {"src": src}, "a")  # changed after the page loaded
    assert "changed while the page was open" in text_of(changed) and "version b" in text_of(changed)
    assert pages["explore"].explain_image(client, IMAGES, {"src": "http://other/x.png"}) is None


# -- Factors and Embedding -------------------------------------------------------------------------------

def test_factors_page_loads_the_curve_and_metrics(pages: dict[str, ModuleType], client: BackendClient) -> None:
    data, _, value, banner, alerts, _ = pages["factors"].load_factors(client, None, {}, None)
    assert value == "tiny" and banner is None and not alerts
    assert data["factors"]["order"] == [3, 2, 1, 0] and list(pages["factors"].topk(data).data[0].x) == [0, 1, 4]
    assert pages["factors"].topk(None).layout.annotations[0].text == "no run"
    metrics, watch_disabled = pages["factors"].metrics_view(client, data["run_id"])
    assert "mig_dlib" in text_of(metrics) and "sap_dlib" in text_of(metrics) and watch_disabled
    fig, note = pages["factors"].bars(data, "mi_monte_carlo")
    assert list(fig.data[0].x) == ["z3", "z0", "z2", "z1"]
    # z3: 0.90 nats (Gaussian) vs 0.05 (Monte Carlo) is named; z1's 0.034 vs 0 is within the noise
    assert "disagree for z3 (0.90 vs 0.05 nats)." in text_of(note) and "z1" not in text_of(note)
    agreeing = {**data["factors"], "dims": [{**d, "mi_monte_carlo": d["mi_gaussian"]} for d in FACTORS["dims"]]}
    assert pages["factors"].bars({**data, "factors": agreeing}, "mi_gaussian")[1] is None
    assert pages["factors"].query(data, "mi_monte_carlo") == f"?run=tiny&v={VERSION}&est=mi_monte_carlo"
    assert pages["factors"].prior_card(data) is None  # a standard normal prior: no subspace table


ISA_PRIOR = {"kind": "lp_nested", "p0": 2.1, "scale": 1.0, "learn_inner": True,
             "subspaces": [{"dims": [0, 1, 2], "p": 2.318, "p_init": 2.2}, {"dims": [3], "p": 2.2, "p_init": 2.2}]}


def test_factors_of_an_isa_run_group_dims_by_subspace(pages: dict[str, ModuleType]) -> None:
    data = {"run_id": "isa", "version": VERSION, "factors": {**FACTORS, "run_id": "isa", "prior": ISA_PRIOR}}
    fig, _ = pages["factors"].bars(data, "mi_gaussian")
    assert [t.name for t in fig.data[:2]] == ["S1 (z0–z2) p = 2.32", "S2 (z3) p = 2.20"]
    assert list(fig.data[0].x) == ["z2", "z1", "z0"] and list(fig.data[1].x) == ["z3"]
    table = pages["factors"].prior_card(data)
    text = text_of(table)
    assert "root exponent p0 = 2.1" in text and "exponent p_i (learned)" in text
    assert "S1 z0, z1, z2 2.318 2.2" in text and "S2 z3 2.200 2.2" in text


def test_factors_follows_a_metrics_job_until_it_is_done(pages: dict[str, ModuleType], client: BackendClient,
                                                       backend: FakeBackend) -> None:
    metrics, watch_disabled = pages["factors"].metrics_view(client, "tiny")
    assert "being computed" not in text_of(metrics) and watch_disabled
    client.evaluate("tiny")
    backend.jobs["ev1"].update(state="running", progress=0.35, message="DCI (gradient-boosted trees)")
    metrics, watch_disabled = pages["factors"].metrics_view(client, "tiny")
    assert "Its metrics are being computed (35% · running: DCI (gradient-boosted trees))" in text_of(metrics)
    assert "mig_dlib" in text_of(metrics) and not watch_disabled  # the last report stays below the note
    backend.jobs["ev1"].update(state="succeeded", progress=1.0)  # the next tick of the watch
    metrics, watch_disabled = pages["factors"].metrics_view(client, "tiny")
    assert "being computed" not in text_of(metrics) and "mig_dlib" in text_of(metrics) and watch_disabled
    assert pages["factors"].metrics_card(None, None) == (None, True)


def test_clicking_a_bar_opens_explore_on_that_dim(pages: dict[str, ModuleType]) -> None:
    click = {"points": [{"x": "z2", "y": 0.04, "customdata": 2, "curveNumber": 0}]}
    factors = pages["factors"]
    assert factors.dim_to_open("factors-bars", click, None, None) == 2
    assert factors.dim_to_open("factors-mi-heatmap", None, {"points": [{"x": 3, "y": 0}]}, None) == 3
    assert factors.dim_to_open("factors-mi-open", None, None, "1") == 1
    assert factors.dim_to_open("factors-bars", {"points": []}, None, "1") is None
    assert factors.dim_to_open("factors-mi-open", None, None, None) is None


def test_every_run_page_loads_its_run_with_the_one_loader(pages: dict[str, ModuleType], client: BackendClient) -> None:
    from frontend.components.pagekit import RunLoader

    assert all(isinstance(getattr(pages[name], f"load_{name}"), RunLoader)
               for name in ("explore", "factors", "embedding", "groups"))
    link = {"run": "tiny", "v": "0123456789ab"}
    data, options, value, banner, alerts, remembered = pages["embedding"].load_embedding(client, "tiny", link, None)
    assert (data["run_id"], data["version"], data["dataset"]) == ("tiny", VERSION, "digits")
    assert value == remembered == "tiny" and not alerts
    assert [o["value"] for o in options] == ["tiny"] and "0123456789ab" in str(banner)  # made for another version
    data, _, value, banner, alerts, remembered = pages["embedding"].load_embedding(client, "nope", {}, None)
    assert data is None and value == "nope" and banner is None and remembered is no_update and alerts


def test_embedding_points_and_click_through(pages: dict[str, ModuleType], client: BackendClient,
                                            backend: FakeBackend, with_client: Dash) -> None:
    run = {"run_id": "tiny", "version": VERSION, "dataset": "digits"}
    view = EmbeddingState(run="tiny", v=VERSION, method="mi", n=300)
    data, options, colour, alert, sprite, job, *_ = pages["embedding"].load_view(client, run, view, "factor:label")
    assert pages["embedding"].shown(data).index == [484, 553, 917]  # kept on the server: the browser has the key
    assert alert is None and colour == "factor:label" and job["display"] == "none"
    assert [o["value"] for o in options] == ["", "factor:label", "attribute:label", "attribute:thickness"]
    assert backend.calls[-1][2] == {"method": "mi", "n": "300", "v": VERSION}
    assert sprite.endswith("/api/v1/datasets/digits/sprites/{page}.png?n=300&seed=0&cell=32")
    item = pages["embedding"].clicked_item({"points": [{"customdata": 553}]})
    href = pages["embedding"].explore_link("tiny", VERSION, item)
    assert href.startswith("/explore?run=tiny&v=") and "base=item:553" in href
    backend.overrides[("GET", "/api/v1/runs/tiny/embedding")] = lambda r: problem(
        422, "Unprocessable Entity", "n is 4000, over the limit max_embedding_n = 3000")
    data, *_ = pages["embedding"].load_view(client, run, replace(view, n=4000), "")
    assert data is None and "max_embedding_n" in text_of(_[2])


def test_a_colour_the_run_lacks_is_reported(pages: dict[str, ModuleType], client: BackendClient,
                                            with_client: Dash) -> None:
    run = {"run_id": "tiny", "version": VERSION, "dataset": "digits"}
    data, _, colour, alert, *_ = pages["embedding"].load_view(client, run, EmbeddingState(run="tiny", n=300),
                                                              "factor:nosuch")
    assert data is not None and colour == ""
    assert "tiny's dataset has no factor nosuch; expected one of factor: label" in text_of(alert)


def test_a_bad_embedding_size_is_reported_and_the_plot_kept(pages: dict[str, ModuleType], backend: FakeBackend,
                                                            with_client: Dash) -> None:
    run = {"run_id": "tiny", "version": VERSION, "dataset": "digits"}
    calls = len(backend.calls)
    for bad in (None, 2.5, 10, 2_000_000):  # what the number box may hold: never silently the default 500
        data, options, colour, alert, *_ = pages["embedding"].points(run, "pca", 0, 1, "sample", bad, 0, "", 0)
        assert data is no_update and options is no_update and colour is no_update
        assert "expected a whole number in 50..1000000" in text_of(alert)
        with pytest.raises(PreventUpdate):
            pages["embedding"].query(run, "pca", 0, 1, "sample", bad, "", "", None, "", None, 0)
    assert len(backend.calls) == calls


# -- Groups ----------------------------------------------------------------------------------------------

@pytest.fixture
def grouped(backend: FakeBackend) -> FakeBackend:
    """The fake backend listing the oi_vae run "grouped" (newest first) beside the vae run "tiny"."""
    backend.runs.insert(0, dict(GROUPED_RUN))
    return backend


def test_groups_offers_only_runs_with_a_heatmap(pages: dict[str, ModuleType], client: BackendClient,
                                               grouped: FakeBackend) -> None:
    data, options, value, banner, alerts, remembered = pages["groups"].load_groups(client, None, {}, "tiny")
    assert value == remembered == "grouped" and [o["value"] for o in options] == ["grouped"]
    assert data["groups"] == ["head", "arm", "leg"] and banner is None and data["mi"] == [0.005, 0.034, 0.039, 0.9]
    assert text_of(alerts) == ("z0 carries no information about the data (MI < 0.01 nats): the encoder ignores it, "
                               "so its links only shape what the prior decodes to.")
    figure = pages["groups"].heatmap(data, pages["groups"].NO_SELECTION)[0]
    assert figure.layout.xaxis.ticktext[:2] == ("<span style='color:#8c8c8c'>z0<br>unused</span>", "z1<br>MI 0.03")


def test_a_run_without_groups_is_a_readable_message(pages: dict[str, ModuleType], client: BackendClient,
                                                    grouped: FakeBackend) -> None:
    data, options, value, _, alerts, _ = pages["groups"].load_groups(client, "tiny", {"run": "tiny"}, None)
    assert data is None and value == "tiny" and options[-1] == {"label": "tiny (no group heatmap)", "value": "tiny",
                                                                "disabled": True}
    assert "Run tiny (vae on digits) has no output groups, so there is no group heatmap (expected a run of a " \
           "family with group structure (oi_vae)). Choose another run above." in text_of(alerts)
    assert all(a.color == "info" for a in alerts)


def test_without_grouped_runs_the_page_says_which_family_to_train(pages: dict[str, ModuleType],
                                                                   client: BackendClient, backend: FakeBackend) -> None:
    data, options, *_, alerts, _ = pages["groups"].load_groups(client, None, {}, None)
    assert data is None and options == [] and "No run offers a group heatmap yet" in text_of(alerts)
    backend.overrides[("GET", "/api/v1/families")] = lambda r: httpx.Response(200, json={"families": [
        {"name": "vae", "capabilities": ["traversal"]}, {"name": "oi_vae", "capabilities": ["group_heatmap"]}]})
    *_, alerts, _ = pages["groups"].load_groups(client, None, {}, None)
    assert "train one of family oi_vae on the Runs page" in text_of(alerts)


def test_a_click_selects_its_cell_and_a_link_restores_it(pages: dict[str, ModuleType]) -> None:
    groups = pages["groups"]
    with triggered("groups-heatmap", "clickData"):
        assert groups.select(HEATMAP, {"points": [{"x": 2, "y": 1, "z": 0.0}]}, [], "") == {"dim": 2, "group": "arm"}
        with pytest.raises(PreventUpdate):
            groups.select(HEATMAP, {"points": [{"x": 2, "y": 7}]}, [], "")
    with triggered("groups-run", "data"):
        assert groups.select(HEATMAP, None, [], "?run=grouped&dim=0&group=leg") == {"dim": 0, "group": "leg"}
        assert groups.select(HEATMAP, None, [], "?run=grouped&dim=0&group=toe") == {"dim": 0, "group": None}
        assert groups.select(HEATMAP, None, [], "?run=other&dim=0&group=leg") == groups.NO_SELECTION
        assert groups.select(HEATMAP, None, [], "?run=grouped&dim=9") == groups.NO_SELECTION
        assert groups.select(None, None, [], "?run=grouped&dim=0") == groups.NO_SELECTION
    with triggered({"type": "groups-pick", "dim": 0}):  # the keyboard's path: a dim's button in the top-groups table
        assert groups.select(HEATMAP, None, [1], "") == {"dim": 0, "group": "head"}
    with triggered({"type": "groups-pick", "dim": 3}):  # z3: every link pruned, no group to outline
        assert groups.select(HEATMAP, None, [1], "") == {"dim": 3, "group": None}


@pytest.mark.parametrize(("query", "words"), [
    ({"run": "grouped", "dim": "9"}, "dim 9 (it has dims 0..3)"),
    ({"run": "grouped", "dim": "0", "group": "toe"}, "group 'toe' (it has head, arm, leg)"),
    ({"run": "grouped", "group": "leg"}, "group 'leg' (no dim is selected with it)"),
])
def test_a_linked_cell_the_run_lacks_is_reported(pages: dict[str, ModuleType], client: BackendClient,
                                                 query: dict[str, str], words: str) -> None:
    *_, alerts, _ = pages["groups"].load_groups(client, "grouped", query, None)
    assert words in text_of(alerts) and "cannot be selected in grouped" in text_of(alerts)
    *_, alerts, _ = pages["groups"].load_groups(client, "grouped", {"run": "grouped", "dim": "0", "group": "leg"}, None)
    assert "cannot be selected" not in text_of(alerts)


def test_the_heatmap_and_table_show_the_selection(pages: dict[str, ModuleType]) -> None:
    fig, table = pages["groups"].heatmap(HEATMAP, {"dim": 1, "group": "arm"})
    assert len(fig.data) == 2 and len(fig.layout.shapes) == 2
    assert "table-active" in [row.className for row in table.children.children[1].children][1]
    fig, table = pages["groups"].heatmap(None, pages["groups"].NO_SELECTION)
    assert table is None and fig.layout.annotations[0].text == "no group heatmap"


def test_a_selected_dim_is_traversed_group_by_group(pages: dict[str, ModuleType], client: BackendClient,
                                                    backend: FakeBackend) -> None:
    view = pages["groups"].traversal_view
    fig, caption, link, alert = view(client, HEATMAP, {"dim": 0, "group": "leg"}, 3, 2.5)
    assert alert is None and len(fig.data[0].z) == 6 and "▶ leg" in fig.layout.yaxis.ticktext[2]
    assert "6 output features in 3 groups" in caption and "clicked group leg" in caption
    assert link.href == f"/explore?run=grouped&v={VERSION}&dims=0&steps=3&span=2.5&base=typical&unit=prior"
    assert backend.calls[-1][2] == {"dims": "0", "steps": "3", "span": "2.5", "base": "zero", "outputs": "true",
                                    "v": VERSION}
    fig, caption, link, alert = view(client, HEATMAP, pages["groups"].NO_SELECTION, 3, 2.5)
    assert "click a cell" in fig.layout.annotations[0].text and link is None and alert is None
    backend.overrides[("GET", "/api/v1/runs/grouped/traversal")] = lambda r: problem(503, "Service Unavailable",
                                                                                    "the inference queue is full")
    fig, _, link, alert = view(client, HEATMAP, {"dim": 1, "group": None}, 3, 2.5)
    assert "Could not traverse z1" in text_of(alert) and "queue is full" in text_of(alert) and "z1" in link.children


def test_the_groups_url_follows_the_selection(pages: dict[str, ModuleType]) -> None:
    query = pages["groups"].query(HEATMAP, {"dim": 0, "group": "leg"}, 5, 1.0)
    assert query == f"?run=grouped&v={VERSION}&dim=0&group=leg&steps=5&span=1"
    unselected = pages["groups"].query(HEATMAP, pages["groups"].NO_SELECTION, 9, 2.5)
    assert unselected == f"?run=grouped&v={VERSION}&steps=9&span=2.5"
    with pytest.raises(PreventUpdate):
        pages["groups"].query(None, {"dim": 0, "group": None}, 5, 1.0)


# -- Runs ------------------------------------------------------------------------------------------------

def test_runs_list_and_card(pages: dict[str, ModuleType], client: BackendClient) -> None:
    table, alert, watch_disabled, _ = pages["runs"].runs_table(client, "tiny")
    assert alert is None and "31.15" in text_of(table) and "0.12" in text_of(table) and watch_disabled
    card = pages["runs"].run_card(client, "tiny")
    assert "vae on digits" in text_of(card) and "mig_dlib" in text_of(card)
    assert "Training batch_size 64 steps 100 lr 0.001 seed 0" in text_of(card)
    assert "Not Found" in text_of(pages["runs"].run_card(client, "nope"))


def test_computing_metrics_shows_on_the_card_and_the_list_watches_it(pages: dict[str, ModuleType],
                                                                      client: BackendClient, with_client: Dash,
                                                                      backend: FakeBackend) -> None:
    note = pages["runs"].run_action(client, "tiny", "evaluate")
    assert "Computing the metrics of tiny (job ev1): its progress shows on the run's card" in text_of(note)
    assert pages["runs"].runs_table(client, "tiny")[1] is None  # queued, and a worker runs
    backend.workers = 0
    assert "No job worker is running: queued jobs wait" in text_of(pages["runs"].runs_table(client, "tiny")[1])
    backend.workers = 1
    backend.jobs["ev1"].update(state="running", progress=0.35, message="DCI (gradient-boosted trees)")
    backend.workers = 0  # its worker died: the job's progress is frozen
    assert "a job shown as running was left by a worker" in text_of(pages["runs"].runs_table(client, "tiny")[1])
    backend.workers = 1
    *_, watch_disabled, store = pages["runs"].runs_table(client, "tiny")
    assert not watch_disabled and set(store["jobs"]) == {"tiny"}  # the watch is on; the card reads the store
    card = pages["runs"].card(store, "tiny")
    assert "Computing metrics · running: DCI (gradient-boosted trees)" in text_of(card)
    assert "Computing metrics…" in text_of(card) and "disabled=True" in str(card)
    backend.jobs["ev1"].update(state="succeeded", progress=1.0)
    *_, watch_disabled, store = pages["runs"].runs_table(client, "tiny")
    assert watch_disabled and store["jobs"] == {}
    assert "Computing metrics ·" not in text_of(pages["runs"].run_card(client, "tiny"))


def test_a_queued_job_says_how_many_jobs_come_first() -> None:
    from frontend.api_client import Job
    from frontend.components.pagekit import progress_view

    assert progress_view(Job(job_id="a", state="queued", jobs_ahead=2))[2] == "queued — 2 jobs ahead"
    assert progress_view(Job(job_id="a", state="queued", message="queued", jobs_ahead=0))[2] == (
        "queued — next in line")
    assert progress_view(Job(job_id="a", state="queued", jobs_ahead=1, estimated_start_s=170))[2] == (
        "queued — 1 job ahead, starts in about 3 min")
    assert progress_view(Job(job_id="a", state="queued"))[2] == "queued"  # nothing known about the queue
    assert progress_view(Job(job_id="a", state="running", progress=1.3))[:2] == (100, "100%")  # clamped


def test_active_jobs_keep_the_newest_unfinished_job_of_each_run_and_kind(client: BackendClient,
                                                                        backend: FakeBackend) -> None:
    from frontend.components.pagekit import active_jobs

    backend.jobs["old"] = {**backend.job("old", "evaluate", "tiny"), "state": "running", "cancel_requested": True}
    backend.jobs["new"] = backend.job("new", "evaluate", "tiny")  # queued after the first was told to stop
    backend.jobs["done"] = {**backend.job("done", "evaluate", "other"), "state": "succeeded"}
    backend.jobs["t"] = backend.job("t", "train", "other")
    found = {kind: {run: job.job_id for run, job in jobs.items()} for kind, jobs in active_jobs(client).items()}
    assert found == {"evaluate": {"tiny": "new"}, "train": {"other": "t"}}


def test_a_training_run_shows_its_jobs_progress_and_the_list_watches_it(
        pages: dict[str, ModuleType], client: BackendClient, backend: FakeBackend) -> None:
    backend.runs.append({**RUN, "run_id": "new-run", "version": None, "status": "training"})
    backend.create({"config": {}})  # its job, queued
    table, _alert, watch_disabled, _ = pages["runs"].runs_table(client, None)
    assert "queued" in text_of(table) and not watch_disabled
    backend.jobs["ab12"].update(state="running", progress=0.35, message="step 35/100 loss 12.3")
    calls = len(backend.calls)
    table, *_ = pages["runs"].runs_table(client, None)
    assert "training 35% · step 35/100 loss 12.3" in text_of(table)
    job_reads = [c for c in backend.calls[calls:] if c[1] == "/api/v1/jobs"]
    assert [c[2] for c in job_reads] == [{"active": "true"}]  # one read of the unfinished jobs per refresh
    backend.jobs["ab12"].update(state="succeeded", progress=1.0)
    assert "training…" in text_of(pages["runs"].runs_table(client, None)[0])  # no active job known


def test_the_form_comes_from_the_schema(pages: dict[str, ModuleType], client: BackendClient) -> None:
    families, fam_options, family, _ds_options, dataset, alert = pages["runs"].load_catalogue(
        client, pages["runs"].RunsState())
    assert family == "vae" and dataset == "digits" and alert is None and fam_options[0]["value"] == "vae"
    fields, summary, shown = pages["runs"].config_fields("vae", families)
    assert len(fields) == 4 and summary == "beta-VAE" and shown == "vae"
    *_, family, _, dataset, alert = pages["runs"].load_catalogue(client, pages["runs"].RunsState(family="nosuch"))
    assert family == "vae" and "The link's family 'nosuch' (expected one of vae" in text_of(alert)
    options = [{"label": "vae", "value": "vae"}, {"label": "oi_vae", "value": "oi_vae"}]
    sets = [{"label": "bars", "value": "bars"}, {"label": "digits", "value": "digits"}]
    view = ("", None, "newest")  # the list's search, status filter and sort, as the page opens
    assert pages["runs"].query("tiny", "vae", "digits", *view, options, sets) == "?run=tiny"  # the form's defaults
    assert pages["runs"].query(None, "oi_vae", "digits", *view, options, sets) == "?family=oi_vae"  # the user's
    assert pages["runs"].query(None, "vae", "digits", "tc", "ready", "mig", options, sets) == (
        "?q=tc&status=ready&sort=mig")


def test_switching_family_keeps_the_fields_the_user_changed(pages: dict[str, ModuleType]) -> None:
    families = {"vae": {"summary": "vae", "defaults": {"latent_dim": 10, "beta": 1.0}, "schema": {"properties": {
                    "latent_dim": {"type": "integer"}, "beta": {"type": "number"}}}},
                "oi": {"summary": "oi", "defaults": {"latent_dim": 10, "beta": 2.0, "lam": 1.0}, "schema": {
                    "properties": {"latent_dim": {"type": "integer"}, "beta": {"type": "number"},
                                   "lam": {"type": "number"}}}}}
    ids = [{"type": "config-field", "field": "latent_dim"}, {"type": "config-field", "field": "beta"}]
    fields, _, shown = pages["runs"].config_fields("oi", families, "vae", ids, [4, 1.0])
    values = {f.children.children[1].id["field"]: f.children.children[1].value for f in fields}
    assert values == {"latent_dim": 4, "beta": 2.0, "lam": 1.0} and shown == "oi"  # beta untouched: oi's default


def test_training_starts_and_a_422_shows_its_detail(pages: dict[str, ModuleType], client: BackendClient) -> None:
    start = pages["runs"].start_training
    job, _note, paused, refresh, style, _, fields = start(client, "vae", "digits", {"latent_dim": 2}, {"steps": 50},
                                                          {}, 0)
    assert job == {"job_id": "ab12", "run_id": "new-run"} and not paused and refresh == 1 and fields == {}
    assert style == {"display": "block"}
    job, alert, paused, *_, fields = start(client, "vae", "digits", {"latent_dim": 0}, {}, {}, 0)
    assert job is None and paused and "latent_dim must be in 1..512" in text_of(alert)
    assert fields == {("config", "latent_dim"): "VAEConfig: latent_dim must be in 1..512, got 0"}  # beside it
    job, alert, *_ = start(client, "vae", "digits", {}, {}, {("config", "hidden"): "expected comma-separated"}, 0)
    assert job is None and "fix the field marked in red (hidden)" in text_of(alert)
    job, *_ = start(client, "vae", "digits", {}, {}, {}, 0, "my-run")
    assert job == {"job_id": "ab12", "run_id": "my-run"}
    job, alert, *_, fields = start(client, "vae", "digits", {}, {}, {}, 0, "tiny")
    assert job is None and "run 'tiny' already exists" in text_of(alert) and ("run_id", "run_id") in fields


def test_polling_shows_progress_until_the_run_is_listed(pages: dict[str, ModuleType], client: BackendClient,
                                                        backend: FakeBackend) -> None:
    poll = pages["runs"].poll_job
    client.create_run("vae", "digits", {}, {})
    job = {"job_id": "ab12", "run_id": "new-run"}
    backend.jobs["ab12"].update(state="running", progress=0.42, message="step 42/100 loss 31")
    percent, label, status, alert, paused, _, animated = poll(client, job, 1)
    assert (percent, label, paused, animated) == (42, "42%", False, True) and "step 42/100" in status
    backend.jobs["ab12"].update(state="succeeded", progress=1.0, result={"version": "abc"})
    assert poll(client, job, 1)[4] is False  # succeeded but not listed yet: keep polling
    backend.runs.insert(0, {**backend.runs[0], "run_id": "new-run"})
    percent, _, _, alert, paused, refresh, _ = poll(client, job, 1)
    assert percent == 100 and paused and refresh == 2 and "new-run is trained" in text_of(alert)
    backend.jobs["ab12"].update(state="failed", error="ConfigError: boom")
    _, _, _, alert, paused, _, _ = poll(client, job, 1)
    assert paused and "failed: ConfigError: boom" in text_of(alert)
    backend.jobs["ab12"].update(state="cancelled", error=None, message="cancelled")
    assert text_of(poll(client, job, 1)[3]) == "Training cancelled."  # not "cancelled: cancelled"


# -- the app ---------------------------------------------------------------------------------------------

def test_every_page_renders_from_any_query(pages: dict[str, ModuleType]) -> None:
    for module in pages.values():
        assert module.layout() is not None
        assert module.layout(run="../../x", dims="a,b", steps="-1", v="zz", est="x", n="y", color="<b>") is not None


def test_a_link_part_the_page_could_not_use_is_named_on_the_page(pages: dict[str, ModuleType]) -> None:
    for name, module in pages.items():
        assert f"{name}-link-note" in str(module.layout()) and "could not be used" not in text_of(module.layout())
        note = text_of(module.layout(run="Demo-VAE-Digits", steps="99"))
        assert "run=Demo-VAE-Digits" in note and "lowercase" in note, name
    assert "steps=99" in text_of(pages["explore"].layout(steps="99"))


def test_the_download_route_proxies_the_png(app: Dash) -> None:
    http = app.server.test_client()
    response = http.get("/download/traversal.png?run=tiny&v=abc&dims=1,2&steps=5")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Disposition"] == 'attachment; filename="traversal-tiny-dims1-2.png"'
    assert http.get("/download/traversal.png?dims=1").status_code == 400
    missing = http.get("/download/traversal.png?run=nope&dims=1")
    assert missing.status_code == 404 and b"Not Found" in missing.data


def test_the_server_serves_the_shell(app: Dash) -> None:
    http = app.server.test_client()
    page = http.get("/explore?run=tiny")
    assert page.status_code == 200 and b"factorscope" in page.data
    layout = http.get("/_dash-layout").get_json()
    assert "current-run" in str(layout)


def test_an_item_index_must_be_below_the_dataset_size(pages: dict[str, ModuleType]) -> None:
    run = {"n_items": 10, "dataset": "tiny-set"}
    assert pages["explore"].base_problem(run, Base("item", index=9)) is None
    assert "expected a whole number in 0..9 (tiny-set has 10 items)" in pages["explore"].base_problem(
        run, Base("item", index=10))


def test_pages_open_the_newest_ready_run_unless_one_is_asked_for() -> None:
    from frontend.api_client import RunSummary
    from frontend.components.controls import pick_run

    runs = [RunSummary.model_validate({**RUN, "run_id": r, "status": s})  # newest first, as GET /runs lists them
            for r, s in (("c", "training"), ("b", "ready"), ("a", "ready"))]
    assert pick_run(runs) == "b" and pick_run(runs, "gone", None) == "b" and pick_run(runs, "a") == "a"
    assert pick_run(runs, "c") == "b"  # still training: nothing to show yet


def test_a_training_run_offers_cancel_not_metrics_and_a_deleted_run_is_deselected(
        pages: dict[str, ModuleType], client: BackendClient, with_client: Dash, backend: FakeBackend) -> None:
    from frontend.api_client import RunSummary

    training = RunSummary.model_validate({**RUN, "status": "training", "job_id": "ab12", "version": None})
    ids = [b.id for b in pages["runs"].run_actions(training)]
    assert ids == ["runs-cancel", "runs-delete"]
    assert [b.id for b in pages["runs"].run_actions(RunSummary.model_validate(RUN))] == ["runs-evaluate",
                                                                                          "runs-delete"]
    for status, job in (("cancelled", "ab12"), ("failed", "ab12"), ("training", None)):  # no job left to train it
        stopped = RunSummary.model_validate({**RUN, "status": status, "job_id": job, "version": None})
        assert [b.id for b in pages["runs"].run_actions(stopped)] == ["runs-resume", "runs-delete"]
    backend.overrides[("POST", "/api/v1/runs/new-run/train")] = lambda request: httpx.Response(
        202, json={"job_id": "cd34", "run_id": "new-run", "job_url": "/api/v1/jobs/cd34"})
    resumed = pages["runs"].run_action(client, "new-run", "resume")
    assert "Training of new-run is queued again (job cd34); it continues from its last checkpoint" in text_of(resumed)
    backend.overrides[("DELETE", "/api/v1/runs/tiny")] = lambda request: httpx.Response(204)
    note, selected, refresh = pages["runs"].delete(1, "tiny", 3)
    assert "Run tiny was deleted." in text_of(note) and selected is None and refresh == 4  # the card goes
