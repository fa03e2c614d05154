"""``api_router``: every resource's routes, mounted under /api/v1 by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from .request_checks import checked_request
from .responses import problems
from .routes import analysis, datasets, families, groups, health, jobs, latents, lenses, metrics, runs

# 400: an unreadable body or Content-Length; 415: a body that is not JSON
api_router = APIRouter(responses=problems(400, 415, 500), dependencies=[Depends(checked_request)])
for module in (health, families, datasets, runs, latents, analysis, groups, metrics, jobs, lenses):
    api_router.include_router(module.router)
