"""Admission control: ``admitted``, the first router-wide dependency, admits each request to its route class before it
waits for anything (a thread, the inference queue, the database).

Classes (``route_class``): ``inference`` (a route that uses the inference executor: traversal, decode, reconstruct,
factors, embedding, manipulation, group heatmap), ``writes`` (any other POST/PUT/PATCH/DELETE) and ``reads`` (the
rest). Routes marked ``never_queued`` (the probes /health and /ready) are exempt: they never wait behind any class.
``EarlyRefusal`` answers the same 503 before routing for a path whose class it knows to be full (cheaper in a storm).

Per class, ``limit`` requests run at once and up to ``waiting`` more wait for a slot on the event loop (holding no
thread); beyond that the request is answered at once with a 503 problem and Retry-After. Admitted requests never
wait for a thread either: ``open_thread_pools`` gives anyio's pool a token for every slot of every class. Without
this, the synchronous routes shared 40 threads in front of the inference queue, so a storm of traversal misses
waited there (never filling the queue, never answered 503) and /health waited behind them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Settings
from ..deps import get_executor
from ..errors import ServiceBusy, problem_response
from .request_checks import WRITE_METHODS

INFERENCE, WRITES, READS = "inference", "writes", "reads"
KNOWN_PATHS = 1024  # (method, path) pairs whose class ``EarlyRefusal`` remembers
PROBE_THREADS = 2  # /ready checks running at once, on threads of their own
SETTING = "FACTORSCOPE_ADMISSION_{}"  # the setting of each class's limit, named in a 503
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
EXEMPT: set[Callable[..., Any]] = set()  # endpoints marked ``never_queued``


class Slots:
    """``limit`` holders at once, then up to ``waiting`` waiters (first come, first served); for one event loop."""

    def __init__(self, limit: int, waiting: int) -> None:
        self.limit, self.waiting = limit, waiting
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiters(self) -> int:
        return len(self._waiters)

    @property
    def full(self) -> bool:
        """No slot free (or others already waiting) and no room to wait: ``acquire`` would refuse now."""
        return (self.running >= self.limit or bool(self._waiters)) and len(self._waiters) >= self.waiting

    async def acquire(self) -> bool:
        """Take a slot, waiting for one if the wait list has room; False (at once) when it has none."""
        if self.running < self.limit and not self._waiters:
            self.running += 1
            return True
        if self.full:
            return False
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn  # ``release`` hands its slot over: ``running`` stays as it is
        except asyncio.CancelledError:  # the client went away while waiting
            if turn.done() and not turn.cancelled():
                self.release()  # the slot was handed over just before: pass it on
            else:
                with suppress(ValueError):
                    self._waiters.remove(turn)
            raise
        return True

    def release(self) -> None:
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1


def class_slots(settings: Settings) -> dict[str, Slots]:
    """Each class's slots from the settings (``admission_inference``, ``admission_reads``, ``admission_writes``)."""
    return {name: Slots(getattr(settings, f"admission_{name}"), settings.admission_waiting)
            for name in (INFERENCE, READS, WRITES)}


def open_thread_pools(settings: Settings) -> CapacityLimiter:
    """Size anyio's default thread pool (40 threads) for every admitted request of every class at once, and return
    the probes' own limiter (PROBE_THREADS at once), so that /ready never waits for a thread an admitted request
    holds. Call it on the server's event loop (the lifespan): limiters belong to the loop."""
    if settings.admission:
        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, sum(s.limit for s in class_slots(settings).values()))
    return CapacityLimiter(PROBE_THREADS)


class Admission:
    """The app's admission state (``app.state.admission``): each class's ``Slots``, the Retry-After of a 503, and the
    class of the paths seen lately (``learn``), so that ``EarlyRefusal`` can refuse before routing."""

    def __init__(self, settings: Settings) -> None:
        self.slots, self.retry_after_s = class_slots(settings), settings.retry_after_s
        self._paths: OrderedDict[tuple[str, str], str] = OrderedDict()  # (method, path) -> class, most recent last

    def learn(self, method: str, path: str, name: str) -> None:
        self._paths[(method, path)] = name
        self._paths.move_to_end((method, path))
        if len(self._paths) > KNOWN_PATHS:
            self._paths.popitem(last=False)

    def full_class(self, method: str, path: str) -> str | None:
        """The class of a path seen lately when it has no slot free and no room to wait, else None."""
        name = self._paths.get((method, path))
        return name if name is not None and self.slots[name].full else None

    def refusal(self, name: str) -> Busy:
        return Busy(name, self.slots[name], self.retry_after_s)


class Busy(ServiceBusy):
    """503: a route class is full (its requests running and waiting); names the class and its setting."""

    def __init__(self, name: str, slots: Slots, retry_after_s: int) -> None:
        super().__init__(f"the server is busy: {slots.limit} {name} requests are running and {slots.waiting} waiting, "
                         f"its limit ({SETTING.format(name.upper())}); expected to retry after {retry_after_s} s",
                         retry_after_s)
        self.extra["route_class"] = name


def never_queued(endpoint: Endpoint) -> Endpoint:
    """Mark a route exempt from admission; only for one that never waits for a thread (``async def``, with no plain
    ``def`` dependency), so it answers whatever else runs."""
    EXEMPT.add(endpoint)
    return endpoint


async def admitted(request: Request) -> AsyncIterator[None]:
    """Router-wide dependency, the first: hold a slot of the request's class while the route runs; 503 + Retry-After
    when the class has none free and no room to wait. Admission off (no ``app.state.admission``): nothing."""
    admission: Admission | None = getattr(request.app.state, "admission", None)
    route = request.scope.get("route")
    if admission is None or getattr(route, "endpoint", None) in EXEMPT:
        yield
        return
    name = route_class(route, request.method)
    admission.learn(request.method, request.scope["path"], name)
    slots = admission.slots[name]
    if not await slots.acquire():
        raise admission.refusal(name)
    try:
        yield
    finally:
        slots.release()


def route_class(route: object, method: str) -> str:
    """``inference`` for a route that uses the executor (whatever its method), else ``writes`` or ``reads`` by
    ``method`` (as the route is called: HEAD arrives as GET)."""
    if isinstance(route, APIRoute) and _uses_executor(route.dependant):
        return INFERENCE
    return WRITES if method in WRITE_METHODS else READS


def _uses_executor(dependant: Dependant) -> bool:
    return any(d.call is get_executor or _uses_executor(d) for d in dependant.dependencies)


class EarlyRefusal:
    """ASGI middleware: a request for a path whose class (learnt by ``admitted``) is full is refused here, before
    routing, with the same 503. In a storm most requests are refused, and routing one through the whole stack costs
    several times more of the event loop's time (the loop that answers /health too). Any other request goes on to
    ``admitted``, which decides."""

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app, self.admission = app, admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = self.admission.full_class(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if name is None:
            await self.app(scope, receive, send)
            return
        refusal = self.admission.refusal(name)
        response = problem_response(Request(scope), refusal.status, refusal.detail, refusal.slug, refusal.headers,
                                    **refusal.extra)
        await response(scope, receive, send)
