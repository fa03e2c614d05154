"""The app shell: navbar (one link per page that asks for one), the page container and the stores shared
across pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

CURRENT_RUN = "current-run"  # session store: the run last shown, for pages opened without ?run=


def nav_pages(pages: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted((p for p in pages if p.get("nav")), key=lambda p: p.get("order") or 0)


def create_navbar(pages: Iterable[Mapping[str, Any]]) -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], active="exact", id=f"nav-{p['name'].lower()}"))
             for p in nav_pages(pages)]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("factorscope", href="/", className="fw-semibold"),
        dbc.Nav(links, navbar=True, className="fs-nav"),
    ], fluid=True), color="dark", dark=True, className="mb-3 fs-navbar")


def create_shell(pages: Iterable[Mapping[str, Any]]) -> html.Div:
    return html.Div([
        create_navbar(pages),
        dcc.Store(id=CURRENT_RUN, storage_type="session"),
        html.Main(dbc.Container(dash.page_container, fluid=True, className="fs-main")),  # the main landmark
    ])
