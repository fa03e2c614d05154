"""The inference executor: ONE thread owns the device and runs every forward pass.

Requests wait on a bounded queue (full: ``ServiceBusy`` -> 503 with Retry-After). The thread takes the
oldest request, then every queued request for the same (run, version, operation) while the rows fit
``max_batch``, concatenates them, runs them under ``torch.inference_mode()`` in forward passes of at most
``chunk_rows`` rows, each padded (``pass_rows``), and splits the results.

A row's output must be bitwise the same whatever batch or chunk it shared, so that the same request
gives the same bytes whether or not it was batched:
- On a CPU every pass is padded to a multiple of ``ROW_QUANTUM``: GEMM kernels change below about 11 rows
  (measured on a Xeon with AVX-512: Linear(256, 1024) gives other last bits for 8 rows than for 16 or
  more), and every pass here has 16 or more. CPU chunks are small (``default_chunk_rows``): per row, a
  32-row pass of the conv decoder costs ~12% less than a 480-row pass and within ~8% of the best size, so a
  batch of several requests runs passes of the same size as one request does (``bench/pass_rows.py``).
- On a GPU every pass is padded to exactly ``chunk_rows`` (``fixed_shape``), with cuDNN's deterministic
  algorithms (``deterministic_device``): cuBLAS and cuDNN choose kernels by shape, so one shape means one
  kernel for every pass. A padded pass costs the GPU little; ``bench/device_check.sh`` checks the bits there.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from models import LatentModel, gaussian_params

from .errors import ServiceBusy
from .store import LoadedRun

ROW_QUANTUM = 16  # rows per pass: a multiple of this, never fewer
CPU_CHUNK_ROWS, GPU_CHUNK_ROWS = 32, 256
Op = Callable[[LatentModel, Tensor], tuple[Tensor, ...]]
ENCODE_NEEDS = "the embedding, the MI order and a traversal around an item (the posterior's mu and logvar)"
ENCODE_INSTEAD = "expected a run whose encoder is Gaussian"
OPS: dict[str, Op] = {
    "decode": lambda model, z: (model.decode(z),),  # (B, K) -> (B, *shape)
    "encode": lambda model, x: gaussian_params(model.encode(x), ENCODE_NEEDS, ENCODE_INSTEAD),  # -> mu, logvar (B, K)
    "reconstruct": lambda model, x: (model.decode(model.encode(x).mean),),  # (B, *shape) -> (B, *shape)
}


@dataclass(eq=False)
class _Task:
    key: Hashable  # (run_id, version, op) for a batchable forward; the task itself for a call
    model: LatentModel
    op: str | None = None
    inputs: Tensor | None = None  # (n, ...) on the CPU
    call: Callable[[LatentModel], Any] | None = None
    future: Future = field(default_factory=Future)

    @property
    def rows(self) -> int:
        return 0 if self.inputs is None else len(self.inputs)


def default_chunk_rows(device: torch.device) -> int:
    """Rows per forward pass when the settings leave it to the device: cache-sized on a CPU."""
    return GPU_CHUNK_ROWS if device.type == "cuda" else CPU_CHUNK_ROWS


def deterministic_device(device: torch.device) -> bool:
    """On a GPU: cuDNN's deterministic algorithms, no autotuning; returns whether passes need a fixed shape."""
    if device.type != "cuda":
        return False
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    return True


class InferenceExecutor:
    def __init__(self, queue_size: int, max_batch: int, chunk_rows: int, timeout_s: float,
                 retry_after_s: int = 1, fixed_shape: bool = False) -> None:
        self.queue_size, self.max_batch, self.chunk_rows = queue_size, max_batch, chunk_rows
        self.fixed_shape = fixed_shape  # every pass exactly chunk_rows rows (else a multiple of ROW_QUANTUM)
        self.timeout_s, self.retry_after_s = timeout_s, retry_after_s
        self._pending: deque[_Task] = deque()
        self._cond = threading.Condition()
        self._gate = threading.Event()  # cleared by ``paused()``: the thread holds its next batch
        self._gate.set()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.forwards = 0  # forward passes run
        self.rows_run = 0  # rows through those passes, padding included
        self.batches = 0  # batches run (a call counts as one)
        self.completed = 0  # requests answered
        self.in_flight = 0  # requests taken off the queue, not yet answered

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> InferenceExecutor:
        self._thread = threading.Thread(target=self._loop, name="factorscope-inference", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._closed = True
            dropped = list(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        self._gate.set()
        for task in dropped:
            task.future.set_exception(ServiceBusy("the server is shutting down; expected to retry later",
                                                  self.retry_after_s))
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closed

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._pending)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the thread before its next batch (requests keep queueing); for tests and maintenance."""
        self._gate.clear()
        try:
            yield
        finally:
            self._gate.set()

    # -- requests ------------------------------------------------------------------------------------
    def run(self, loaded: LoadedRun, op: str, inputs: Tensor) -> tuple[Tensor, ...]:
        """``OPS[op]`` on ``inputs`` (n, ...) -> CPU tensors with n rows each; batched with other requests."""
        key = (loaded.run_id, loaded.version, op)
        return self._wait(self._submit(_Task(key, loaded.model, op=op, inputs=inputs.cpu())))

    def call(self, loaded: LoadedRun, fn: Callable[[LatentModel], Any]) -> Any:
        """``fn(model)`` on the inference thread (never batched): seeded sampling, whole-dataset passes."""
        task = _Task(None, loaded.model, call=fn)
        task.key = task
        return self._wait(self._submit(task))

    def _submit(self, task: _Task) -> _Task:
        with self._cond:
            if self._closed:
                raise ServiceBusy("the server is shutting down; expected to retry later", self.retry_after_s)
            if len(self._pending) >= self.queue_size:
                raise ServiceBusy(f"the inference queue is full ({self.queue_size} requests waiting); "
                                  f"expected to retry after {self.retry_after_s} s", self.retry_after_s)
            self._pending.append(task)
            self._cond.notify()
        return task

    def _wait(self, task: _Task) -> Any:
        try:
            return task.future.result(self.timeout_s)
        except FutureTimeout as err:
            task.future.cancel()
            raise ServiceBusy(f"inference took longer than {self.timeout_s} s; expected to retry later",
                              self.retry_after_s) from err

    # -- the thread ----------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                first = self._pending.popleft()
                self.in_flight += 1
            self._gate.wait()
            batch = [first, *self._take_compatible(first)]
            self._execute([t for t in batch if t.future.set_running_or_notify_cancel()])
            with self._cond:
                self.in_flight -= len(batch)

    def _take_compatible(self, first: _Task) -> list[_Task]:
        """Queued tasks with ``first``'s key, oldest first, while the total rows fit ``max_batch``."""
        if first.call is not None:
            return []
        taken, rows = [], first.rows
        with self._cond:
            for task in list(self._pending):
                if task.key == first.key and rows + task.rows <= self.max_batch:
                    self._pending.remove(task)
                    taken.append(task)
                    rows += task.rows
            self.in_flight += len(taken)
        return taken

    def _execute(self, batch: list[_Task]) -> None:
        if not batch:
            return
        try:
            with torch.inference_mode():
                if batch[0].call is not None:
                    results = [batch[0].call(batch[0].model)]
                else:
                    results = self._forward_split(batch)
        except Exception as err:  # noqa: BLE001 - the requests get the error; the thread lives on
            for task in batch:
                task.future.set_exception(err)
        else:
            for task, result in zip(batch, results, strict=True):
                task.future.set_result(result)
        self.batches += 1
        self.completed += len(batch)

    def _forward_split(self, batch: list[_Task]) -> list[tuple[Tensor, ...]]:
        inputs = torch.cat([t.inputs for t in batch if t.inputs is not None])
        outputs = self._forward(batch[0].model, OPS[batch[0].op or ""], inputs)
        results, start = [], 0
        for task in batch:
            results.append(tuple(o[start : start + task.rows] for o in outputs))
            start += task.rows
        return results

    def pass_rows(self, n: int) -> int:
        """Rows of the pass that carries ``n`` <= chunk_rows rows: chunk_rows, or n up to a multiple of 16."""
        return self.chunk_rows if self.fixed_shape else n + (-n % ROW_QUANTUM)

    def _forward(self, model: LatentModel, op: Op, inputs: Tensor) -> tuple[Tensor, ...]:
        """``op`` over ``inputs`` in chunks of ``chunk_rows``, each padded with zeros to ``pass_rows``."""
        device = next(model.parameters()).device
        parts: list[tuple[Tensor, ...]] = []
        for start in range(0, len(inputs), self.chunk_rows):
            chunk = inputs[start : start + self.chunk_rows]
            n = len(chunk)
            pad = self.pass_rows(n) - n
            if pad:
                chunk = torch.cat([chunk, chunk.new_zeros((pad, *chunk.shape[1:]))])
            out = op(model, chunk.to(device))
            parts.append(tuple(o[:n].float().cpu() for o in out))
            self.forwards += 1
            self.rows_run += len(chunk)
        return tuple(torch.cat(column) for column in zip(*parts, strict=True))
