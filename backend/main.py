"""``create_app(settings)``: the FastAPI application. Run it with ``factorscope serve`` or
``uvicorn --factory backend.main:create_app``.

The lifespan opens the RunStore, starts the inference executor's thread, opens the JobStore (and, with
``start_worker``, the job worker process), and closes them in reverse order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import torch
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from models import select_device

from .api.admission import Admission, EarlyRefusal, open_thread_pools
from .api.body_limit import BodySizeLimit
from .api.head import HeadAsGet
from .api.host_check import HostCheck
from .api.request_checks import WRITE_HEADER, document_write_header
from .api.responses import document_body_limit
from .api.router import api_router
from .auth.openapi import document_optional_token
from .config import Settings, get_settings
from .errors import install_error_handlers
from .inference import InferenceExecutor, default_chunk_rows, deterministic_device
from .jobs import JobStore, start_worker_process, stop_worker_process
from .labelling import LabelStore
from .labelling.rankings import Rankings
from .schemas import Problem
from .schemas.limits import document_limits
from .services.health import package_version
from .store import RunStore

API_PREFIX = "/api/v1"


def open_executor(settings: Settings, device: torch.device) -> InferenceExecutor:
    chunk_rows = settings.inference_chunk_rows or default_chunk_rows(device)
    gpu = deterministic_device(device)
    fixed_shape = gpu if settings.inference_fixed_shape is None else settings.inference_fixed_shape
    return InferenceExecutor(settings.inference_queue_size, settings.inference_max_batch, chunk_rows,
                             settings.inference_timeout_s, settings.retry_after_s, fixed_shape).start()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app_settings(app)
    app.state.probe_threads = open_thread_pools(settings)  # /ready's own threads
    device = select_device(settings.device)
    app.state.run_store = RunStore(settings.home, device, settings.model_cache_size)
    app.state.executor = open_executor(settings, device)
    app.state.jobs = JobStore(settings.database_url)
    app.state.labels, app.state.rankings = LabelStore(app.state.jobs.engine), Rankings()  # in the jobs database
    worker = None
    if settings.start_worker:
        worker = start_worker_process({"FACTORSCOPE_HOME": str(settings.home),
                                       "FACTORSCOPE_DATABASE_URL": settings.database_url})
    try:
        yield
    finally:
        if worker is not None:
            stop_worker_process(worker)
        app.state.executor.close()
        app.state.rankings.close()
        app.state.jobs.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API; ``settings`` (default: from the environment) also override ``get_settings`` in routes."""
    app = FastAPI(title="factorscope", version=package_version(), lifespan=lifespan,
                  description="Latent factors of deep generative models: runs, traversals, information, jobs. "
                  "Errors are RFC 9457 problems (application/problem+json). A write without a JSON body needs "
                  f"the header {WRITE_HEADER} (any value), which a cross-site form cannot send.")
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    configured = app_settings(app)
    app.state.admission = Admission(configured) if configured.admission else None  # api/admission.py
    if app.state.admission is not None:  # the innermost: it sees HEAD as GET, and its 503s get CORS headers
        app.add_middleware(EarlyRefusal, admission=app.state.admission)
    app.add_middleware(BodySizeLimit, max_bytes=configured.max_body_bytes)
    app.add_middleware(HeadAsGet)
    if configured.cors_origins:  # closed unless configured: no Access-Control-Allow-Origin for anyone
        app.add_middleware(CORSMiddleware, allow_origins=configured.cors_origins, allow_headers=["Content-Type",
                           WRITE_HEADER], allow_methods=["GET", "HEAD", "POST", "DELETE"],
                           expose_headers=["ETag", "Retry-After"])
    app.add_middleware(HostCheck, allowed=configured.allowed_hosts)  # added last: the outermost, first to run
    app.include_router(api_router, prefix=API_PREFIX)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_settings(app: FastAPI) -> Settings:
    """The settings routes see: ``get_settings`` or its override in ``app.dependency_overrides``."""
    return app.dependency_overrides.get(get_settings, get_settings)()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the Problem schema that every error response refers to, with the limits that are
    settings filled in from this app's settings."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        document_write_header(doc)
        document_optional_token(doc)
        document_limits(doc, app_settings(app))
        document_body_limit(doc, app_settings(app).max_body_bytes)
        app.openapi_schema = doc
    return app.openapi_schema
