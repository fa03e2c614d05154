"""What callbacks need from the running app: the backend client and the settings, kept on the Flask
server by ``create_app`` (so a test can install a fake client on any Flask app)."""

from __future__ import annotations

from dataclasses import dataclass

import flask

from .api_client import BackendClient, ImageUrls
from .config import FrontendSettings

EXTENSION = "factorscope"


@dataclass(frozen=True)
class AppContext:
    client: BackendClient
    settings: FrontendSettings

    @property
    def images(self) -> ImageUrls:
        """Image URLs; while serving a request, with the dashboard's origin as the browser reached it."""
        origin = flask.request.host_url if flask.has_request_context() else ""
        return ImageUrls(self.settings.public_url, origin)


def install(server: flask.Flask, context: AppContext) -> None:
    server.extensions[EXTENSION] = context


def current() -> AppContext:
    """The context of the app serving this request (callbacks, routes)."""
    return flask.current_app.extensions[EXTENSION]


def client() -> BackendClient:
    return current().client


def images() -> ImageUrls:
    return current().images


def images_if_serving() -> ImageUrls | None:
    """The image URLs when called while the app serves a request (a page layout), else None (tests)."""
    if not flask.has_app_context() or EXTENSION not in flask.current_app.extensions:
        return None
    return images()


def settings_if_serving() -> FrontendSettings:
    """The app's settings while it serves a request, else the defaults (a layout built in a test)."""
    if flask.has_app_context() and EXTENSION in flask.current_app.extensions:
        return current().settings
    return FrontendSettings.model_construct()
