"""HTTP details shared by routes: PNG responses with strong ETags and cache headers, documented problems."""

from __future__ import annotations

import hashlib
from http import HTTPStatus
from typing import Any

from fastapi import Response

from ..errors import PROBLEM_MEDIA_TYPE

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # cache, but ask (If-None-Match) each time: without v the version may change
RENDER_VERSION = "5"  # bump when the PNG rendering changes, so old ETags stop matching


class PNGResponse(Response):
    media_type = "image/png"


def etag(*parts: object) -> str:
    """A strong ETag over the parts (run id, version, view, canonical parameters)."""
    text = "\x1f".join(str(p) for p in (RENDER_VERSION, *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison over the listed tags, or ``*``."""
    if not if_none_match:
        return False
    listed = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in listed or tag in listed


def cache_headers(tag: str, immutable: bool) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": IMMUTABLE if immutable else REVALIDATE}


def not_modified(tag: str, immutable: bool) -> Response:
    return Response(status_code=304, headers=cache_headers(tag, immutable))


def png(content: bytes, tag: str, immutable: bool) -> PNGResponse:
    return PNGResponse(content, headers=cache_headers(tag, immutable))


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries: each code answers an RFC 9457 problem."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {code: {"description": f"{HTTPStatus(code).phrase} (problem details)",
                   "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}} for code in codes}


def document_body_limit(doc: dict[str, Any], max_bytes: int) -> None:
    """OpenAPI: every operation that takes a body may answer 413 when it is over ``max_bytes`` (api/body_limit.py)."""
    too_large = {**problems(413)[413], "description": f"Content Too Large: the body is over max_body_bytes = "
                 f"{max_bytes} bytes (problem details)"}
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {})["413"] = too_large


ETAG_HEADER = {"ETag": {"description": "strong validator: sha256 of (run version, parameters)",
                        "schema": {"type": "string"}},
               "Cache-Control": {"description": "immutable for a year when v= is given, else no-cache",
                                 "schema": {"type": "string"}}}
PNG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a PNG image", "headers": ETAG_HEADER,
          "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
    304: {"description": "Not Modified: the If-None-Match ETag is current", "headers": ETAG_HEADER},
}
