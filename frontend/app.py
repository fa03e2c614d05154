"""``create_app(settings)``: the Dash app (pages discovered from ``pages/``), its backend client and its Flask
routes: the traversal download (same origin, so the browser honours ``download``), sign-in and the /api/v1 proxy."""

from __future__ import annotations

from pathlib import Path

import dash
import flask
from dash import Dash

from .api_client import BackendClient, BackendError, make_client
from .auth import install_signin, request_token
from .components.shell import create_shell
from .config import FrontendSettings
from .context import AppContext, current, install
from .proxy import install_proxy
from .state import ExploreState

HERE = Path(__file__).resolve().parent


def create_app(settings: FrontendSettings | None = None, client: BackendClient | None = None) -> Dash:
    """The dashboard. ``client`` defaults to one on ``settings.backend_url`` (tests pass a fake)."""
    settings = settings or FrontendSettings()
    # update_title=None keeps the tab title while callbacks run: documented by Dash, but typed ``str`` there
    app = Dash("frontend", use_pages=True, pages_folder=str(HERE / "pages"), assets_folder=str(HERE / "assets"),
               title="factorscope", update_title=None, suppress_callback_exceptions=True,  # type: ignore[arg-type]
               compress=True,  # gzip/brotli (flask-compress): Dash's bundles are 6.7 MB raw on a cold load
               meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # the pages' language, for readers
    install(app.server, AppContext(client or make_client(settings, request_token), settings))
    install_signin(app.server)  # /auth/signin and /auth/signout: the token cookie the client forwards
    app.server.add_url_rule("/download/traversal.png", "download_traversal", download_traversal)
    install_proxy(app.server)  # /api/v1/... forwarded to the backend: one address for the browser (frontend/proxy.py)
    app.layout = create_shell(dash.page_registry.values())
    return app


def download_traversal() -> flask.Response:
    """/download/traversal.png?<explore query>: the backend's traversal PNG as an attachment."""
    state = ExploreState.from_query(flask.request.args)
    if state.run is None or not state.dims:
        return flask.Response("expected ?run=<run id>&dims=<comma-separated dims>", 400, mimetype="text/plain")
    try:
        content = current().client.traversal_png(state.run, state.image_params())
    except BackendError as err:
        return flask.Response(f"{err.title}: {err.detail}", err.status, mimetype="text/plain")
    name = f"traversal-{state.run}-dims{'-'.join(map(str, state.dims))}.png"
    return flask.Response(content, mimetype="image/png",
                          headers={"Content-Disposition": f'attachment; filename="{name}"'})
