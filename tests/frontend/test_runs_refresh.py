"""The runs list refreshes every WATCH_MS while a run trains (#20 item 6): the list stays on screen through each
refresh (no dcc.Loading over it, which blanked it to a spinner every time); a spinner shows only until the first
answer."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import dash_bootstrap_components as dbc
import httpx
import pytest
from component_text import text_of
from dash import Dash, dcc, no_update
from fake_backend import FakeBackend, problem

from frontend.api_client import BackendClient

RUNS = ("GET", "/api/v1/runs")


def walk(component: Any, ancestors: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(component, its ancestors) for each component of a layout tree."""
    yield component, ancestors
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child, (*ancestors, component))


def test_no_spinner_covers_the_list_on_a_refresh_only_before_the_first_answer(app: Dash,
                                                                              client: BackendClient) -> None:
    runs = importlib.import_module("frontend.pages.runs")
    found = {c.id: (c, up) for c, up in walk(runs.layout()) if isinstance(getattr(c, "id", None), str)}
    wrap, ancestors = found["runs-table-wrap"]
    assert not any(isinstance(a, dcc.Loading) for a in ancestors)  # a refresh swaps the list in place
    assert any(isinstance(c, dbc.Spinner) for c, _ in walk(wrap))  # the first load shows a spinner
    table, *_ = runs.runs_table(client, "tiny")  # what replaces it: the list, without a spinner
    assert "tiny" in str(table) and not any(isinstance(c, dbc.Spinner | dcc.Loading) for c, _ in walk(table))


def answer_once(backend: FakeBackend, answer: httpx.Response | Exception) -> None:
    """The fake backend answers the next read of the runs with ``answer`` (or raises it), then as usual."""
    def once(_request: httpx.Request) -> httpx.Response:
        del backend.overrides[RUNS]
        if isinstance(answer, Exception):
            raise answer
        return answer
    backend.overrides[RUNS] = once


@pytest.mark.parametrize("trouble", [problem(503, "Service Unavailable", "busy"), problem(504, "Gateway Timeout", ""),
                                     httpx.ConnectError("connection refused")], ids=["503", "504", "unreachable"])
def test_a_busy_refresh_keeps_the_list_and_its_watch(app: Dash, client: BackendClient, backend: FakeBackend,
                                                     trouble: httpx.Response | Exception) -> None:
    """While a run trains, one refresh that meets a busy or unreachable backend leaves the list on screen and the
    watch running (the next refresh shows it again), with the alert; it did blank the list and stop the watch."""
    runs = importlib.import_module("frontend.pages.runs")
    backend.runs[0]["status"] = "training"
    table, alert, watch_disabled, _ = runs.runs_table(client, None)
    assert "tiny" in str(table) and alert is None and not watch_disabled
    answer_once(backend, trouble)
    table, alert, watch_disabled, store = runs.runs_table(client, None)
    assert table is no_update and store is no_update and not watch_disabled
    assert "Could not refresh the runs." in text_of(alert) and "Try again" in text_of(alert)
    table, alert, watch_disabled, _ = runs.runs_table(client, None)  # the next refresh gets through
    assert "tiny" in str(table) and alert is None and not watch_disabled


def test_a_refresh_refused_for_good_still_says_so_and_stops(app: Dash, client: BackendClient,
                                                            backend: FakeBackend) -> None:
    """Not a passing trouble (here a 500): the list gives way to the alert and the watch stops, as before."""
    runs = importlib.import_module("frontend.pages.runs")
    backend.runs[0]["status"] = "training"
    answer_once(backend, problem(500, "Internal Server Error", "boom"))
    table, alert, watch_disabled, _ = runs.runs_table(client, None)
    assert table is None and watch_disabled and "Could not list the runs." in text_of(alert)
