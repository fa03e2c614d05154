"""Typed dependencies: ``SettingsDep``, ``StoreDep``, ``ExecutorDep``, ``JobsDep`` and shared parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from .config import Settings, get_settings
from .inference import InferenceExecutor
from .jobs import JobStore
from .labelling import LabelStore
from .labelling.rankings import Rankings
from .schemas.common import RunIdStr, VersionStr
from .store import RunStore


def get_run_store(request: Request) -> RunStore:
    return request.app.state.run_store


def get_executor(request: Request) -> InferenceExecutor:
    return request.app.state.executor


def get_jobs(request: Request) -> JobStore:
    return request.app.state.jobs


def get_labels(request: Request) -> LabelStore:
    return request.app.state.labels


def get_rankings(request: Request) -> Rankings:
    return request.app.state.rankings


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[RunStore, Depends(get_run_store)]
ExecutorDep = Annotated[InferenceExecutor, Depends(get_executor)]
JobsDep = Annotated[JobStore, Depends(get_jobs)]
LabelsDep = Annotated[LabelStore, Depends(get_labels)]
RankingsDep = Annotated[Rankings, Depends(get_rankings)]

RunId = Annotated[RunIdStr, Path(description="a run id from GET /api/v1/runs")]
IfNoneMatch = Annotated[str | None, Header(description="ETags already held: a match answers 304 without any work")]
VersionParam = Annotated[VersionStr | None, Query(description="the run version this link or script was made for; "
                                                  "another current version answers 409")]
