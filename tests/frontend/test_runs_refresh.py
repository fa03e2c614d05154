"""The runs list refreshes every WATCH_MS while a run trains (#20 item 6): the list stays on screen through each
refresh (no dcc.Loading over it, which blanked it to a spinner every time); a spinner shows only until the first
answer."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, dcc

from frontend.api_client import BackendClient


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
