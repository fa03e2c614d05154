"""The inference executor under the API: concurrent requests are batched (fewer forwards than requests,
identical bytes), a full queue answers 503 with Retry-After, and errors never kill the thread."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from fastapi.testclient import TestClient
from pydantic import ValidationError

from backend.config import Settings
from backend.inference import CPU_CHUNK_ROWS, GPU_CHUNK_ROWS, InferenceExecutor, default_chunk_rows
from backend.main import app_settings, create_app
from backend.runs import create_run, train_run
from models.training import TrainConfig, select_device

API = "/api/v1"
RUN = "tiny"
K = 4  # latent dims of the shared run (tests/backend/conftest.py)


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the executor"
        time.sleep(0.005)


def test_concurrent_decodes_share_forward_passes(client: TestClient) -> None:
    executor: InferenceExecutor = client.app.state.executor
    urls = [f"{API}/runs/{RUN}/decode.png?z={i / 4},{-i / 8},0.5,{i}" for i in range(8)]
    solo = [client.get(u).content for u in urls]  # one request at a time (also loads the model)
    forwards, completed = executor.forwards, executor.completed
    with ThreadPoolExecutor(len(urls)) as pool:
        with executor.paused():  # hold the thread so that every request is queued before it runs
            futures = [pool.submit(client.get, u) for u in urls]
            wait_for(lambda: executor.in_flight == 1 and executor.queued == len(urls) - 1)
        batched = [f.result() for f in futures]
    assert [r.status_code for r in batched] == [200] * len(urls)
    assert executor.completed - completed == len(urls)
    assert executor.forwards - forwards == 1 < len(urls)  # one forward pass for all eight requests
    assert [r.content for r in batched] == solo  # batching does not change a single byte


def test_batches_only_join_the_same_run_and_operation(client: TestClient) -> None:
    executor: InferenceExecutor = client.app.state.executor
    urls = [f"{API}/runs/{RUN}/decode.png?z=0,0,0,{i}" for i in range(3)] + \
           [f"{API}/runs/{RUN}/reconstruct.png?items={i}" for i in range(3)]
    solo = [client.get(u).content for u in urls]
    forwards = executor.forwards
    with ThreadPoolExecutor(len(urls)) as pool:
        with executor.paused():
            futures = [pool.submit(client.get, u) for u in urls]
            wait_for(lambda: executor.in_flight == 1 and executor.queued == len(urls) - 1)
        assert [f.result().content for f in futures] == solo
    assert executor.forwards - forwards == 2  # one decode batch, one reconstruct batch


def test_two_versions_of_a_run_never_share_a_pass(client: TestClient) -> None:
    """A request still holding the old weights while new ones load: each is decoded by its own model."""
    executor: InferenceExecutor = client.app.state.executor
    store = client.app.state.run_store
    old = store.load(store.ready(RUN))
    new = dataclasses.replace(old, record=dataclasses.replace(old.record, version="new0new0new0"),
                              model=copy.deepcopy(old.model))
    with torch.no_grad():
        for p in new.model.parameters():
            p.add_(0.25)
    z = torch.linspace(-1, 1, 4 * K).reshape(4, K)
    forwards = executor.forwards
    with ThreadPoolExecutor(2) as pool:
        with executor.paused():
            futures = [pool.submit(executor.run, loaded, "decode", z) for loaded in (old, new)]
            wait_for(lambda: executor.in_flight == 1 and executor.queued == 1)
        (from_old,), (from_new,) = (f.result() for f in futures)
    assert executor.forwards - forwards == 2
    device = next(old.model.parameters()).device
    with torch.inference_mode():
        for out, loaded in ((from_old, old), (from_new, new)):
            assert torch.allclose(out, loaded.model.decode(z.to(device)).cpu(), atol=1e-6)


@pytest.mark.parametrize(("max_batch", "passes"), [
    (1, 4),  # 1: requests never share a pass
    (2, 2),  # two batches of 2 rows: the limit itself
])
def test_max_batch_bounds_the_rows_of_a_batch(trained_home: Path, settings_for: Callable[..., Settings],
                                              max_batch: int, passes: int) -> None:
    with TestClient(create_app(settings_for(trained_home, inference_max_batch=max_batch))) as c:
        executor: InferenceExecutor = c.app.state.executor
        c.get(f"{API}/runs/{RUN}/decode.png?z=0,0,0,0")
        forwards = executor.forwards
        with ThreadPoolExecutor(4) as pool, executor.paused():
            futures = [pool.submit(c.get, f"{API}/runs/{RUN}/decode.png?z=0,0,1,{i}") for i in range(4)]
            wait_for(lambda: executor.in_flight == 1 and executor.queued == 3)
        assert all(f.result().status_code == 200 for f in futures)
        assert executor.forwards - forwards == passes


def test_full_queue_answers_503_with_retry_after(trained_home: Path, settings_for: Callable[..., Settings],
                                                 problem: Callable[..., Any]) -> None:
    settings = settings_for(trained_home, inference_queue_size=1, retry_after_s=3)
    with TestClient(create_app(settings)) as c, ThreadPoolExecutor(2) as pool:
        executor: InferenceExecutor = c.app.state.executor
        url = f"{API}/runs/{RUN}/decode.png?z=0,0,0,"
        c.get(url + "0")  # model loaded
        with executor.paused():
            held = pool.submit(c.get, url + "1")  # taken by the thread, held before it runs
            wait_for(lambda: executor.in_flight == 1)
            queued = pool.submit(c.get, url + "2")  # fills the queue (size 1)
            wait_for(lambda: executor.queued == 1)
            busy = c.get(url + "3")
            body = problem(busy, 503, "queue is full", "retry")
            assert busy.headers["retry-after"] == "3" and body["retry_after"] == 3
            assert c.get(f"{API}/health").status_code == 200  # only inference is busy
        assert held.result().status_code == 200 and queued.result().status_code == 200
        assert c.get(url + "3").status_code == 200  # room again


def test_a_failing_forward_reaches_the_request_and_the_thread_lives_on(client: TestClient) -> None:
    executor: InferenceExecutor = client.app.state.executor
    store = client.app.state.run_store
    loaded = store.load(store.ready(RUN))
    bad = torch.zeros(2, 7)  # wrong width for the decoder
    try:
        executor.run(loaded, "decode", bad)
    except RuntimeError as err:
        assert "shape" in str(err) or "size" in str(err)
    else:
        raise AssertionError("expected the shape error")
    assert executor.alive and client.get(f"{API}/runs/{RUN}/decode.png?z=0,0,0,0").status_code == 200


def test_executor_results_match_direct_model_calls(client: TestClient) -> None:
    store = client.app.state.run_store
    loaded = store.load(store.ready(RUN))
    z = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    (out,) = client.app.state.executor.run(loaded, "decode", z)
    with torch.inference_mode():  # the model on the app's device (a GPU where bench/device_check.sh runs this)
        direct = loaded.model.decode(z.to(next(loaded.model.parameters()).device)).cpu()
    assert out.shape == (50, 1, 8, 8) and torch.allclose(out, direct, atol=1e-6)


def test_requests_over_chunk_rows_are_split(trained_home: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(trained_home, inference_chunk_rows=16))) as c:
        executor: InferenceExecutor = c.app.state.executor
        before = executor.forwards
        r = c.post(f"{API}/runs/{RUN}/decode", json={"z": [[0.1 * i, 0, 0, 0] for i in range(40)]})
        assert r.status_code == 200 and len(r.json()["outputs"]) == 40
        assert executor.forwards - before == 3  # 16 + 16 + 8 rows (padded to 16)


def test_transport_error_free_under_parallel_load(client: TestClient) -> None:
    urls = [f"{API}/runs/{RUN}/traversal.png?base=item:{i}&steps=5" for i in range(24)]
    with ThreadPoolExecutor(12) as pool:
        results: list[httpx.Response] = list(pool.map(client.get, urls))
    assert all(r.status_code == 200 for r in results)
    assert results[0].content == client.get(urls[0]).content


@pytest.fixture(scope="module")
def conv_client(tmp_path_factory: pytest.TempPathFactory,
                settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    """An app serving a conv VAE on dSprites (2 training steps): its Linear(256, 1024) is where CPU GEMM
    kernels change with the number of rows."""
    home = tmp_path_factory.mktemp("conv-home")
    train = TrainConfig(steps=2, batch_size=16, eval_every=2, checkpoint_every=0, max_val_items=32, seed=0)
    create_run(home, "vae", {"latent_dim": 10}, "dsprites", train, run_id="conv")
    train_run(home, "conv")
    with TestClient(create_app(settings_for(home))) as c:
        yield c


def test_conv_decodes_are_bitwise_the_same_alone_and_batched(conv_client: TestClient) -> None:
    executor: InferenceExecutor = conv_client.app.state.executor
    url = f"{API}/runs/conv/decode"
    bodies = [{"z": [[0.25 * i - 1] * 10]} for i in range(4)] + \
             [{"z": [[0.1 * j - i for j in range(10)] for _ in range(9)]} for i in range(3)]  # 4 x 1 + 3 x 9 rows
    solo = [conv_client.post(url, json=body).json()["outputs"] for body in bodies]
    forwards = executor.forwards
    with ThreadPoolExecutor(len(bodies)) as pool:
        with executor.paused():
            futures = [pool.submit(conv_client.post, url, json=body) for body in bodies]
            wait_for(lambda: executor.in_flight == 1 and executor.queued == len(bodies) - 1)
        batched = [f.result().json()["outputs"] for f in futures]
    assert executor.forwards - forwards == 1  # 31 rows, padded, in one pass
    assert batched == solo  # every float, to the last bit


def test_fixed_shape_pads_every_pass_to_chunk_rows_and_keeps_the_bits(
        conv_client: TestClient, settings_for: Callable[..., Settings]) -> None:
    """The GPU's mode (``inference_fixed_shape``), here on the CPU: one pass shape; alone or batched, the same
    bits."""
    url = f"{API}/runs/conv/decode"
    bodies = [{"z": [[0.1 * j - i for j in range(10)] for _ in range(rows)]} for i, rows in enumerate((9, 50))]
    home = app_settings(conv_client.app).home
    with TestClient(create_app(settings_for(home, inference_fixed_shape=True, inference_chunk_rows=48))) as c:
        executor: InferenceExecutor = c.app.state.executor
        solo = []
        for body, passes in zip(bodies, (1, 2), strict=True):
            forwards, rows = executor.forwards, executor.rows_run
            solo.append(c.post(url, json=body).json()["outputs"])
            assert (executor.forwards - forwards, executor.rows_run - rows) == (passes, 48 * passes)
        with ThreadPoolExecutor(len(bodies)) as pool:
            with executor.paused():
                futures = [pool.submit(c.post, url, json=body) for body in bodies]
                wait_for(lambda: executor.in_flight == 1 and executor.queued == 1)
            batched = [f.result().json()["outputs"] for f in futures]
    assert batched == solo  # 59 rows in passes of 48 + 11 (padded to 48): other neighbours, the same bits


def test_chunk_rows_default_to_the_device_and_refuse_passes_under_16_rows(client: TestClient, tmp_path: Path) -> None:
    assert (default_chunk_rows(torch.device("cpu")), default_chunk_rows(torch.device("cuda"))) == \
        (CPU_CHUNK_ROWS, GPU_CHUNK_ROWS)
    executor: InferenceExecutor = client.app.state.executor
    gpu = select_device(app_settings(client.app).device).type == "cuda"  # where bench/device_check.sh runs it
    assert (executor.chunk_rows, executor.fixed_shape) == ((GPU_CHUNK_ROWS, True) if gpu else (CPU_CHUNK_ROWS, False))
    assert executor.pass_rows(17) == (GPU_CHUNK_ROWS if gpu else 32)
    with pytest.raises(ValidationError, match="at least 16 rows"):
        Settings(home=tmp_path, inference_chunk_rows=8)
