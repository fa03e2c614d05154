"""Runs that compare, in Chromium on the real stack: search and sort the runs list, tick two runs, open Compare
(curves overlaid, the differing config first), and its link restores the same view in a fresh browser context."""

from __future__ import annotations

from typing import Any

from e2e_stack import GROUPED_RUN, RUN, Stack


def wait_url(page: Any, *parts: str) -> str:
    page.wait_for_function("(parts) => parts.every(p => window.location.href.includes(p))", arg=list(parts))
    return str(page.evaluate("() => window.location.href"))


def row(page: Any, run_id: str) -> Any:
    return page.locator(f'#runs-table tr[data-run="{run_id}"]')


def curves(page: Any) -> int:
    page.locator("#compare-table").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#compare-graph .scatterlayer .trace').length >= 2")
    return int(page.evaluate("() => document.querySelectorAll('#compare-graph .scatterlayer .trace').length"))


def test_search_tick_two_runs_and_compare_them(stack: Stack, new_page: Any, shot: Any) -> None:
    page = new_page()
    page.goto(f"{stack.ui_url}/")
    row(page, RUN).wait_for()
    page.get_by_label("Search runs").fill("oi_vae")
    page.get_by_label("Search runs").press("Enter")
    row(page, RUN).wait_for(state="detached")  # the search hides the vae run, keeps the oi-VAE
    assert row(page, GROUPED_RUN).is_visible()
    wait_url(page, "q=oi_vae")
    page.get_by_label(f"compare {GROUPED_RUN}", exact=True).check()
    page.get_by_label("Search runs").fill("")
    page.get_by_label("Search runs").press("Enter")
    row(page, RUN).wait_for()
    assert page.get_by_label(f"compare {GROUPED_RUN}", exact=True).is_checked()  # a tick outlives the search
    page.get_by_label(f"compare {RUN}", exact=True).check()
    button = page.locator("#runs-compare-link")
    page.wait_for_function("() => document.querySelector('#runs-compare-link').innerText.includes('Compare 2')")
    button.click()
    url = wait_url(page, "/compare?runs=", GROUPED_RUN, RUN)
    assert curves(page) == 2
    first_rows = [" ".join(t.split()) for t in page.locator("#compare-table tbody tr th").all_inner_texts()[:2]]
    assert first_rows == ["family · differs", "dataset · differs"], first_rows  # what differs comes first
    page.get_by_label("train KL").check()
    url = wait_url(page, "series=train_kl")
    shot(page, "compare")

    fresh = new_page()
    fresh.goto(url)
    assert curves(fresh) == 2 and fresh.get_by_label("train KL").is_checked()
    assert (fresh.locator("#compare-graph .gtitle").text_content() or "").startswith("Train KL during training")
