"""Usable by everyone (#20 item 9), in Chromium on the real stack: axe-core (the copy bundled by the
axe-playwright-python package: nothing is downloaded) finds no serious or critical violation on any page at 1440 and
390 px; at 390 px the main figure comes before the controls and nothing overlaps or is cut; chart actions have a
keyboard path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from e2e_stack import GROUPED_RUN, RUN, Stack

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
# page: (path, a selector that is there once the page has drawn what it shows)
PAGES = {
    "runs": ("/", "#runs-table-wrap table tbody tr"),
    "run-card": (f"/?run={RUN}", ".fs-live-curve .js-plotly-plot .scatterlayer .trace"),  # card + training curve
    "explore": (f"/explore?run={RUN}&dims=0,1&steps=5", "#explore-traversal[src]"),
    "factors": (f"/factors?run={RUN}", "#factors-bars .barlayer .point"),
    "groups": (f"/groups?run={GROUPED_RUN}", "#groups-heatmap g.hm"),
    "embedding": (f"/embedding?run={RUN}&n=200", "#embedding-graph .js-plotly-plot .main-svg"),
    # a clicked point's neighbours, a search's matches and a box selection (the set's panel)
    "embedding-point": (f"/embedding?run={RUN}&n=200&item=0&q=label%3D3&sel=box:-9,9,-9,9", "#embedding-explore-link"),
    "lens": (f"/lens?run={RUN}", "#lens-select"),
    "labelling": ("/label", "#_pages_content form, #_pages_content select, #_pages_content .card"),
    "signin": ("/signin", "#signin-token, #signout-submit"),
    "not-found": ("/no-such-page", "#_pages_content h1, #_pages_content h2, #_pages_content h3"),
    "compare": (f"/compare?runs={RUN},{GROUPED_RUN}", "#compare-table tbody tr"),
}


def settle(page: Any, ready: str) -> None:
    """Wait for ``ready`` and for Dash to have no callback in flight (twice, 300 ms apart: a callback's answer may
    start another)."""
    page.locator(ready).first.wait_for(state="attached")
    for _ in range(2):
        page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
        page.wait_for_timeout(300)


def blocking(results: dict[str, Any]) -> list[str]:
    """axe's serious and critical violations, one line each: rule, impact, what it asks, where."""
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in results["violations"] if v["impact"] in BLOCKING]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("name", sorted(PAGES))
def test_axe_finds_nothing_serious(stack: Stack, new_page: Any, axe: Axe, name: str, width: str) -> None:
    page = new_page(viewport=WIDTHS[width])
    path, ready = PAGES[name]
    page.goto(stack.ui_url + path)
    settle(page, ready)
    found = blocking(axe.run(page).response)
    assert not found, "\n".join(found)


# page: (path, its main figure, the controls it must come before, a selector there once the figure is drawn);
# "{lens}" and "{session}" in a path: a fitted lens and a labelling session on it. The runs page's controls are the
# training form (the search and filter row above the list belongs to the list, as in any list); the label page's are
# the answer buttons (the labeller's one-line name strip stays on top: a name is asked before any label).
FIGURE_FIRST = {
    "explore": (f"/explore?run={RUN}&dims=0,1&steps=5", "#explore-traversal", ".fs-controls", PAGES["explore"][1]),
    "groups": (f"/groups?run={GROUPED_RUN}", "#groups-heatmap", ".fs-controls", PAGES["groups"][1]),
    "embedding": (f"/embedding?run={RUN}&n=200", "#embedding-graph", ".fs-controls", PAGES["embedding"][1]),
    "compare": (f"/compare?runs={RUN},{GROUPED_RUN}", "#compare-graph", ".fs-controls", PAGES["compare"][1]),
    "factors": (f"/factors?run={RUN}", "#factors-mi-heatmap", ".fs-controls", "#factors-mi-heatmap .main-svg"),
    "runs": ("/", "#runs-table-wrap table", "#runs-train-form", PAGES["runs"][1]),
    "lens": (f"/lens?run={RUN}&lens={{lens}}", "#lens-grid", ".fs-controls", "#lens-grid[src]"),
    "label": ("/label?session={session}", "#label-item-img", "#label-classes", "#label-classes .fs-label-class"),
}
BLOCKS = """() => {  // the page's outermost cards and control blocks, as boxes
    const all = [...document.querySelectorAll('.fs-page .card, .fs-page .fs-controls')]
        .filter(e => e.offsetParent !== null);
    return all.filter(e => !all.some(o => o !== e && o.contains(e))).map(e => {
        const r = e.getBoundingClientRect();
        const y = r.y + window.scrollY;
        return {name: e.id || e.className, x: r.x, y: y, right: r.right, bottom: y + r.height};
    });
}"""


def overlapping(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of blocks whose boxes share more than a pixel's width both ways."""
    return [(a["name"], b["name"]) for i, a in enumerate(blocks) for b in blocks[i + 1:]
            if min(a["right"], b["right"]) - max(a["x"], b["x"]) > 1
            and min(a["bottom"], b["bottom"]) - max(a["y"], b["y"]) > 1]


def label_session(stack: Stack, lens: str) -> str:
    """A labelling session on the tiny lens's ``label`` attribute, started through the API: its id."""
    body = {"run_id": RUN, "lens_id": lens, "attributes": ["label"], "strategy": "bald", "refit_every": 1000}
    answer = httpx.post(f"{stack.api_url}/api/v1/label-sessions", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def figure_path(stack: Stack, request: pytest.FixtureRequest, path: str) -> str:
    """``path`` with its lens and session filled in (the lens fitted once per session, only when asked for)."""
    if "{" not in path:
        return path
    lens = request.getfixturevalue("tiny_lens")
    return path.format(lens=lens, session=label_session(stack, lens) if "{session}" in path else "")


@pytest.mark.parametrize("name", sorted(FIGURE_FIRST))
def test_on_a_phone_the_figure_comes_first_and_nothing_overlaps_or_is_cut(stack: Stack, new_page: Any, name: str,
                                                                          request: pytest.FixtureRequest) -> None:
    page = new_page(viewport=WIDTHS["phone"])
    path, figure, controls, ready = FIGURE_FIRST[name]
    page.add_init_script("localStorage.setItem('label-labeller', JSON.stringify('ann'))")  # the label page's name
    page.goto(stack.ui_url + figure_path(stack, request, path))
    settle(page, ready)
    shown, before = page.locator(figure).bounding_box(), page.locator(controls).first.bounding_box()
    assert shown and before and shown["y"] + shown["height"] <= before["y"], (shown, before)
    blocks = page.evaluate(BLOCKS)
    assert len(blocks) >= 2 and not overlapping(blocks), blocks
    cut = [b["name"] for b in blocks if b["x"] < -1 or b["right"] > WIDTHS["phone"]["width"] + 1]
    assert not cut and page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), cut


def test_copy_buttons_work_from_the_keyboard(stack: Stack, new_page: Any) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{stack.ui_url}/explore?run={RUN}&dims=1&steps=5")
    settle(page, PAGES["explore"][1])
    page.wait_for_function("() => document.querySelector('#explore-share').value.includes('dims=1')")
    copy = page.locator("#explore-copy")
    assert copy.get_attribute("role") == "button" and copy.get_attribute("aria-label") == "copy link"
    copy.focus()
    page.keyboard.press("Enter")
    link = page.locator("#explore-share").input_value()
    page.wait_for_function("(u) => navigator.clipboard.readText().then(t => t === u)", arg=link)
    image = page.locator("#explore-image-url").input_value()
    page.locator(".fs-copy[title='copy image URL']").focus()
    page.keyboard.press(" ")
    page.wait_for_function("(u) => navigator.clipboard.readText().then(t => t === u)", arg=image)


def test_a_groups_dim_is_picked_from_the_keyboard(stack: Stack, page: Any) -> None:
    """The top-groups table's dim buttons do what a click on a heatmap cell does: traverse that dim."""
    page.goto(f"{stack.ui_url}/groups?run={GROUPED_RUN}")
    settle(page, PAGES["groups"][1])
    pick = page.locator("#groups-top-table tbody button").nth(1)
    dim = int(pick.inner_text().removeprefix("z"))
    pick.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("(d) => new URLSearchParams(location.search).get('dim') === String(d)", arg=dim)
    page.wait_for_function("""() => { const gd = document.querySelector('#groups-traversal .js-plotly-plot');
                                      return gd && gd.data && gd.data.length === 1; }""")
    assert page.locator("#groups-explore-link").inner_text() == f"Open z{dim} in Explore"
