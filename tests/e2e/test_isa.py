"""An ISA-VAE run (Lp-nested prior, SCIENCE.md section 5) in headless Chromium: trained from the browser form with
its list fields, its Factors page grouped by prior subspace with each subspace's learned exponent, and its
traversal, whose steps are the prior's marginal quantiles (issue 21)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from e2e_stack import Stack
from scipy.special import ndtr
from test_dashboard import CELL, controls, no_horizontal_scroll, traversal

from backend.convert import GAP
from backend.runs import load_run

pytestmark = pytest.mark.browser
SIZES = [3, 2, 1]  # the subspaces typed into the form: K = 6
FORM = {"Latent Dim": "6", "Subspace Sizes": "3, 2, 1", "P Inner": "2.2, 1.6, 2.0", "Hidden": "32",
        "Training steps": "150"}


def train_from_the_form(page: Any, stack: Stack) -> str:
    """Fill the Runs page's form for isa_vae on digits, train, and wait for the run; its id."""
    page.goto(f"{stack.ui_url}/")
    page.locator("#runs-table").wait_for()
    page.locator("#runs-family").select_option("isa_vae")
    page.locator("#runs-dataset").select_option("digits")
    page.get_by_label("Subspace Sizes", exact=True).wait_for()  # the family's own fields are drawn
    for label, value in FORM.items():
        page.get_by_label(label, exact=True).fill(value)
    page.locator("#runs-submit").click()
    done = page.locator("#runs-job-done")
    deadline = time.monotonic() + 240
    while not done.is_visible() and time.monotonic() < deadline:
        assert not page.locator("#runs-form-alert .alert-danger, #runs-job-alert .alert-danger").count(), \
            page.locator("#runs-form-alert, #runs-job-alert").all_inner_texts()
        time.sleep(0.25)
    assert done.is_visible(), "training the isa_vae run did not finish"
    trained = re.search(r"Run (\S+) is trained", done.inner_text())
    assert trained, done.inner_text()
    return trained.group(1)


@pytest.fixture(scope="module")
def isa_run(stack: Stack, browser: Any) -> Iterator[str]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield train_from_the_form(page, stack)
    finally:
        context.close()


def test_the_form_trains_an_isa_run(stack: Stack, isa_run: str) -> None:
    run = httpx.get(f"{stack.api_url}/api/v1/runs/{isa_run}").json()
    assert run["family"] == "isa_vae" and run["status"] == "ready" and run["latent_dim"] == 6
    assert run["config"]["subspace_sizes"] == SIZES and run["config"]["p_inner"] == [2.2, 1.6, 2.0]


def test_factors_groups_the_dims_by_subspace_with_learned_exponents(stack: Stack, isa_run: str, page: Any,
                                                                   shot: Any) -> None:
    prior = httpx.get(f"{stack.api_url}/api/v1/runs/{isa_run}/factors").json()["prior"]
    assert prior["kind"] == "lp_nested" and [s["dims"] for s in prior["subspaces"]] == [[0, 1, 2], [3, 4], [5]]
    page.goto(f"{stack.ui_url}/factors?run={isa_run}")
    page.wait_for_function("() => document.querySelectorAll('#factors-bars .barlayer .trace').length > 0")
    names = page.evaluate("() => document.querySelector('#factors-bars .js-plotly-plot').data.map(t => t.name)")
    assert names[:3] == [f"S{i + 1} ({span}) p = {s['p']:.2f}" for i, (span, s) in
                         enumerate(zip(["z0–z2", "z3–z4", "z5"], prior["subspaces"], strict=True))]
    legend = page.locator("#factors-bars .legend").text_content()  # SVG: no inner_text
    assert "S1 (z0–z2) p = " in legend and "S3 (z5) p = " in legend
    table = page.locator("#factors-prior-table")
    table.wait_for()
    rows = table.locator("tbody tr").all_inner_texts()
    assert len(rows) == 3 and rows[0].split()[:4] == ["S1", "z0,", "z1,", "z2"]
    assert f"{prior['subspaces'][1]['p']:.3f}" in rows[1]
    assert no_horizontal_scroll(page)
    shot(page, "factors-isa")


def test_an_isa_traversal_steps_through_the_priors_quantiles(stack: Stack, isa_run: str, page: Any,
                                                             shot: Any) -> None:
    page.goto(f"{stack.ui_url}/explore?run={isa_run}&dims=2,1,3&steps=7&span=2.5")
    image = traversal(page, "dims=2,1,3")
    assert (image["height"], image["width"]) == (3 * (CELL + GAP) + GAP, 7 * (CELL + GAP) + GAP)
    assert controls(page)["rows"] == ["z2", "z1", "z3"]
    body = httpx.get(f"{stack.api_url}/api/v1/runs/{isa_run}/traversal",
                     params={"dims": "2,1,3", "steps": 7, "span": 2.5, "outputs": "false"}).json()
    model, _ = load_run(stack.home, isa_run)
    with torch.no_grad():
        quantiles = model.prior.marginal_quantiles(torch.from_numpy(ndtr(np.linspace(-2.5, 2.5, 7)))).numpy()
    assert body["span_unit"] == "prior_quantile" and body["centre"] == "prior_median"
    np.testing.assert_allclose(body["values"], quantiles[:, [2, 1, 3]].T, rtol=1e-6, atol=1e-7)
    page.wait_for_function("() => document.querySelector('#explore-decoded').naturalWidth > 0")
    assert no_horizontal_scroll(page)
    shot(page, "explore-isa")
