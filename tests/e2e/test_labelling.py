"""The Labelling page in headless Chromium against the real API and worker (issue 17): twenty labels given with the
keyboard alone, one undone, the count kept across a reload; two people labelling one session at once get different
items; the page at phone width shows the item first."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from e2e_stack import RUN, Stack

pytestmark = pytest.mark.browser
TITLE = "#label-item-title"


@pytest.fixture
def session(stack: Stack, tiny_lens: str) -> str:
    """A fresh session on the tiny lens's ``label`` attribute (no refit during a test)."""
    body = {"run_id": RUN, "lens_id": tiny_lens, "attributes": ["label"], "strategy": "bald", "refit_every": 1000}
    answer = httpx.post(f"{stack.api_url}/api/v1/label-sessions", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def open_as(page: Any, stack: Stack, session_id: str, name: str) -> None:
    """Open the session's link and give a name (typed, then Enter), as a person does the first time."""
    page.goto(f"{stack.ui_url}/label?session={session_id}")
    page.locator("#label-name-input").fill(name)
    page.locator("#label-name-input").press("Enter")
    page.wait_for_selector("#label-whoami-row:not([hidden])")
    shown_item(page)


def shown_item(page: Any) -> int:
    """The item the page asks about, once it shows one with its class buttons."""
    page.wait_for_function("""() => /^Item [0-9]+:/.test(document.querySelector('#label-item-title')?.textContent)
                                 && document.querySelectorAll('#label-classes .fs-label-class').length === 10""")
    return int(page.locator(TITLE).text_content().split(":")[0].split()[1])


def next_item(page: Any, before: int) -> int:
    """Wait until the page shows another item than ``before``; that item."""
    page.wait_for_function("""(before) => { const m = /^Item ([0-9]+):/.exec(
                                  document.querySelector('#label-item-title')?.textContent);
                              return m && Number(m[1]) !== before; }""", arg=before)
    return shown_item(page)


def standing(stack: Stack, session_id: str) -> list[dict[str, str]]:
    text = httpx.get(f"{stack.api_url}/api/v1/label-sessions/{session_id}/export.csv", timeout=30).text
    return list(csv.DictReader(io.StringIO(text)))


def test_twenty_keyboard_labels_one_undone_nineteen_after_a_reload(page: Any, stack: Stack, session: str,
                                                                     shot: Any) -> None:
    open_as(page, stack, session, "ada")
    page.locator("body").focus()
    seen, keys = [], {}
    item = shown_item(page)
    for i in range(20):
        key = str(1 + i % 9)
        page.keyboard.press(key)
        seen.append(item)
        keys[item] = int(key) - 1
        item = next_item(page, item)
    assert len(set(seen)) == 20  # every key press labelled one new item
    page.keyboard.press("Backspace")
    page.wait_for_function("() => document.querySelector('#label-status')?.textContent.startsWith('Undid')")
    page.reload()
    shown_item(page)  # the name was kept: no prompt, straight to an item
    assert page.locator("#label-name-prompt").get_attribute("hidden") is not None
    page.wait_for_function("() => /^19 labelled/.test(document.querySelector('#label-counter')?.textContent)")
    page.wait_for_function("() => document.querySelectorAll('#label-history-table tbody tr').length === 10")
    rows = standing(stack, session)
    assert len(rows) == 19 and {r["labeller"] for r in rows} == {"ada"}
    assert {int(r["item"]): int(r["value"]) for r in rows} == {k: v for k, v in keys.items() if k != seen[-1]}
    assert "Labels" in page.locator("#label-progress").text_content()
    shot(page, "labelling")


def test_two_people_labelling_at_once_get_different_items(new_page: Any, stack: Stack, session: str) -> None:
    first, second = new_page(), new_page()
    open_as(first, stack, session, "bea")
    open_as(second, stack, session, "cy")
    for _ in range(3):
        a, b = shown_item(first), shown_item(second)
        assert a != b
        first.keyboard.press("2")
        second.keyboard.press("3")
        next_item(first, a)
        next_item(second, b)
    rows = standing(stack, session)
    assert len(rows) == 6 and len({r["item"] for r in rows}) == 6
    first.wait_for_function("() => document.querySelector('#label-labellers')?.textContent.includes('cy')")
    first.wait_for_function("() => document.querySelectorAll('#label-history-table .fs-label-edit').length === 3")
    first.locator("#label-history-table .fs-label-edit").first.click()  # correct bea's newest label: 1 -> 7
    first.get_by_role("option", name="7", exact=True).click()
    first.wait_for_function("() => document.querySelector('#label-status')?.textContent.startsWith('Changed item')")
    corrected = {r["item"]: r["value"] for r in standing(stack, session) if r["labeller"] == "bea"}
    assert sorted(corrected.values()) == ["1", "1", "7"] and len(corrected) == 3


def test_the_item_comes_first_at_phone_width(new_page: Any, stack: Stack, session: str, shot: Any) -> None:
    page = new_page(viewport={"width": 390, "height": 844})
    open_as(page, stack, session, "dee")
    item = page.locator("#label-item-img").bounding_box()
    buttons = page.locator("#label-classes").bounding_box()
    guess = page.locator("#label-guess").bounding_box()
    assert item["x"] >= 0 and item["x"] + item["width"] <= 390 and item["width"] >= 200
    assert item["y"] < buttons["y"] < guess["y"] and buttons["y"] + buttons["height"] < 844  # answerable unscrolled
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "labelling-phone")


def test_a_set_saved_for_labelling_becomes_the_session_pool(page: Any, stack: Stack, tiny_lens: str) -> None:
    """The link the Embedding page gives after "Save for labelling" (the set made through the API here) opens the
    form on the run and the set; the session started there asks only for the set's items."""
    items = [11, 222, 333, 1444, 1555]
    made = httpx.post(f"{stack.api_url}/api/v1/runs/{RUN}/item-sets", json={"name": "five picked", "items": items},
                      timeout=30)
    assert made.status_code == 201, made.text
    set_id = made.json()["set_id"]
    page.goto(f"{stack.ui_url}/label?run={RUN}&item_set={set_id}")
    page.locator("#label-name-input").fill("eve")
    page.locator("#label-name-input").press("Enter")
    page.wait_for_function("""() => document.querySelector('#label-set-select')?.innerText.includes('five picked')
                                 && document.querySelector('#label-lens-select')?.innerText.includes('tiny-lens')""")
    assert f"item_set={set_id}" in page.url  # the link stays restorable while the form is open
    page.locator("#label-create").click()
    assert shown_item(page) in items
    assert "set five picked (5 items)" in page.locator("#label-session-title").text_content()
    page.wait_for_function("() => /[?]session=/.test(window.location.search)")
