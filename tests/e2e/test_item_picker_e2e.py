"""Issue 20 item 4 in Chromium, on a small dSprites run trained by the worker: the base item chosen by its factor values
(shape = heart, scale = mid, x = centre) is an item with exactly those values; the gallery lists its nearest neighbours
in latent space with their distances, nearest first, and one chosen from the keyboard becomes the base; a search by
value lists its matches and a refused condition says which and why; a share link restores all of it; axe finds
nothing serious."""

from __future__ import annotations

import re
from typing import Any

import httpx
import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from e2e_stack import Stack, train_through_worker
from test_a11y import blocking, settle
from test_dashboard import wait_url

from frontend.components.controls import dom_id
from models.datasets.base import FactorGrid
from models.datasets.dsprites import FACTOR_NAMES, FACTOR_SIZES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]
RUN = "dsprites-pick"
BODY = {"run_id": RUN, "family": "vae", "dataset": "dsprites", "config": {"latent_dim": 3, "hidden": [32]},
        "train": {"steps": 100, "eval_every": 100, "checkpoint_every": 0, "seed": 0}}
GRID = FactorGrid(FACTOR_SIZES)  # dSprites' item index <-> factor levels, without drawing a sprite


@pytest.fixture(scope="module")
def sprites_run(stack: Stack) -> str:
    """The dSprites run, trained by the worker from POST /runs (a few minutes on a loaded CPU): its id."""
    return train_through_worker(stack, BODY)


def select(factor: str) -> str:
    return f"[id='{dom_id({'type': 'pick-factor', 'name': factor})}']"


def base_index(page: Any) -> int:
    return int(page.locator("#explore-base-index").input_value())


def levels(index: int) -> dict[str, int]:
    return dict(zip(FACTOR_NAMES, GRID.to_factors(np.array([index]))[0].tolist(), strict=True))


def neighbours(page: Any) -> list[tuple[int, float]]:
    """(item, distance) of each neighbour thumbnail, once the 8 are drawn."""
    page.wait_for_function("() => document.querySelectorAll('#explore-neighbours button').length === 8")
    titles = page.locator("#explore-neighbours button").evaluate_all("bs => bs.map(b => b.title)")
    found = [re.fullmatch(r"item (\d+) \(d ([0-9.e+-]+)\): traverse from here", t) for t in titles]
    assert all(found), titles
    return [(int(m.group(1)), float(m.group(2))) for m in found if m]


def test_the_base_item_is_chosen_by_its_factor_values(stack: Stack, sprites_run: str, page: Any, shot: Any) -> None:
    page.goto(f"{stack.ui_url}/explore?run={sprites_run}&dims=0,1,2&steps=5")
    page.locator(select("posY")).wait_for()
    assert page.locator(select("shape")).evaluate("s => [...s.options].filter(o => !o.hidden).map(o => o.text)") == [
        "any", "square", "ellipse", "heart"]
    pick = []
    for factor, level in (("shape", "heart"), ("scale", "3"), ("posX", "16")):  # scale 3 of 0-5, x 16 of 0-31
        page.locator(select(factor)).select_option(level)
        pick.append(f"{factor}={level}")
        page.wait_for_function("(p) => new URL(location.href).searchParams.get('pick') === p", arg=",".join(pick))
    url = page.url
    chosen = base_index(page)
    assert f"base=item:{chosen}" in url
    assert {k: v for k, v in levels(chosen).items() if k in ("shape", "scale", "posX")} == {
        "shape": 2, "scale": 3, "posX": 16}
    note = page.locator("#explore-pick-note").inner_text()
    assert note == f"1,280 items have shape=heart, scale=3, posX=16; the first, item {chosen}, is the base."

    page.wait_for_function("(i) => document.querySelector('#explore-neighbours-note').textContent"
                           ".includes(`nearest item ${i}'s`)", arg=chosen)
    near = neighbours(page)
    assert chosen not in [i for i, _ in near] and [d for _, d in near] == sorted(d for _, d in near)
    api = httpx.get(f"{stack.api_url}/api/v1/runs/{sprites_run}/neighbours",
                    params={"item": chosen, "k": 8, "n": 2000}, timeout=120).json()
    assert [i for i, _ in near] == [row["item"] for row in api["neighbours"]]
    shot(page, "explore-item-picker")

    page.locator("#explore-neighbours button").first.focus()  # the keyboard path: Enter on a thumbnail
    page.keyboard.press("Enter")
    wait_url(page, f"base=item:{near[0][0]}")
    assert base_index(page) == near[0][0]
    page.wait_for_function("(i) => document.querySelector('#explore-neighbours-note').textContent"
                           ".includes(`nearest item ${i}'s`)", arg=near[0][0])


def test_a_search_lists_matches_refuses_clearly_and_a_link_restores_it(stack: Stack, sprites_run: str,
                                                                      new_page: Any) -> None:
    page = new_page()
    page.goto(f"{stack.ui_url}/explore?run={sprites_run}&dims=0,1&steps=5")
    box = page.locator("#explore-find")
    box.fill("shape=heart, posX=0, posY=31")
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#explore-found button').length === 12")
    assert page.locator("#explore-find-note").inner_text() == (
        "240 items of dsprites match shape=heart, posX=0, posY=31 (the first 12 below).")
    found = [int(t.split()[1].rstrip(":")) for t in
             page.locator("#explore-found button").evaluate_all("bs => bs.map(b => b.title)")]
    assert all(levels(i)["shape"] == 2 and levels(i)["posX"] == 0 and levels(i)["posY"] == 31 for i in found)
    page.locator("#explore-found button").nth(3).click()
    url = wait_url(page, f"base=item:{found[3]}", "find=shape%3Dheart")

    box.fill("shape=heart, scale=9")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#explore-find-note').textContent.includes('refused')")
    assert page.locator("#explore-find-note").inner_text().startswith(
        "“scale=9” was refused: expected a level index 0..5")
    assert page.locator("#explore-found button").count() == 0

    shared = new_page()
    shared.goto(url + "&pick=shape%3Dellipse,posY%3D4")
    shared.locator(select("posY")).wait_for()
    settle(shared, "#explore-found button")
    assert shared.locator(select("shape")).input_value() == "ellipse"
    assert shared.locator(select("posY")).input_value() == "4"
    assert shared.locator("#explore-find").input_value() == "shape=heart, posX=0, posY=31"
    assert base_index(shared) == found[3]  # the link's base stays: the pick does not move it
    assert shared.locator("#explore-found button").count() == 12
    assert blocking(Axe().run(shared).response) == []
