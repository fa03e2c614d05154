"""Live training curves and queued runs, in Chromium on the real stack: a run that trains shows every logged step on
its card, the curve grows between polls (many more points than validation passes) and its loss terms can be
chosen; a run whose job waits behind busy workers reads "queued" with the jobs ahead, in the list and on its card."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_stack import RUN, Stack

from backend.api.request_checks import WRITE_HEADER, WRITE_HEADER_VALUE

pytestmark = pytest.mark.browser
WRITE = {WRITE_HEADER: WRITE_HEADER_VALUE}
# long enough to be still training when the test ends (it deletes it): a line every 10 steps, a validation pass
# every 2,000
LONG = {"family": "vae", "dataset": "digits", "config": {"hidden": [16]},
        "train": {"steps": 1_000_000, "log_every": 10, "eval_every": 2000, "checkpoint_every": 0}}
MAX_BLOCKERS = 8  # runs started until one waits in the queue (the worker runs as many at once as it has slots)


def job_state(api: str, job_id: str) -> str:
    return str(httpx.get(f"{api}/jobs/{job_id}", timeout=10).json()["state"])


def settles_as(api: str, job_id: str, timeout_s: float = 15.0) -> str:
    """'running' once a worker takes the job; 'queued' when it still waits after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while (state := job_state(api, job_id)) == "queued" and time.monotonic() < deadline:
        time.sleep(0.3)
    return state


@pytest.fixture
def busy_worker(stack: Stack) -> Iterator[tuple[list[str], str]]:
    """Runs that train (one at least) and the run queued behind them: started until one waits; all deleted after."""
    api, made = f"{stack.api_url}/api/v1", []
    try:
        for _ in range(MAX_BLOCKERS):
            answer = httpx.post(f"{api}/runs", json=LONG, timeout=30).json()
            made.append(answer["run_id"])
            if settles_as(api, answer["job_id"]) == "queued":
                yield made[:-1], made[-1]
                return
        pytest.fail(f"no job waited after {MAX_BLOCKERS} runs were started:\n{stack.log_tail('worker')}")
    finally:
        for run_id in reversed(made):
            httpx.delete(f"{api}/runs/{run_id}", headers=WRITE, timeout=30)


def points(page: Any) -> list[int]:
    """Points in each trace of the live curve, as Plotly holds them in the page."""
    return list(page.evaluate("() => document.querySelector('.fs-live-curve .js-plotly-plot').data"
                              ".map(t => (t.x || []).length)"))


def wait_points(page: Any, more_than: int) -> list[int]:
    page.wait_for_function("(n) => { const p = document.querySelector('.fs-live-curve .js-plotly-plot');"
                           " return p && p.data && p.data.length && p.data[0].x && p.data[0].x.length > n; }",
                           arg=more_than, timeout=120_000)
    return points(page)


def test_a_training_runs_curve_grows_and_a_queued_run_says_so(stack: Stack, page: Any, shot: Any,
                                                              busy_worker: tuple[list[str], str]) -> None:
    training, queued = busy_worker
    page.goto(f"{stack.ui_url}/?run={training[0]}")
    first = wait_points(page, 0)
    grown = wait_points(page, first[0])  # the next polls extend it: more logged steps, nothing redrawn
    assert grown[0] > first[0] and len(grown) == 2  # loss, then the validation passes
    later = wait_points(page, 2 * grown[0])
    assert later[1] < later[0] / 10, later  # every logged step, not only the evaluations
    note = page.locator(".fs-live-note").inner_text()
    assert "logged steps, to step" in note and "of 1,000,000 · training" in note, note
    page.get_by_label("KL", exact=True).check()  # a second term: the curve is drawn again with it
    page.wait_for_function("() => document.querySelector('.fs-live-curve .js-plotly-plot').data.length === 3")
    assert [t for t in page.evaluate("() => document.querySelector('.fs-live-curve .js-plotly-plot').data"
                                     ".map(t => t.name)")] == ["loss", "KL", "validation loss (evaluations)"]
    shot(page, "run-live-curve")

    row = page.locator(f'#runs-table tr[data-run="{queued}"]')  # (text_content: the list may be reloading)
    assert row.locator(".badge").text_content() == "queued"
    assert "queued — " in (row.text_content() or "") and "ahead" in (row.text_content() or ""), row.text_content()
    row.get_by_role("button", name=queued).click()
    card = page.locator("#runs-queued")
    card.wait_for()
    assert card.inner_text().startswith("queued — ") and "ahead" in card.inner_text()
    assert "· queued" in page.locator("#runs-run-card .card-header").inner_text()
    page.wait_for_function("() => (document.querySelector('.fs-live-note') || {}).innerText === "
                           "'0 logged steps yet · training'")


def test_a_finished_runs_curve_has_every_logged_step(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.ui_url}/?run={RUN}")
    counts = wait_points(page, 0)
    assert counts == [10, 2], counts  # 100 steps logged every 10; validation at 50 and 100
    page.wait_for_function("() => document.querySelector('.fs-live-note').innerText.includes('· ready')")
    assert "10 logged steps, to step 100 of 100" in page.locator(".fs-live-note").inner_text()
