"""The Lens page in headless Chromium against the real API and worker (issue 16 item 9): a lens trained from the
page's form (oracle labels, a few steps) with its progress bar, then its manipulation grid, score table and z*
scatter; the share link opened in a fresh browser context restores the same view, at phone width too (the grid
before the controls); a link to a lens version that a refit replaced says so; bad fields are refused beside
themselves, the API's refusals too."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from e2e_stack import RUN, Stack

from frontend.components.lens import NEW_LENS

pytestmark = pytest.mark.browser
LENS = "page-lens"
ATTRIBUTES = ["label", "thickness"]  # digits' attributes: the digit and its stroke thickness


def grid(page: Any, contains: str = "") -> dict[str, Any]:
    """Wait until the manipulation grid (its src containing ``contains``) has loaded; its src and size."""
    page.wait_for_function(
        """(part) => { const i = document.querySelector('#lens-grid');
                       return i && i.src && i.src.includes(part) && i.complete && i.naturalWidth > 0; }""",
        arg=contains, timeout=120_000)
    return page.evaluate("""() => { const i = document.querySelector('#lens-grid');
                                    return {src: i.src, width: i.naturalWidth, height: i.naturalHeight}; }""")


def wait_url(page: Any, *parts: str) -> str:
    page.wait_for_function("(parts) => parts.every(p => window.location.href.includes(p))", arg=list(parts))
    return str(page.evaluate("() => window.location.href"))


def view(page: Any) -> dict[str, Any]:
    """What the view controls, the score table and the scatter show."""
    page.locator("#lens-score-table tbody tr").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#lens-scatter .scatterlayer .trace, "
                           "#lens-scatter canvas').length > 0")
    return page.evaluate("""() => ({
        a: document.querySelector('#lens-a').value, b: document.querySelector('#lens-b').value,
        color: document.querySelector('#lens-color').value, item: document.querySelector('#lens-item').value,
        lens: document.querySelector('#lens-select').value,
        rows: [...document.querySelectorAll('#lens-score-table tbody tr td:first-child')].map(e => e.textContent),
        title: document.querySelector('#lens-scatter .gtitle').textContent,
    })""")


def lens_version(stack: Stack) -> str:
    return str(httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}/lenses/{LENS}").json()["version"])


def refit(stack: Stack) -> str:
    """Refit the lens through the API (10 oracle labels more, 10 steps); its new version."""
    old = lens_version(stack)
    made = httpx.post(f"{stack.api_url}/api/v1/runs/{RUN}/lenses/{LENS}/refit",
                      json={"labels": {"oracle": {"n": 10, "seed": 3}}, "steps": 10})
    assert made.status_code == 202, made.text
    deadline = time.monotonic() + 120
    while (state := httpx.get(stack.api_url + made.json()["job_url"]).json()["state"]) in ("queued", "running"):
        assert time.monotonic() < deadline, "the refit did not end"
        time.sleep(0.3)
    assert state == "succeeded" and lens_version(stack) != old
    return lens_version(stack)


def open_new_lens_form(stack: Stack, page: Any) -> None:
    """The Lens page of the tiny run with the new-lens form: shown at once when the run has no lens yet, else chosen
    ("+ new lens") once the picker lists the run's lenses (other tests of the session may have made some)."""
    page.goto(f"{stack.ui_url}/lens?run={RUN}")
    others = httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}/lenses").json()["lenses"]
    if others:
        page.wait_for_function("""(ids) => { const values = [...document.querySelectorAll('#lens-select option')]
                                                 .map(o => o.value);
                                   return ids.some(id => values.includes(id)); }""",
                               arg=[x["lens_id"] for x in others])
        page.locator("#lens-views").wait_for()  # the newest lens is shown: the page has settled on it
        page.select_option("#lens-select", NEW_LENS)
    page.locator("#lens-form").wait_for()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_lens_trained_from_the_page_shows_its_views_and_its_link_restores_them(stack: Stack, new_page: Any,
                                                                                 shot: Any) -> None:
    page = new_page()
    open_new_lens_form(stack, page)
    page.wait_for_function("() => document.querySelectorAll('#lens-attributes input:checked').length === 2")
    page.get_by_label("Labelled items (n)").fill("300")
    page.get_by_label("Training steps").fill("80")
    page.get_by_label("Lens id (optional)").fill(LENS)
    page.locator("#lens-submit").click()
    page.locator("#lens-form-alert", has_text=f"Training lens {LENS}").wait_for()
    page.locator("#lens-job").wait_for()  # the progress bar follows the lens_fit job
    page.locator("#lens-job-alert", has_text=f"Lens {LENS} is trained").wait_for(timeout=180_000)
    image = grid(page, f"/lenses/{LENS}/")
    assert f"{stack.ui_url}/api/v1/runs/{RUN}/lenses/{LENS}/manipulation.png?" in image["src"]  # via the proxy
    shown = view(page)
    assert shown["lens"] == LENS and (shown["a"], shown["b"], shown["color"]) == ("label", "thickness", "label")
    assert [r.removesuffix(" (binned)") for r in shown["rows"]] == ATTRIBUTES
    assert "coloured by label" in shown["title"]
    version = lens_version(stack)
    wait_url(page, f"lens={LENS}", f"lv={version}", "a=label", "b=thickness")

    page.select_option("#lens-a", "thickness")
    page.select_option("#lens-b", "(none)")  # one row
    page.select_option("#lens-color", "thickness")
    page.get_by_label("Base item").fill("7")
    page.get_by_label("Base item").press("Enter")
    page.locator("#lens-steps [role=slider]").press("ArrowLeft")
    url = wait_url(page, "a=thickness", "item=7", "color=thickness", "steps=8")
    assert "b=" not in url and f"v={httpx.get(f'{stack.api_url}/api/v1/runs/{RUN}').json()['version']}" in url
    one_row = grid(page, "a=thickness")
    assert "base=item:7" in one_row["src"] and "steps=8" in one_row["src"] and one_row["height"] < image["height"]
    assert page.locator("#lens-share").input_value() == url
    shot(page, "lens")

    fresh = new_page()  # a fresh browser context: nothing but the link
    fresh.goto(url)
    assert grid(fresh, "a=thickness")["src"] == one_row["src"]
    restored = view(fresh)
    assert (restored["lens"], restored["a"], restored["b"], restored["color"], restored["item"]) == (
        LENS, "thickness", "(none)", "thickness", "7")
    assert fresh.locator("#lens-version-banner").count() == 0

    narrow = new_page(viewport={"width": 390, "height": 844})
    narrow.goto(url)
    grid(narrow, "a=thickness")
    assert no_horizontal_scroll(narrow)
    picker = narrow.locator("#lens-run-select").bounding_box()
    assert narrow.locator("#lens-grid").bounding_box()["y"] < picker["y"]  # the figure before the controls
    shot(narrow, "lens-narrow")

    newer = refit(stack)  # the link's version is now an older one the lens kept
    old = new_page()
    old.goto(url)
    banner = old.locator("#lens-version-banner")
    banner.wait_for()
    assert f"version {version} of run {LENS}" in banner.inner_text() and newer in banner.inner_text()  # a lens is a run
    assert f"v={version}" in grid(old, "a=thickness")["src"]  # the views show the linked version
    assert old.locator("#lens-version-link").get_attribute("href").count(f"lv={newer}") == 1


def test_bad_fields_are_refused_beside_themselves(stack: Stack, page: Any) -> None:
    before = httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}/lenses").json()["lenses"]
    open_new_lens_form(stack, page)
    page.wait_for_function("() => document.querySelectorAll('#lens-attributes input:checked').length === 2")
    for box in page.locator("#lens-attributes input").all():
        box.uncheck()
    page.get_by_label("Labelled items (n)").fill("5000")
    page.get_by_label("Training steps").fill("ten")
    page.locator("#lens-submit").click()
    page.locator("#lens-form-alert", has_text="Nothing was sent").wait_for()
    assert "at least one attribute" in page.locator("#lens-attributes-error").inner_text()
    assert page.locator("#lens-n-error").inner_text() == "expected at most 1797, got 5000"
    assert "expected a whole number" in page.locator("#lens-steps-error").inner_text()
    page.locator("#lens-attributes input").first.check()
    page.get_by_label("Labelled items (n)").fill("20")
    page.get_by_label("Training steps").fill("5")
    page.get_by_label("Lens id (optional)").fill(RUN)  # the id of a run that exists: the API refuses it
    page.locator("#lens-submit").click()
    page.locator("#lens-lens_id-error", has_text="already exists").wait_for()
    assert page.locator("#lens-n-error").inner_text() == ""
    assert httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}/lenses").json()["lenses"] == before
