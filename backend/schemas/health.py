from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(description="the factorscope package version")


class ReadyPublic(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, bool] = Field(description="runs store, inference thread, jobs database")
    workers: int = Field(description="job worker slots (each runs one job at a time) that gave a sign of life in "
                         "the last 60 s; 0: queued jobs wait until a worker starts (factorscope worker)")
