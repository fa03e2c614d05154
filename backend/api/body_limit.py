"""ASGI middleware: request bodies over ``max_bytes`` answer 413 before any route reads them."""

from __future__ import annotations

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PROBLEM_MEDIA_TYPE, TYPE_PREFIX


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await self._reject(scope, receive, send, 400, "Content-Length: expected a non-negative integer")
            elif int(length) > self.max_bytes:
                await self._reject(scope, receive, send, 413, self._too_large(int(length)))
            else:
                await self.app(scope, receive, send)
            return
        await self._buffered(scope, receive, send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body without Content-Length (chunked): read it, counting, then replay it to the app."""
        chunks, size, message = [], 0, await receive()
        while message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._reject(scope, receive, send, 413, self._too_large(size, at_least=True))
                return
            if not message.get("more_body", False):
                break
            message = await receive()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self, size: int, at_least: bool = False) -> str:
        return (f"the request body is {'over ' if at_least else ''}{size} bytes, over the limit max_body_bytes = "
                f"{self.max_bytes}; expected at most {self.max_bytes} bytes")

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        body = {"type": TYPE_PREFIX + ("body-too-large" if status == 413 else "bad-request"),
                "title": "Content Too Large" if status == 413 else "Bad Request", "status": status,
                "detail": detail, "instance": scope.get("path", "")}
        if status == 413:
            body.update(limit="max_body_bytes", maximum=self.max_bytes)
        response = JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)
        await response(scope, receive, send)
