"""The OpenAPI side of tokens: every operation takes the bearer token as optional (``security: [{token: []}, {}]``):
reads are open unless FACTORSCOPE_AUTH_READS, and writes need it only while auth is on, which a static document
cannot know (a client generated from it sends the token when it has one)."""

from __future__ import annotations

from typing import Any

from ..errors import HTTP_VERBS

ANONYMOUS: dict[str, list[str]] = {}  # an OpenAPI security requirement that asks for nothing


def document_optional_token(doc: dict[str, Any]) -> None:
    for operations in doc.get("paths", {}).values():
        for verb, operation in operations.items():
            security = operation.get("security") if verb in HTTP_VERBS else None
            if security and ANONYMOUS not in security:
                security.append(ANONYMOUS)
