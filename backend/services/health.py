"""Readiness checks and the package version."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from ..inference import InferenceExecutor
from ..jobs import JobStore
from ..store import RunStore

log = logging.getLogger("factorscope.api")


def package_version() -> str:
    try:
        return version("factorscope")
    except PackageNotFoundError:
        return "0+unknown"


def readiness(store: RunStore, executor: InferenceExecutor, jobs: JobStore) -> dict[str, bool]:
    return {"runs": (store.home / "runs").is_dir(), "inference": executor.alive, "jobs": _jobs_ok(jobs)}


def _jobs_ok(jobs: JobStore) -> bool:
    try:
        jobs.ping()
    except Exception as err:  # noqa: BLE001 - any database failure means "not ready"; the log says why
        log.warning("jobs database not ready: %s", err)
        return False
    return True
