"""Checks every /api/v1 request gets before its route's own validation (a router-wide dependency), and the
OpenAPI entries that document the write header."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel

from ..errors import InvalidInput, UnsupportedMediaType, WriteHeaderRequired, clip
from .responses import problems

JSON_TYPES = ("application/json",)  # and any application/*+json
BODY_METHODS = ("POST", "PUT", "PATCH")  # a body sent with another method is never read
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A header an HTML form cannot send, and a page of another site cannot send without a CORS preflight (which fails
# unless FACTORSCOPE_CORS_ORIGINS lists that site): every write without a JSON body carries it.
WRITE_HEADER = "X-Requested-With"
WRITE_HEADER_VALUE = "factorscope"  # what our clients send; any non-empty value is accepted


async def checked_request(request: Request) -> None:
    """What the routes' own validation would let through silently, refused with a message that names it; and
    writes a cross-site form could make (no JSON body, no write header), refused before they change anything.
    ``async``: it does no I/O, and a plain ``def`` dependency would take a thread of the pool (/health's too)."""
    _check_query(request)
    if request.method in WRITE_METHODS:
        _check_write(request)


def _check_write(request: Request) -> None:
    """A body only as stated JSON; without one, the write header (or a stated JSON type): a cross-site form can send
    neither. The header, where given, is not empty (as OpenAPI states it)."""
    given = request.headers.get(WRITE_HEADER)
    if given is not None and not given.strip():
        raise WriteHeaderRequired(f"the header {WRITE_HEADER} is empty; expected a value, e.g. {WRITE_HEADER_VALUE}")
    if request.method in BODY_METHODS and _has_body(request):
        _check_body(request)
    elif given is None and not _is_json(request.headers.get("content-type", "")):  # a DELETE's body is never read
        raise WriteHeaderRequired(f"a {request.method} without a JSON body needs the header {WRITE_HEADER}: "
                                  f"{WRITE_HEADER_VALUE} (any value), which a form on another site cannot send; "
                                  "expected that header (or Content-Type: application/json)")


def document_write_header(doc: dict[str, Any]) -> None:
    """OpenAPI: every write operation takes the write header (required where it takes no body; where it takes one,
    even an optional one, a JSON body does instead: it is then optional, since a request with a JSON body may omit
    it) and may answer 403 without it, or with it empty."""
    forbidden = problems(403)[403]
    for operations in doc.get("paths", {}).values():
        for verb, operation in operations.items():
            if verb.upper() not in WRITE_METHODS:
                continue
            operation.setdefault("parameters", []).append(
                {"name": WRITE_HEADER, "in": "header", "required": "requestBody" not in operation,
                 "schema": {"type": "string", "minLength": 1, "pattern": r"\S", "example": WRITE_HEADER_VALUE},
                 "description": f"any value (our clients send {WRITE_HEADER_VALUE!r}); needed by a write without a "
                 "JSON body: an HTML form on another site cannot send it"})
            operation.setdefault("responses", {}).setdefault("403", forbidden)


def _check_query(request: Request) -> None:
    """Each query parameter at most once (a repeated one would silently use its last value), and only those the
    route declares (a misspelt one would be ignored)."""
    query, declared = request.query_params, _declared_query(request)
    for key in dict.fromkeys(query.keys()):
        given = len(query.getlist(key))
        if given > 1:
            raise InvalidInput(f"query.{key}", f"given {given} times; expected it once (a list is one "
                                               "comma-separated value, e.g. dims=0,2,5)")
        if declared is not None and key not in declared:
            expected = f"one of {', '.join(sorted(declared))}" if declared else "none here"
            raise InvalidInput(f"query.{key}", f"unknown parameter; expected {expected} (a misspelt one would "
                                               "otherwise be ignored)")


def _check_body(request: Request) -> None:
    """A body only where the route takes one (it would be ignored), and only as stated JSON (FastAPI reads a form,
    a text or an untyped body as a missing object: a confusing 422)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is not None and not dependant.body_params:
        raise InvalidInput("body", "this route takes no body, and would ignore it; expected an empty request")
    stated = request.headers.get("content-type")
    if not _is_json(stated or ""):
        raise UnsupportedMediaType(f"the body is {clip(stated, 100) if stated else 'of no stated type'}; expected "
                                   "Content-Type: application/json")


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length.strip() not in ("", "0"))


def _declared_query(request: Request) -> set[str] | None:
    """The query parameters the matched route declares; None where a query model declares them (the model refuses
    the unknown ones itself, naming them)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return None
    names: set[str] = set()
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return None
        names.add(param.alias)
    return names


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))
