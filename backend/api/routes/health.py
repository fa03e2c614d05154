"""Liveness (the process answers) and readiness (runs store, inference thread and jobs database work).

Both are ``async def`` with no synchronous dependency, and ``never_queued`` (exempt from admission,
api/admission.py): they never wait for a thread or a slot that other requests hold. /health runs on the event loop
alone; /ready's checks touch the disk and the database, so they run on the probes' own threads
(``app.state.probe_threads``).
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Request

from ...deps import get_executor, get_jobs, get_run_store
from ...errors import ServiceBusy
from ...inference import InferenceExecutor
from ...jobs import JobStore
from ...jobs.liveness import live_workers
from ...schemas import HealthPublic, ReadyPublic
from ...services.health import package_version, readiness
from ...store import RunStore
from ..admission import never_queued
from ..responses import problems

router = APIRouter(tags=["health"])
VERSION = package_version()  # read once: the event loop never reads package metadata


@router.get("/health", response_model=HealthPublic, summary="The process is up")
@never_queued
async def health() -> HealthPublic:
    return HealthPublic(version=VERSION)


@router.get("/ready", response_model=ReadyPublic, responses=problems(503),
            summary="The stores and executor work (and how many job workers run)")
@never_queued
async def ready(request: Request) -> ReadyPublic:
    checks, workers = await to_thread.run_sync(_check, get_run_store(request), get_executor(request),
                                               get_jobs(request), limiter=request.app.state.probe_threads)
    if not all(checks.values()):
        failing = sorted(name for name, ok in checks.items() if not ok)
        raise ServiceBusy(f"not ready: {', '.join(failing)} failing; expected all of {sorted(checks)} to work", 5)
    return ReadyPublic(checks=checks, workers=workers)


def _check(store: RunStore, executor: InferenceExecutor, jobs: JobStore) -> tuple[dict[str, bool], int]:
    """(each check's result, live job workers); blocking: the disk and the database."""
    checks = readiness(store, executor, jobs)
    return checks, len(live_workers(jobs)) if all(checks.values()) else 0

