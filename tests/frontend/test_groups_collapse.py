"""Groups page (issue 18): a run the API says has collapsed gets a danger alert above its heatmap, so a heatmap is
never read off a dead model; a run without the warning gets none."""

from __future__ import annotations

import importlib
from types import ModuleType

import dash_bootstrap_components as dbc
import httpx
import pytest
from component_text import text_of
from dash import Dash
from fake_backend import FACTORS, GROUPED_RUN, FakeBackend

from frontend.api_client import BackendClient

COLLAPSED = ("The model has collapsed: total KL 0.002 nats and total MI 0.001 nats (2000 items), under 0.1. Its "
             "encoder ignores the data.")


@pytest.fixture(scope="module")
def groups(app: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.groups")


@pytest.fixture
def grouped(backend: FakeBackend) -> FakeBackend:
    backend.runs.insert(0, dict(GROUPED_RUN))
    return backend


def test_a_collapsed_run_is_said_so_above_the_heatmap(groups: ModuleType, client: BackendClient,
                                                       grouped: FakeBackend) -> None:
    answer = {**FACTORS, "run_id": "grouped", "warnings": [COLLAPSED]}
    grouped.overrides[("GET", "/api/v1/runs/grouped/factors")] = lambda request: httpx.Response(200, json=answer)
    data, *_, alerts, _ = groups.load_groups(client, "grouped", {"run": "grouped"}, None)
    assert data is not None and len(alerts) == 1  # the collapse alone: "z0 is unused" would add nothing
    alert = alerts[0]
    assert isinstance(alert, dbc.Alert) and alert.color == "danger" and alert.id == "groups-collapsed"
    assert " ".join(text_of(alert).split()).startswith(f"Run grouped: {COLLAPSED} Do not read the heatmap below")


def test_a_run_without_the_warning_gets_no_collapse_alert(groups: ModuleType, client: BackendClient,
                                                          grouped: FakeBackend) -> None:
    *_, alerts, _ = groups.load_groups(client, "grouped", {"run": "grouped"}, None)
    assert [getattr(a, "id", None) for a in alerts] == [None]  # only the note on the unused dim z0
    assert "z0 carries no information" in text_of(alerts[0])
