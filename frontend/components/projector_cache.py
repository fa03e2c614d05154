"""The Embedding page's points, kept on the Dash server: the browser holds only the view's key (``view_key``: run,
version, method, dims, scope, n, seed and the sample's size), never the points, so no callback uploads them. Each
Dash app keeps its last VIEW_CACHE_SIZE views (least recently used out first) for VIEW_TTL_S at most; a key it does
not hold (a restarted or second worker, or an entry past its time) is fetched again from the backend, once: requests
for a view being fetched wait for that fetch. Entries are per signed-in token: with FACTORSCOPE_AUTH_READS on, a view
fetched with one user's token is never served to a request without it, nor for longer than VIEW_TTL_S after it was
fetched (a revoked token stops reading it then)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import flask

from ..api_client import Embedding
from ..auth import request_token
from ..state import EmbeddingState

VIEW_CACHE_SIZE = 4  # views of up to 1,000,000 points each: about 106 MB each at 737,280 points
VIEW_TTL_S = 600.0  # seconds an entry is served before it is fetched again
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
    """At most ``size`` embeddings by view key, each for ``ttl_s`` seconds, least recently used out first; safe across
    the server's threads, with one fetch per key at a time."""

    def __init__(self, size: int, ttl_s: float = VIEW_TTL_S) -> None:
        self._size = size
        self._ttl_s = ttl_s
        self._views: OrderedDict[tuple[Any, ...], tuple[float, Embedding]] = OrderedDict()
        self._fetching: dict[tuple[Any, ...], threading.Lock] = {}  # a lock per key being fetched now
        self._lock = threading.Lock()

    def put(self, key: Mapping[str, Any], emb: Embedding) -> None:
        with self._lock:
            self._views[key_id(key)] = (time.monotonic(), emb)
            self._views.move_to_end(key_id(key))
            while len(self._views) > self._size:
                self._views.popitem(last=False)

    def get(self, key: Mapping[str, Any], fetch: Callable[[], Embedding]) -> Embedding:
        """The view's points, fetched (and kept) when not held; a request for a key being fetched waits for that
        fetch rather than starting its own (a 737,280-point view is 33 MB of JSON)."""
        kid = key_id(key)
        with self._lock:
            emb = self._held(kid)
            if emb is not None:
                return emb
            gate = self._fetching.setdefault(kid, threading.Lock())
        with gate:  # outside the cache's lock: other views stay readable while the backend answers
            with self._lock:
                emb = self._held(kid)
            if emb is not None:
                return emb
            try:
                emb = fetch()
                self.put(key, emb)
            finally:
                with self._lock:
                    self._fetching.pop(kid, None)
        return emb

    def _held(self, kid: tuple[Any, ...]) -> Embedding | None:
        """The entry under ``kid`` if it is young enough (made the most recently used), else None; under the lock."""
        entry = self._views.get(kid)
        if entry is None or time.monotonic() - entry[0] > self._ttl_s:
            return None
        self._views.move_to_end(kid)
        return entry[1]


def view_cache() -> ViewCache:
    """The cache of the Dash app serving this request."""
    return flask.current_app.extensions.setdefault(EXTENSION, ViewCache(VIEW_CACHE_SIZE))
