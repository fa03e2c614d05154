"""``one_blas_thread()``: numpy's and scipy's BLAS (OpenBLAS) on one thread inside the block.

Why: a lens's score table and learning curve fit hundreds of two-parameter L-BFGS problems (Platt scaling), which two
OpenBLAS threads on a busy CPU made 8 to 30 times slower (one Platt fit of a 10-class attribute on 300 items: 3.2 to
13 s against 0.4 s, on 2 cores at load 13). ``factorscope prepare`` and the worker's lens fits use it.

OpenBLAS's thread count is one for the whole process, and threadpoolctl lets only one thread set it: the first that
does, until it lets go; the others' calls do nothing. So blocks open in several threads at once (a worker's slots)
share one limit: the first to open takes control and sets it, the last to close takes control, restores the counts
from before the first, and lets go (as ``models.cpu_threads`` shares torch's count)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import OpenBLASController, threadpool_limits

_LOCK = threading.Lock()
_HELD: list[threadpool_limits] = []  # the limiter set by the first open block, once per block open now


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread until the last block open in this process closes."""
    with _LOCK:
        if not _HELD:
            OpenBLASController.clear_controlling_thread(force=True)  # this thread takes control
        _HELD.append(_HELD[0] if _HELD else threadpool_limits(1, user_api="blas"))
    try:
        yield
    finally:
        with _LOCK:
            limiter = _HELD.pop()
            if not _HELD:
                OpenBLASController.clear_controlling_thread(force=True)  # this one, maybe not the first, restores
                limiter.restore_original_limits()
                OpenBLASController.clear_controlling_thread(force=True)  # and lets go
