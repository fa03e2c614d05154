"""The Embedding page's points, kept on the Dash server: the browser holds only the view's key (``view_key``: run,
version, method, dims, scope, n, seed and the sample's size), never the points, so no callback uploads them. Each
Dash app keeps its last VIEW_CACHE_SIZE views (least recently used out first); a key it does not hold (a restarted or
second worker) is fetched again from the backend, whose ETags make that cheap. Entries are per signed-in token: with
FACTORSCOPE_AUTH_READS on, a view fetched with one user's token is never served to a request without it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import flask

from ..api_client import Embedding
from ..auth import request_token
from ..state import EmbeddingState

VIEW_CACHE_SIZE = 4  # views of up to 1,000,000 points each: a few hundred MB at most
EXTENSION = "factorscope-views"
KEY = ("run_id", "version", "method", "dim_x", "dim_y", "scope", "n", "seed", "size")


def view_key(run: Mapping[str, Any], state: EmbeddingState, size: int) -> dict[str, Any]:
    """The browser's handle on a view: what decides its points (``size``: the items the sample holds)."""
    return {"run_id": run["run_id"], "version": run["version"], "method": state.method, "dim_x": state.dim_x,
            "dim_y": state.dim_y, "scope": state.scope, "n": state.n, "seed": state.seed, "size": size}


def key_id(key: Mapping[str, Any]) -> tuple[Any, ...]:
    """The cache's key: the view's parts and the token of the request asking (None when signed out)."""
    return (request_token(), *(key[k] for k in KEY))


def key_state(key: Mapping[str, Any]) -> EmbeddingState:
    """The axes part of the view a key stands for."""
    return EmbeddingState(run=key["run_id"], v=key["version"], method=key["method"], dim_x=key["dim_x"],
                          dim_y=key["dim_y"], scope=key["scope"], n=key["n"], seed=key["seed"])


class ViewCache:
    """At most ``size`` embeddings by view key, least recently used out first; safe across the server's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._views: OrderedDict[tuple[Any, ...], Embedding] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: Mapping[str, Any], emb: Embedding) -> None:
        with self._lock:
            self._views[key_id(key)] = emb
            self._views.move_to_end(key_id(key))
            while len(self._views) > self._size:
                self._views.popitem(last=False)

    def get(self, key: Mapping[str, Any], fetch: Callable[[], Embedding]) -> Embedding:
        """The view's points, fetched (and kept) when not held."""
        with self._lock:
            emb = self._views.get(key_id(key))
            if emb is not None:
                self._views.move_to_end(key_id(key))
                return emb
        emb = fetch()  # outside the lock: other views stay readable while the backend answers
        self.put(key, emb)
        return emb


def view_cache() -> ViewCache:
    """The cache of the Dash app serving this request."""
    return flask.current_app.extensions.setdefault(EXTENSION, ViewCache(VIEW_CACHE_SIZE))
