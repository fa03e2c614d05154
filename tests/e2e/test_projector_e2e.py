"""The Embedding page as a projector (#20 item 5), in Chromium on the real stack: hovering a point shows its sprite
cell, clicking it lists its neighbours, a box selection dragged with the mouse becomes a set whose latent means are
charted, a lasso becomes a set sent to labelling, t-SNE is computed by the worker and drawn, a search rings the
matches, and the keyboard alone reaches a point's neighbours (and Back undoes the choice). The points stay on the Dash
server: a colour change, a search, a click or a box selection uploads no points and is answered by a patch, not the
figure again."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from e2e_stack import RUN, Stack

pytestmark = pytest.mark.browser

GRAPH = "#embedding-graph .js-plotly-plot"
PAGE = f"/embedding?run={RUN}&n=200&color=factor:label"
SMALL_UPLOAD = 20_000  # bytes: a callback's request with no points in it (1,797 points' coordinates alone: ~30 kB)


def drawn(page: Any, ready: str = "true", n: int = 200, timeout: float = 60_000) -> None:
    """Wait until the scatter holds its ``n`` points (over the label traces) and ``ready`` (JS over ``gd``) holds."""
    page.wait_for_function(f"""() => {{ const gd = document.querySelector('{GRAPH}');
        return gd && gd.data && gd.data.filter(t => t.hoverinfo !== 'skip')
                                       .reduce((n, t) => n + t.x.length, 0) === {n} && ({ready}); }}""",
                           timeout=timeout)


def point_on_screen(page: Any, trace: int = 0, i: int = 0) -> dict[str, Any]:
    """Where point ``i`` of trace ``trace`` is drawn (page pixels), with its item."""
    return page.evaluate("""([t, i]) => {
        const gd = document.querySelector('#embedding-graph .js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return {x: box.left + xa._offset + xa.l2p(gd.data[t].x[i]), y: box.top + ya._offset + ya.l2p(gd.data[t].y[i]),
                item: gd.data[t].customdata[i]};
    }""", [trace, i])


def wait_url(page: Any, part: str) -> str:
    page.wait_for_function("(p) => window.location.href.includes(p)", arg=part)
    return str(page.evaluate("() => window.location.href"))


def test_hover_shows_the_sprite_and_a_click_lists_the_neighbours(stack: Stack, page: Any, shot: Any) -> None:
    page.goto(stack.ui_url + PAGE)
    drawn(page)
    point = point_on_screen(page)
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function("() => getComputedStyle(document.querySelector('#embedding-hover')).display === 'block'")
    card = page.evaluate("""() => ({image: document.querySelector('#embedding-hover-img').style.backgroundImage,
                                    text: document.querySelector('#embedding-hover-text').textContent})""")
    assert "/api/v1/datasets/digits/sprites/0.png?n=200&seed=0&cell=32" in card["image"]
    assert card["text"].startswith(f"item {point['item']}") and "label" in card["text"]
    sheet = page.evaluate("""(url) => fetch(url).then(r => r.blob()).then(b => createImageBitmap(b))
                                     .then(i => [i.width, i.height])""",
                          card["image"].split('"')[1])
    assert sheet == [32 * 32, 7 * 32]  # 200 thumbnails: 32 to a row, 7 rows
    page.mouse.click(point["x"], point["y"])
    wait_url(page, f"item={point['item']}")
    page.wait_for_function("() => document.querySelectorAll('#embedding-point .fs-nb-table tbody tr').length === 10")
    cells = page.locator("#embedding-point .fs-nb-table tbody td:nth-child(3)")
    distances = [float(d) for d in cells.all_inner_texts()]
    assert distances == sorted(distances) and distances[0] > 0
    shot(page, "embedding")
    page.locator("#embedding-explore-link").click()
    wait_url(page, f"/explore?run={RUN}")
    assert f"base=item:{point['item']}" in wait_url(page, "base=item:")


def drag_through(page: Any, path: list[tuple[float, float]]) -> None:
    """Press the mouse at path[0] and move it through the rest, as fractions (x, y) of the plot area, then release."""
    box = page.evaluate("""() => { const gd = document.querySelector('#embedding-graph .js-plotly-plot');
        const r = gd.getBoundingClientRect(), l = gd._fullLayout;
        return {x: r.left + l.margin.l, y: r.top + l.margin.t, w: l.width - l.margin.l - l.margin.r,
                h: l.height - l.margin.t - l.margin.b}; }""")
    (fx, fy), rest = path[0], path[1:]
    page.mouse.move(box["x"] + fx * box["w"], box["y"] + fy * box["h"])
    page.mouse.down()
    for fx, fy in rest:
        page.mouse.move(box["x"] + fx * box["w"], box["y"] + fy * box["h"], steps=8)
    page.mouse.up()


def drag_box(page: Any) -> None:
    """Drag a box over the middle of the plot with the box-select tool."""
    page.locator("#embedding-graph .modebar-btn[data-val='select']").first.click()
    drag_through(page, [(0.2, 0.2), (0.6, 0.8)])


def selected_size(page: Any) -> int:
    """The points the page says are selected, once it says so."""
    page.wait_for_function("() => /^[0-9,]+ points selected/.test(document.querySelector('#embedding-set-size')"
                           ".textContent)")
    return int(page.locator("#embedding-set-size").inner_text().split()[0].replace(",", ""))


def test_a_box_dragged_with_the_mouse_becomes_a_set_with_its_latent_means(stack: Stack, page: Any, shot: Any) -> None:
    page.goto(stack.ui_url + PAGE)
    drawn(page)
    drag_box(page)
    wait_url(page, "sel=box:")
    size = selected_size(page)
    assert 0 < size < 200
    drawn(page, f"gd.data.some(t => t.name === 'selected ({size})' && t.x.length === {size})")  # ringed
    page.locator("#embedding-compare").click()
    chart = "document.querySelector('#embedding-means-graph .js-plotly-plot')"
    page.wait_for_function(f"() => {{ const gd = {chart}; return gd && gd.data && gd.data.length === 2; }}")
    means = page.evaluate(f"() => {chart}.data.map(t => t.y.length)")
    assert means == [4, 4]  # the tiny run's K = 4 dims, set and sample
    wait_url(page, "set=")
    shot(page, "embedding-selection")
    page.locator("#embedding-use-base").click()
    url = wait_url(page, "/explore?")
    assert "base=item:" in url and "z=" in url


def test_a_lasso_drawn_with_the_mouse_is_saved_as_a_set_and_sent_to_labelling(stack: Stack, page: Any) -> None:
    """The page's default tool is the lasso: a pentagon drawn over the plot selects the points inside it, the link
    keeps its outline, and "Save for labelling" stores exactly those items and links to the Labelling page."""
    page.goto(stack.ui_url + PAGE)
    drawn(page)
    drag_through(page, [(0.15, 0.2), (0.8, 0.15), (0.85, 0.7), (0.5, 0.9), (0.2, 0.75), (0.15, 0.2)])
    wait_url(page, "sel=lasso:")
    size = selected_size(page)
    assert 0 < size < 200
    drawn(page, f"gd.data.some(t => t.name === 'selected ({size})' && t.x.length === {size})")
    page.locator("#embedding-set-name").fill("lasso from e2e")
    page.locator("#embedding-save").click()
    link = page.locator("#embedding-set-alert a", has_text="Label its items")
    link.wait_for()
    href = link.get_attribute("href")
    match = re.fullmatch(rf"/label\?run={RUN}&item_set=([^&]+)", href or "")
    assert match, href
    saved = httpx.get(f"{stack.api_url}/api/v1/item-sets/{match.group(1)}", timeout=30).json()
    assert saved["name"] == "lasso from e2e" and saved["n_items"] == size == len(set(saved["items"]))


def test_tsne_is_computed_by_the_worker_and_drawn(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.ui_url}/embedding?run={RUN}&n=50&method=tsne")
    page.locator("#embedding-compute").wait_for(state="visible")
    # every text the status line shows is recorded: on an idle machine the job can go from queued to done between
    # two polls, so "running" may never be shown; the line must still follow the job to its end
    page.evaluate("""() => { const el = document.getElementById('embedding-job-status'); window.statuses = [];
        new MutationObserver(() => window.statuses.push(el.textContent)).observe(el, {childList: true,
                                                                      characterData: true, subtree: true}); }""")
    page.locator("#embedding-compute").click()
    # t-SNE of 50 points took minutes with eight engineers' work on two cores: the wait is generous
    drawn(page, "gd.layout.title.text.startsWith('Embedding (TSNE) of 50')", n=50, timeout=400_000)
    assert page.locator("#embedding-job").is_hidden()
    statuses = page.evaluate("() => window.statuses")
    assert "queued" in statuses and "computed: drawing it" in statuses[statuses.index("queued"):], statuses


def test_a_search_rings_the_matching_points(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.ui_url}{PAGE}&q=label%3D3")
    drawn(page, "gd.data.some(t => t.name.startsWith('search matches'))")
    counts = page.evaluate(f"""() => {{ const d = document.querySelector('{GRAPH}').data;
        return [d[0].marker.color.filter(c => c === 3).length, d.find(t => t.name.startsWith('search')).x.length];
    }}""")
    assert counts[0] == counts[1] > 0
    note = page.locator("#embedding-search-note").inner_text()
    assert f"{counts[0]} of the 200 points shown are ringed" in note and "items of digits match label=3" in note


def test_the_keyboard_alone_reaches_a_points_neighbours(stack: Stack, page: Any) -> None:
    page.goto(stack.ui_url + PAGE)
    drawn(page)
    first = page.locator("#embedding-point-list button").first
    first.wait_for()
    item = first.inner_text().split()[1]
    page.wait_for_function("() => Date.now() > factorscopeNav.settleUntil")  # the page has settled: a change is history
    page.locator("#embedding-search").focus()
    for _ in range(40):  # Tab from the search box to the list's first point
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('#embedding-point-list') !== null"):
            break
    assert page.evaluate("() => document.activeElement.textContent").startswith(f"item {item}")
    page.keyboard.press("Enter")
    page.wait_for_function("(i) => document.querySelector('#embedding-announce').textContent.startsWith('Item ' + i)",
                           arg=item)
    page.wait_for_function("() => document.querySelectorAll('#embedding-point .fs-nb-table tbody tr').length === 10")
    wait_url(page, f"item={item}")
    page.go_back()  # Back undoes the view change: no point chosen
    page.wait_for_function("() => !window.location.search.includes('item=')")
    page.locator("#embedding-point").filter(has_text="Click a point").wait_for()


# in the page, before Dash loads: each callback's request body size and what its answer did to the figure ("whole"
# with its points, a "patch", or nothing)
RECORD_CALLBACKS = """(() => { const calls = window.__fsCalls = [], fetch = window.fetch;
    window.fetch = function (input, init) {
        const answer = fetch.apply(this, arguments), url = typeof input === 'string' ? input : input.url;
        if (url.includes('/_dash-update-component')) {
            const sent = init && typeof init.body === 'string' ? init.body.length : 0;
            answer.then(r => r.clone().text()).then(text => {  // empty: 204, the callback prevented its update
                const f = text ? ((JSON.parse(text).response || {})['embedding-graph'] || {}).figure : null;
                calls.push({sent: sent, figure: !f ? null : f.__dash_patch_update ? 'patch'
                                                 : 'whole ' + (f.data.length ? f.data[0].x.length : 0)});
            });
        }
        return answer;
    }; })();"""


def test_a_colour_a_search_a_click_and_a_box_upload_no_points(stack: Stack, page: Any) -> None:
    """Every point of the digits run drawn once; then each interaction's callbacks send less than SMALL_UPLOAD and
    the figure comes back as patches (dash.Patch), never whole."""
    page.add_init_script(RECORD_CALLBACKS)
    page.goto(f"{stack.ui_url}/embedding?run={RUN}&n=1797&color=factor:label")
    drawn(page, n=1797)
    page.wait_for_load_state("networkidle")
    loaded = page.evaluate("() => window.__fsCalls.length")
    page.locator("#embedding-color").click()
    page.get_by_role("option", name="attribute: thickness").click()
    drawn(page, "gd.data[0].marker.showscale === true", n=1797)  # a colour scale now
    point = point_on_screen(page, 0, 100)
    page.mouse.click(point["x"], point["y"])
    drawn(page, f"gd.data[3].name === 'item {point['item']}'", n=1797)
    page.locator("#embedding-search").fill("label=3")
    page.locator("#embedding-search").press("Enter")
    drawn(page, "gd.data[2].name.startsWith('search matches') && gd.data[2].x.length > 0", n=1797)
    drag_box(page)
    drawn(page, "gd.data[1].name.startsWith('selected') && gd.data[1].x.length > 0", n=1797)
    page.wait_for_load_state("networkidle")
    calls = page.evaluate("() => window.__fsCalls")
    first, after = calls[:loaded], calls[loaded:]
    assert "whole 1797" in [c["figure"] for c in first], first  # the points came down once
    figures = [c["figure"] for c in after if c["figure"]]
    assert len(figures) >= 4 and set(figures) == {"patch"}, after
    assert max(c["sent"] for c in after) < SMALL_UPLOAD, after
