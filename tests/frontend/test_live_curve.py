"""The live training curve (components/live_curve.py) and how a queued job reads (components/queue.py): evaluations
placed at their step, only new points sent on each poll, the cursor that says where the next poll starts."""

from __future__ import annotations

import importlib
from typing import Any

import dash
import httpx
import pytest
from dash import Dash
from fake_backend import TRAIN_LOG, FakeBackend, problem

from frontend.api_client import BackendClient, Job, RunSummary, TrainLog
from frontend.components.live_curve import (
    EVALUATIONS,
    advance,
    evaluation_points,
    extension,
    live_figure,
    new_cursor,
    progress_note,
    term_options,
)
from frontend.components.queue import queue_text, shown_status, wait_text


def log(steps: list[int], val: list[float | None], *, every: int = 50, total: int = 100, done: bool = False,
        more: bool = False, **terms: list[float | None]) -> TrainLog:
    return TrainLog(run_id="r", status="ready" if done else "training", done=done, total_steps=total,
                    eval_every=every, last_step=steps[-1] if steps else None, more=more, step=steps,
                    time=[None] * len(steps), val_loss=val, terms=terms)


def test_evaluations_sit_at_the_step_they_were_made() -> None:
    page = log([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [None] * 4 + [3.0] * 5 + [2.5], loss=[9.0] * 10)
    assert evaluation_points(page, 0) == ([50, 100], [3.0, 2.5])
    assert evaluation_points(page, 50) == ([100], [2.5])  # drawn already: only the new one
    # validation every 25 steps, a line every 10: a line carries the last pass, made at the last multiple of 25
    uneven = log([10, 20, 30, 40, 50, 60, 70], [None, None, 4.0, 4.0, 3.5, 3.5, 3.5], every=25, total=70)
    assert evaluation_points(uneven, 0) == ([25, 50, 70], [4.0, 3.5, 3.5])  # 70: the run's last step


def test_the_figure_draws_each_chosen_term_then_the_evaluations() -> None:
    page = log([10, 20, 30], [None, None, None], every=100, loss=[5.0, 4.0, 3.0], kl=[None, 1.0, 1.5])
    fig = live_figure(page, ["loss", "kl"])
    assert [t.name for t in fig.data] == ["loss", "KL", EVALUATIONS]
    assert list(fig.data[1].x) == [20, 30] and list(fig.data[1].y) == [1.0, 1.5]  # the step without kl left out
    assert fig.layout.xaxis.title.text == "step of 100" and fig.layout.uirevision == "r"


def test_polls_send_only_new_points_and_end_with_the_log() -> None:
    cursor = new_cursor("r", ["loss"])
    first = log([10, 20], [None, None], loss=[5.0, 4.0], more=True)
    cursor = advance(cursor, first)
    assert cursor["after"] == 20 and cursor["points"] == 2 and cursor["terms"] == ["loss"] and not cursor["done"]
    second = log([30, 40, 50], [None, None, 3.0], loss=[3.5, 3.2, 3.0], kl=[1.0, 1.1, 1.2], done=True)
    data, traces = extension(second, cursor) or [{}, []]
    assert traces == [0, 1] and data["x"] == [[30, 40, 50], [50]] and data["y"] == [[3.5, 3.2, 3.0], [3.0]]
    cursor = advance(cursor, second)
    assert cursor["after"] == 50 and cursor["evaluated"] == 50 and cursor["terms"] == ["loss", "kl"]
    assert cursor["done"] and "5 logged steps, to step 50 of 100 · ready" == progress_note(cursor, second)
    assert extension(log([], [], done=True), cursor) is None  # nothing new: nothing sent
    assert not advance(new_cursor("r"), log([10], [None], done=True, more=True))["done"]  # more waits: not done
    assert term_options(["loss", "tc"]) == [{"label": "loss", "value": "loss"},
                                            {"label": "total correlation", "value": "tc"}]


@pytest.mark.parametrize(("job", "text"), [
    ({"jobs_ahead": 2, "estimated_start_s": 170}, "queued — 2 jobs ahead, starts in about 3 min"),
    ({"jobs_ahead": 1}, "queued — 1 job ahead"),
    ({"jobs_ahead": 0, "estimated_start_s": 5}, "queued — next in line, starts in under a minute"),
    ({}, "queued"),
    ({"jobs_ahead": 1, "estimated_start_reason": "no job worker is running: it starts once one does"},
     "queued — 1 job ahead (start not estimated: no job worker is running: it starts once one does)"),
])
def test_a_queued_job_says_how_many_come_first_and_when_it_starts(job: dict[str, Any], text: str) -> None:
    assert queue_text(Job(job_id="j", state="queued", **job)) == text


def test_waits_and_statuses_read_plainly() -> None:
    assert wait_text(3 * 3600 + 5 * 60) == "in about 3 h 5 min" and wait_text(7200) == "in about 2 h"
    assert queue_text(Job(job_id="j", state="running", jobs_ahead=3)) is None
    run = RunSummary(run_id="r", family="vae", dataset="bars", status="training")
    assert shown_status(run, Job(job_id="j", state="queued")) == "queued"
    assert shown_status(run, Job(job_id="j", state="running")) == "training" and shown_status(run, None) == "training"


def test_the_page_draws_once_then_extends_and_stops_with_the_log(app: Dash, client: BackendClient,
                                                                  backend: FakeBackend) -> None:
    runs = importlib.import_module("frontend.pages.runs")
    figure, extended, cursor, stopped, options, note = runs.live_update(client, new_cursor("tiny", ["loss"]), ["loss"])
    assert [t.name for t in figure.data] == ["loss", EVALUATIONS] and extended is dash.no_update
    assert cursor["after"] == 100 and stopped and note == "2 logged steps, to step 100 of 100 · ready"
    assert [o["value"] for o in options] == ["loss", "recon", "kl"]
    empty = {**TRAIN_LOG, "after": 100, "last_step": None, "step": [], "time": [], "val_loss": [],
             "terms": {name: [] for name in TRAIN_LOG["terms"]}}
    backend.overrides[("GET", "/api/v1/runs/tiny/log")] = lambda r: httpx.Response(200, json=empty)
    _, extended, again, *_ = runs.live_update(client, {**cursor, "done": False}, ["loss"])  # a poll after step 100
    assert extended is dash.no_update and again["points"] == 2  # nothing new: nothing sent
    assert backend.calls[-1][2] == {"after": "100", "limit": "10000"}
    del backend.overrides[("GET", "/api/v1/runs/tiny/log")]
    figure, *_ = runs.live_update(client, cursor, ["loss", "kl"])  # another term: drawn again from the start
    assert [t.name for t in figure.data] == ["loss", "KL", EVALUATIONS] and backend.calls[-1][2]["after"] == "0"
    backend.overrides[("GET", "/api/v1/runs/tiny/log")] = lambda r: problem(404, "Not Found", "no run 'tiny'")
    *_, stopped, _, alert = runs.live_update(client, cursor, ["loss"])
    assert stopped and "no run 'tiny'" in str(alert)  # a deleted run: the poll stops, saying why
