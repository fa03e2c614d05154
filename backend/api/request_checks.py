"""Checks every /api/v1 request gets before its route's own validation (a router-wide dependency)."""

from __future__ import annotations

from fastapi import Request

from ..errors import InvalidInput, UnsupportedMediaType

JSON_TYPES = ("application/json",)  # and any application/*+json


def checked_request(request: Request) -> None:
    """Each query parameter at most once (a repeated one would silently use its last value), and a body only
    as JSON (a form or text body would be misread as a missing object)."""
    query = request.query_params
    for key in dict.fromkeys(query.keys()):
        given = len(query.getlist(key))
        if given > 1:
            raise InvalidInput(f"query.{key}", f"given {given} times; expected it once (a list is one "
                                               "comma-separated value, e.g. dims=0,2,5)")
    if _has_body(request) and not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(f"the body is {request.headers.get('content-type') or 'of no stated type'}; "
                                   "expected Content-Type: application/json")


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length.strip() not in ("", "0"))


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))
