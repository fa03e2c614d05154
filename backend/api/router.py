"""``api_router``: every resource's routes, mounted under /api/v1 by ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..auth import authorized_request
from ..auth.routes import router as auth_routes
from .admission import admitted
from .request_checks import checked_request
from .responses import problems
from .routes import (
    analysis,
    datasets,
    families,
    groups,
    health,
    item_sets,
    items,
    jobs,
    label_sessions,
    latents,
    lenses,
    metrics,
    projections,
    runs,
    train_log,
)

# 400: an unreadable body or Content-Length; 401: a token unknown or revoked (or none where auth asks for one);
# 415: a body that is not JSON; 503: the route's class is full (admission). Admission comes first, so a request
# waits for nothing before it (a token lookup included); then who may do what (auth): a refused caller learns no more.
api_router = APIRouter(responses=problems(400, 401, 415, 500, 503),
                       dependencies=[Depends(admitted), Depends(authorized_request), Depends(checked_request)])
for module in (health, families, datasets, items, runs, train_log, latents, analysis, projections, groups, metrics,
               jobs, lenses, label_sessions, item_sets):
    api_router.include_router(module.router)
api_router.include_router(auth_routes)
