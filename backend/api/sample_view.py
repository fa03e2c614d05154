"""``SampleViewDep``: the steps every GET of a cached view of a run's (n, seed) sample takes (GET .../factor-mi,
.../typical-item, .../neighbours), so that each route says only what differs: its ETag's parts and its body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Response
from pydantic import BaseModel

from ..config import Settings
from ..deps import ExecutorDep, IfNoneMatch, SettingsDep, StoreDep
from ..inference import InferenceExecutor
from ..runs import RunRecord
from ..services import analysis
from ..store import LoadedRun, RunStore
from .responses import cache_headers, etag, matches, not_modified


class SampleParams(Protocol):
    """The query fields of a sample view: items sampled, the sample's seed, the run version asked for."""

    n: int
    seed: int
    v: str | None


@dataclass(frozen=True)
class SampleView:
    store: RunStore
    executor: InferenceExecutor
    settings: Settings
    response: Response
    if_none_match: str | None

    def serve(self, run_id: str, q: SampleParams, key: Callable[[RunRecord], tuple[object, ...]],
              build: Callable[[LoadedRun], BaseModel],
              check_n: Callable[[int, Settings], None] = analysis.check_n) -> Any:
        """404 or 409 unless the run is ready (at ``q.v`` when given); ``check_n``'s 422 for ``q.n``; 304 when
        If-None-Match holds the ETag of (run, version, ``*key(record)``), without loading the run; else ``build``'s
        body with that ETag (Cache-Control immutable with v=, else no-cache)."""
        record = self.store.ready(run_id, q.v)
        check_n(q.n, self.settings)
        tag = etag(run_id, record.version, *key(record))
        if matches(self.if_none_match, tag):
            return not_modified(tag, q.v is not None)
        body = build(self.store.load(record))
        self.response.headers.update(cache_headers(tag, q.v is not None))
        return body


def sample_view(store: StoreDep, executor: ExecutorDep, settings: SettingsDep, response: Response,
                if_none_match: IfNoneMatch = None) -> SampleView:
    return SampleView(store, executor, settings, response, if_none_match)


SampleViewDep = Annotated[SampleView, Depends(sample_view)]
