"""Every error the API answers is an RFC 9457 problem (``application/problem+json``).

Services raise ``Problem`` subclasses (plain exceptions, no FastAPI); the models' own errors are mapped
here by type. Unexpected exceptions become a 500 problem that never shows a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from models import (
    CheckpointError,
    ConfigError,
    MissingExtraError,
    NotGaussianError,
    UnknownDatasetError,
    UnknownFamilyError,
)

from .convert import ConversionError
from .jobs import JobNotFoundError
from .labelling import (
    IdempotencyConflictError,
    LabellingInputError,
    LabelSessionClosedError,
    LabelSessionNotFoundError,
    NothingToUndoError,
)
from .runs import RunNotFoundError, StaleParent

PROBLEM_MEDIA_TYPE = "application/problem+json"
DB_RETRY_AFTER_S = 5
ORIGINAL_METHOD = "factorscope.method"  # scope key: the method a request came with, where it is routed as another
MAX_DETAIL = 500  # characters of a problem's detail (a message quoting a huge bad value is cut)
TYPE_PREFIX = "tag:factorscope.dev,2025:problems/"  # RFC 9457 3.1.1: a non-resolvable (tag) type URI
log = logging.getLogger("factorscope.api")


class Problem(Exception):
    """An error with an HTTP status; ``detail`` says what was expected, ``extra`` adds members."""

    status = 400
    slug = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail, self.headers, self.extra = detail, headers or {}, extra


class NotFound(Problem):
    status, slug = 404, "not-found"


class InvalidInput(Problem):
    """A well-formed request whose values do not fit (a dim out of range, a vector of the wrong length)."""

    status, slug = 422, "invalid-input"

    def __init__(self, field: str, detail: str) -> None:
        field, detail = clip(field, 100), clip(detail)
        super().__init__(f"{field}: {detail}", errors=[{"loc": field.split("."), "msg": detail}])


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    """``text`` cut to ``limit`` characters (marked with an ellipsis)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


class LimitExceeded(Problem):
    status, slug = 422, "limit-exceeded"

    def __init__(self, limit: str, value: int, maximum: int, what: str) -> None:
        super().__init__(f"{what} is {value}, over the limit {limit} = {maximum}; expected at most {maximum}",
                         limit=limit, maximum=maximum)


class RunExists(Problem):
    status, slug = 409, "run-exists"


class StillTraining(Problem):
    status, slug = 409, "still-training"


class AlreadyTrained(Problem):
    status, slug = 409, "already-trained"


class StillStopping(Problem):
    status, slug = 409, "still-stopping"


class EvaluationPending(Problem):
    status, slug = 409, "evaluation-pending"


class VersionMismatch(Problem):
    status, slug = 409, "version-mismatch"

    def __init__(self, run_id: str, asked: str, current: str) -> None:
        super().__init__(f"run {run_id!r} is at version {current}, not {asked}; expected v={current} "
                         "(or no v to follow the latest)", current_version=current)


class HasChildren(Problem):
    """A run that other runs are built on, asked to be deleted alone; ``children`` names them."""

    status, slug = 409, "has-children"


class ServiceBusy(Problem):
    status, slug = 503, "busy"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)}, retry_after=retry_after_s)


class BodyTooLarge(Problem):
    status, slug = 413, "body-too-large"


class UnsupportedMediaType(Problem):
    status, slug = 415, "unsupported-media-type"


class WriteHeaderRequired(Problem):
    """A write without a JSON body and without the header a cross-site HTML form cannot send (api/request_checks.py)."""

    status, slug = 403, "write-header-required"


# The models' errors, by type: (status, slug). Lookup walks the MRO, so subclasses map too.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    RunNotFoundError: (404, "run-not-found"),
    StaleParent: (409, "version-mismatch"),  # a parent retrained or replaced: like a stale v= link
    JobNotFoundError: (404, "job-not-found"),
    ConversionError: (422, "invalid-input"),
    UnknownDatasetError: (404, "dataset-not-found"),
    MissingExtraError: (409, "dataset-unavailable"),
    UnknownFamilyError: (422, "unknown-family"),
    ConfigError: (422, "invalid-config"),
    NotGaussianError: (409, "gaussian-encoder-required"),
    CheckpointError: (500, "broken-run"),
    LabelSessionNotFoundError: (404, "label-session-not-found"),
    LabelSessionClosedError: (409, "label-session-closed"),
    IdempotencyConflictError: (409, "idempotency-key-reused"),
    NothingToUndoError: (409, "nothing-to-undo"),
    LabellingInputError: (422, "invalid-input"),
}


def problem_response(request: Request, status: int, detail: str, slug: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body = {"type": TYPE_PREFIX + slug if slug else "about:blank", "title": phrase, "status": status,
            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc.status, exc.detail, exc.slug, exc.headers, **exc.extra)


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    status, slug = next(DOMAIN_ERRORS[t] for t in type(exc).__mro__ if t in DOMAIN_ERRORS)
    if status >= 500:
        log.error("server-side error on %s: %s", request.url.path, exc)
        home = str(request.app.state.run_store.home)  # clients see paths relative to it, never the server's own
        return problem_response(request, status, "the server could not use its stored data: "
                                + str(exc).replace(home, "FACTORSCOPE_HOME"), slug)
    return problem_response(request, status, clip(str(exc)), slug)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The job database is locked for too long or unreachable: a moment's trouble, so 503 and when to retry.
    Any other OperationalError (SQLite's "no such table", say) is a 500 the log explains."""
    if not _transient(exc):
        return await _on_unexpected(request, exc)
    log.warning("job database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(request, 503, "the job database is busy or unreachable; expected to answer again "
                            f"soon: retry after {DB_RETRY_AFTER_S} s", "database-unavailable",
                            {"Retry-After": str(DB_RETRY_AFTER_S)}, retry_after=DB_RETRY_AFTER_S)


def _transient(exc: Exception) -> bool:
    """A lock held too long (SQLite) or a connection that failed (PostgreSQL: every psycopg OperationalError)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return type(getattr(exc, "orig", None)).__module__.startswith("psycopg") or any(
        words in text for words in ("database is locked", "database table is locked", "unable to open database"))


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's error list without the raw input (it may be bytes or huge)."""
    return [{"loc": [clip(str(p), 100) for p in e.get("loc", ())], "msg": clip(_message(e)),
             "type": str(e.get("type", ""))} for e in errors]


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return f"malformed JSON ({error.get('ctx', {}).get('error', 'unreadable')}); expected a JSON document"
    return str(error.get("msg", "")).removeprefix("Value error, ")


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc.errors())
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "the request is not valid"
    return problem_response(request, 422, detail, "validation-error", errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path}; expected a path under /api/v1 (see /docs)"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the body could not be read (not UTF-8 text or not JSON); expected a JSON document"
    elif exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        method = request.scope.get(ORIGINAL_METHOD, request.method)  # HEAD is routed as GET (api/head.py)
        detail = f"method {method} is not allowed here; expected one of: {headers['Allow']}"
    return problem_response(request, exc.status_code, detail, headers=headers)


HTTP_VERBS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}  # keys of an OpenAPI path item


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document lists at a path template matching this path. (Starlette's own
    Allow names only the first matching route's, and FastAPI's router wraps included routers in private
    classes, so the document is the stable source.)"""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(_template_pattern(template), request.url.path):
            methods |= {verb.upper() for verb in operations if verb in HTTP_VERBS}
    return sorted(methods | ({"HEAD"} if "GET" in methods else set()))  # HEAD: answered as GET (api/head.py)


def _template_pattern(template: str) -> str:
    """``/runs/{run_id}/metrics`` -> a regex where each ``{param}`` is one path segment."""
    return "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}/]+\})", template))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, "an unexpected error happened on the server; it was logged "
                            "(no details are shown to clients)", "internal")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    for exc_type in DOMAIN_ERRORS:
        app.add_exception_handler(exc_type, _on_domain_error)
    app.add_exception_handler(OperationalError, _on_database_unavailable)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
