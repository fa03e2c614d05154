"""Browser tests on the real stack (see e2e_stack.py): two tiny trained runs (a vae on digits, an oi_vae on
bars), the API, the worker and the dashboard started once per session; a fresh browser context (empty cache,
1280x800) per test.

Without /usr/bin/chromium they skip, except under CI=true where they fail (CI must install it)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_stack import CHROMIUM, ROOT, RUN, Stack, launch_browser, make_tiny_grouped_run, make_tiny_run, running_stack

VIEWPORT = {"width": 1280, "height": 800}


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: CI must install Chromium (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); browser tests skipped outside CI")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_chromium()
    home = tmp_path_factory.mktemp("e2e-home")
    make_tiny_run(home)
    make_tiny_grouped_run(home)
    with running_stack(home, home / "logs") as running:
        yield running


LENS = "tiny-lens"


@pytest.fixture(scope="session")
def tiny_lens(stack: Stack) -> str:
    """A lens on the tiny run (both digits attributes, 50 oracle labels, 50 steps), fitted by the worker: its id."""
    body = {"lens_id": LENS, "attributes": ["label", "thickness"], "labels": {"oracle": {"n": 50}},
            "fit": {"steps": 50}, "hidden": [32]}
    answer = httpx.post(f"{stack.api_url}/api/v1/runs/{RUN}/lenses", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    job_url = f"{stack.api_url}/api/v1/jobs/{answer.json()['job_id']}"
    deadline = time.monotonic() + 180
    while (job := httpx.get(job_url, timeout=10).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the lens fit did not finish in 180 s: {job}\n{stack.log_tail('worker')}"
        time.sleep(0.5)
    assert job["state"] == "succeeded", f"{job}\n{stack.log_tail('worker')}"
    return LENS


@pytest.fixture(scope="session")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, stack: Stack) -> Iterator[Any]:
    """``new_page(**context options)``: a page in a fresh context; page errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": VIEWPORT, **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda err: errors.append(str(err)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``shot(page, name)``: save <name>.png (the whole page) in FACTORSCOPE_SCREENSHOTS (``make screenshots``
    names docs/screenshots), else in a temporary folder: a test run leaves the tree as it was."""
    asked = os.environ.get("FACTORSCOPE_SCREENSHOTS")
    folder = ROOT / asked if asked else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
