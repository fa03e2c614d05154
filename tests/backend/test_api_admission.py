"""Admission control (backend/api/admission.py) against a real uvicorn on loopback: beyond a route class's limit a
503 problem with Retry-After; /health and /ready answer while the inference class is full, and while every thread
of the pool is held (admission off); the limits' settings refuse bad values by name."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import PROBLEM, RUN
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import ValidationError

from backend.api.admission import INFERENCE, READS, WRITES, Slots, route_class
from backend.api.routes import analysis, jobs, latents, lenses, metrics, runs
from backend.config import Settings
from backend.inference import InferenceExecutor
from backend.main import create_app

API = "/api/v1"
DECODE = f"{API}/runs/{RUN}/decode.png?z=0,0,1,"  # + a number: a distinct latent vector, so a miss every time
POOL_THREADS = 40  # anyio's default thread limiter: what the synchronous routes share without admission
PATIENCE_S = 60.0  # a fail-safe against hanging forever; never a timing assertion


@contextmanager
def live_server(settings: Settings) -> Iterator[tuple[httpx.Client, FastAPI]]:
    """``create_app(settings)`` under uvicorn on a free loopback port, in a thread of this process (so the test can
    hold the app's executor); yields a client on it and the app."""
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    try:
        wait_for(lambda: server.started)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE_S, limits=limits) as http:
            yield http, app
    finally:
        server.should_exit = True
        thread.join(PATIENCE_S)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "the server never reached the expected state"
        time.sleep(0.01)


def loopback_settings(home: Path, settings_for: Callable[..., Settings], **overrides: Any) -> Settings:
    return settings_for(home, allowed_hosts=["127.0.0.1"], **overrides)


def assert_probes_answer(http: httpx.Client) -> None:
    assert http.get(f"{API}/health").status_code == 200
    ready = http.get(f"{API}/ready")
    assert ready.status_code == 200 and all(ready.json()["checks"].values())


def test_beyond_the_limit_a_503_with_retry_after_while_probes_and_reads_answer(
        trained_home: Path, settings_for: Callable[..., Settings]) -> None:
    settings = loopback_settings(trained_home, settings_for, admission_inference=2, admission_waiting=1,
                                 retry_after_s=3)
    with live_server(settings) as (http, app), ThreadPoolExecutor(3) as pool:
        executor: InferenceExecutor = app.state.executor
        slots: Slots = app.state.admission.slots[INFERENCE]
        assert http.get(DECODE + "0").status_code == 200  # the model is loaded
        with executor.paused():  # the inference thread holds its next batch: admitted requests stay running
            held = [pool.submit(http.get, DECODE + str(i)) for i in (1, 2)]
            wait_for(lambda: slots.running == 2 and executor.in_flight + executor.queued == 2)
            waiting = pool.submit(http.get, DECODE + "3")
            wait_for(lambda: slots.waiters == 1)

            # a path seen before is refused before routing (EarlyRefusal), a new one by ``admitted``: the same 503
            for busy in (http.get(DECODE + "4"), http.get(f"{API}/runs/{RUN}/traversal.png?dims=0&steps=3")):
                assert busy.status_code == 503 and busy.headers["content-type"] == PROBLEM
                assert busy.headers["retry-after"] == "3"
                body = busy.json()
                assert body["retry_after"] == 3 and body["route_class"] == INFERENCE
                assert "FACTORSCOPE_ADMISSION_INFERENCE" in body["detail"] and body["instance"] == busy.url.path
            assert http.head(DECODE + "5").status_code == 503  # HEAD is a GET of the same class

            assert_probes_answer(http)  # probes and the other classes never wait behind inference
            assert http.get(f"{API}/runs").status_code == 200
            assert executor.in_flight + executor.queued == 2 and slots.waiters == 1  # still held
        assert [f.result().status_code for f in (*held, waiting)] == [200, 200, 200]
    assert slots.running == 0 and slots.waiters == 0
    with live_server(settings) as (http, _):
        assert http.get(DECODE + "4").status_code == 200  # the same request, admitted when there is room


def test_probes_never_wait_for_a_thread_without_admission(trained_home: Path,
                                                          settings_for: Callable[..., Settings]) -> None:
    """Admission off (every request admitted): the synchronous routes take all 40 threads of the pool and more wait
    for one; /health and /ready still answer."""
    settings = loopback_settings(trained_home, settings_for, admission=False)
    n = POOL_THREADS + 5
    with live_server(settings) as (http, app), ThreadPoolExecutor(n) as pool:
        executor: InferenceExecutor = app.state.executor
        assert app.state.admission is None
        assert http.get(DECODE + "0").status_code == 200
        with executor.paused():
            storm: list[Future[httpx.Response]] = [pool.submit(http.get, DECODE + str(i)) for i in range(1, n + 1)]
            wait_for(lambda: executor.in_flight + executor.queued == POOL_THREADS)  # every thread is held
            assert_probes_answer(http)
            assert executor.in_flight + executor.queued == POOL_THREADS  # the probes took no thread of the pool
        assert all(f.result().status_code == 200 for f in storm)


@pytest.mark.parametrize(("module", "method", "path", "expected"), [
    (latents, "GET", "/runs/{run_id}/traversal.png", INFERENCE),
    (latents, "GET", "/runs/{run_id}/reconstruct.png", INFERENCE),
    (latents, "POST", "/runs/{run_id}/decode", INFERENCE),  # a POST with a body, yet inference work
    (analysis, "GET", "/runs/{run_id}/embedding", INFERENCE),
    (lenses, "GET", "/runs/{run_id}/lenses/{lens_id}/manipulation.png", INFERENCE),
    (runs, "GET", "/runs", READS),
    (jobs, "GET", "/jobs/{job_id}", READS),
    (runs, "POST", "/runs", WRITES),
    (runs, "DELETE", "/runs/{run_id}", WRITES),
    (metrics, "POST", "/runs/{run_id}/metrics", WRITES),  # queues a job: no inference here
])
def test_each_route_is_in_its_class(module: ModuleType, method: str, path: str, expected: str) -> None:
    route = next(r for r in module.router.routes if isinstance(r, APIRoute) and r.path == path and method in r.methods)
    assert route_class(route, method) == expected


def test_a_waiter_that_goes_away_frees_its_place() -> None:
    async def scenario() -> None:
        slots = Slots(limit=1, waiting=1)
        assert await slots.acquire()
        waiter = asyncio.create_task(slots.acquire())
        await asyncio.sleep(0)
        assert slots.waiters == 1 and not await slots.acquire()  # full: refused at once
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert slots.waiters == 0
        slots.release()
        assert slots.running == 0 and await slots.acquire() and slots.running == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("ADMISSION_INFERENCE", "0", "greater than or equal to 1"),
    ("ADMISSION_READS", "many", "valid integer"),
    ("ADMISSION_WRITES", "5000", "less than or equal to 1024"),
    ("ADMISSION_WAITING", "-1", "greater than or equal to 0"),
    ("ADMISSION", "sometimes", "valid boolean"),
])
def test_bad_limits_are_refused_by_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                        expected: str) -> None:
    monkeypatch.setenv(f"FACTORSCOPE_{name}", value)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert name.lower() in str(err.value) and expected in str(err.value)
