"""Runs that compare: the runs list's search, filter, sort and tick boxes, and the Compare page (state, table,
overlaid curves, the page callback against the fake backend)."""

from __future__ import annotations

import importlib
from types import ModuleType
from urllib.parse import parse_qs

import pytest
from component_text import text_of
from dash import Dash
from fake_backend import DETAIL, METRICS, RUN

from frontend.api_client import BackendClient, MetricsFile, Run, RunSummary, TrainLog
from frontend.components.compare import compare_figure, compare_rows, create_compare_table
from frontend.components.runs_list import select_runs
from frontend.state import MAX_COMPARE, CompareState, RunsState, as_pinned_runs, unpin


def summary(run_id: str, created: str, status: str = "ready", family: str = "vae") -> RunSummary:
    return RunSummary.model_validate({**RUN, "run_id": run_id, "created": created, "status": status,
                                      "family": family})


def with_mig(value: float | None) -> MetricsFile:
    metrics = MetricsFile.model_validate(METRICS)
    if value is None:
        metrics.report.metrics.pop("mig_dlib", None)
    else:
        metrics.report.metrics["mig_dlib"].value = value
    return metrics


RUNS = [summary("b-vae", "2026-11-03"), summary("a-tcvae", "2026-11-02", family="beta_tcvae"),
        summary("c-oi", "2026-11-01", status="failed", family="oi_vae")]


def test_search_status_and_sort_choose_and_order_the_runs() -> None:
    metrics = {"b-vae": with_mig(0.0), "a-tcvae": with_mig(0.4), "c-oi": with_mig(None)}
    ids = lambda runs: [r.run_id for r in runs]  # noqa: E731
    assert ids(select_runs(RUNS, metrics)) == ["b-vae", "a-tcvae", "c-oi"]  # newest first
    assert ids(select_runs(RUNS, metrics, sort="oldest")) == ["c-oi", "a-tcvae", "b-vae"]
    assert ids(select_runs(RUNS, metrics, sort="name")) == ["a-tcvae", "b-vae", "c-oi"]
    assert ids(select_runs(RUNS, metrics, sort="mig")) == ["a-tcvae", "b-vae", "c-oi"]  # 0.4, 0.0, none last
    assert ids(select_runs(RUNS, metrics, search="VAE digits")) == ["b-vae", "a-tcvae", "c-oi"]
    assert ids(select_runs(RUNS, metrics, search="tcvae")) == ["a-tcvae"]
    assert ids(select_runs(RUNS, metrics, status="failed")) == ["c-oi"]
    assert select_runs(RUNS, metrics, search="nothing-like-it") == []


def test_the_runs_link_keeps_search_filter_and_sort() -> None:
    state = RunsState.from_query({"q": "tcvae dsprites", "status": "ready", "sort": "mig"})
    assert RunsState.from_query(parse_qs(state.to_query()[1:])) == RunsState(q="tcvae dsprites", status="ready",
                                                                              sort="mig")
    assert RunsState().href() == "/"  # the default order writes nothing
    bad = RunsState.from_query({"status": "bogus", "sort": "random"})
    assert (bad.status, bad.sort) == (None, "newest")
    assert bad.unused({"status": "bogus", "sort": "random"}) == ["status=bogus", "sort=random"]


def test_compare_links_pin_versions_and_drop_what_they_cannot_use() -> None:
    assert as_pinned_runs("a, b@3f2c,a@99,Bad!,c") == ("a", "b@3f2c", "c")  # distinct by run, in order
    assert unpin("b@3f2c") == ("b", "3f2c") and unpin("a") == ("a", None)
    many = ",".join(f"r{i}" for i in range(MAX_COMPARE + 3))
    assert len(CompareState.from_query({"runs": many}).runs) == MAX_COMPARE
    state = CompareState(runs=("a", "b@3f2c"), series="train_kl")
    assert state.href() == "/compare?runs=a,b@3f2c&series=train_kl"
    assert CompareState.from_query({"runs": "a,b@3f2c", "series": "train_kl"}) == state
    assert CompareState.from_query({"series": "nope"}).series == "val_loss"


def two_runs() -> list[Run]:
    other = {**DETAIL, "run_id": "tiny-b4", "version": "b" * 16, "config": {**DETAIL["config"], "beta": 4.0},
             "history": [{"step": 50, "val_loss": 40.0}, {"step": 100, "val_loss": 35.5}]}
    return [Run.model_validate(DETAIL), Run.model_validate(other)]


def test_the_table_puts_what_differs_first_and_says_so() -> None:
    rows = compare_rows(two_runs())
    differing = [name for name, cells in rows if len(set(cells)) > 1]
    assert differing == ["version", "config.beta"] and [n for n, _ in rows][:2] == differing
    assert dict(rows)["config.beta"] == ["1", "4"]
    assert dict(rows)["family"] == ["vae", "vae"] and dict(rows)["train.lr"] == ["0.001", "0.001"]
    assert dict(rows)["MIG (dlib)"] == ["0.12", "0.12"]
    text = text_of(create_compare_table(two_runs()))
    assert "config.beta  · differs 1 4" in text and "tiny-b4 @ bbbbbbbb" in text and text.count("differs") == 2


def test_the_curves_overlay_one_line_per_run() -> None:
    fig = compare_figure(two_runs(), "val_loss")
    assert [t.name for t in fig.data] == [f"tiny @ {DETAIL['version'][:8]}", "tiny-b4 @ bbbbbbbb"]
    assert list(fig.data[1].y) == [40.0, 35.5] and fig.layout.yaxis.title.text == "validation loss (nats per item)"
    assert "no run has a recorded train recon" in str(compare_figure(two_runs(), "train_recon").layout.annotations)



def test_a_training_term_is_drawn_at_every_logged_step_where_the_log_is_given() -> None:
    log = TrainLog(run_id="tiny", status="ready", done=True, step=[10, 20, 30], val_loss=[None] * 3,
                   time=[None] * 3, terms={"loss": [9.0, 8.0, 7.5], "kl": [1.0, 1.2, 1.3]})
    runs = [{**DETAIL, "history": [{"step": 30, "val_loss": 8.0, "train_loss": 7.5}]}, {**DETAIL, "run_id": "b",
            "history": [{"step": 30, "val_loss": 9.0, "train_loss": 8.5}]}]
    fig = compare_figure([Run.model_validate(r) for r in runs], "train_loss", {"tiny": log})
    assert list(fig.data[0].x) == [10, 20, 30] and fig.data[0].mode == "lines"  # the log: every logged step
    assert list(fig.data[1].x) == [30] and fig.data[1].mode == "lines+markers"  # no log given: its history
    assert list(compare_figure([Run.model_validate(runs[0])], "val_loss", {"tiny": log}).data[0].y) == [8.0]

@pytest.fixture(scope="module")
def page(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.compare")


def test_the_page_compares_the_chosen_runs_and_reports_the_missing(page: ModuleType, with_client: Dash,
                                                                   client: BackendClient) -> None:
    fig, table, alerts, query = page.compare(["tiny", "grouped"], "val_loss")
    assert len(fig.data) == 2 and "tiny @" in text_of(table) and alerts is None
    assert query == "?runs=tiny,grouped&series=val_loss"
    fig, table, alerts, _ = page.compare(["tiny", "nope"], "val_loss")
    assert len(fig.data) == 1 and "Could not load run nope" in text_of(alerts)
    _, table, _, query = page.compare(["tiny"], "val_loss")
    assert "Choose two or more runs" in text_of(table) and query == "?runs=tiny&series=val_loss"
    options = page.options("", ["tiny@" + "c" * 8])
    assert options[0] == {"label": "tiny@cccccccc (pinned version)", "value": "tiny@cccccccc"}
    assert "tiny" in {o["value"] for o in options}  # the fake lists one run


def test_ticks_survive_a_search_that_hides_them() -> None:
    runs = importlib.import_module("frontend.pages.runs")
    assert runs.ticked_runs([], ["a", "b", "c"], [True, False, True]) == ["a", "c"]
    assert runs.ticked_runs(["c", "a"], ["a", "b"], [False, True]) == ["c", "b"]  # c hidden: kept; a unticked
    assert runs.tick([True, True], [{"run": "a"}, {"run": "b"}], []) == (
        ["a", "b"], "/compare?runs=a,b&series=val_loss", False, "Compare 2 ticked runs")
    assert runs.tick([True, False], [{"run": "a"}, {"run": "b"}], [])[2:] == (True, "Tick two or more runs to compare")
