from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(description="the factorscope package version")


class ReadyPublic(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, bool] = Field(description="runs store, inference thread, jobs database")
