"""Any other path: say so and point home."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

dash.register_page(__name__, name="Not found", title="Not found — factorscope")


def layout(**_query: Any) -> html.Div:
    return html.Div([html.H1("Page not found", className="h4"),
                     dbc.Alert([html.Strong("No such page. "), dcc.Link("Go to the runs", href="/",
                                                                         className="alert-link")],
                               color="warning", className="mt-3")])
