"""Liveness (the process answers) and readiness (runs store, inference thread and jobs database work)."""

from __future__ import annotations

from fastapi import APIRouter

from ...deps import ExecutorDep, JobsDep, StoreDep
from ...errors import ServiceBusy
from ...jobs.liveness import live_workers
from ...schemas import HealthPublic, ReadyPublic
from ...services.health import package_version, readiness
from ..responses import problems

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, summary="The process is up")
def health() -> HealthPublic:
    return HealthPublic(version=package_version())


@router.get("/ready", response_model=ReadyPublic, responses=problems(503),
            summary="The stores and executor work (and how many job workers run)")
def ready(store: StoreDep, executor: ExecutorDep, jobs: JobsDep) -> ReadyPublic:
    checks = readiness(store, executor, jobs)
    if not all(checks.values()):
        failing = sorted(name for name, ok in checks.items() if not ok)
        raise ServiceBusy(f"not ready: {', '.join(failing)} failing; expected all of {sorted(checks)} to work", 5)
    return ReadyPublic(checks=checks, workers=len(live_workers(jobs)))
