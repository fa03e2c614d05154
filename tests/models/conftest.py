"""Fixtures for the model-library tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread for tests of tiny tensors: on a busy 2-core machine a second thread only adds contention
    (float32 ``log`` and advanced indexing were 100x slower with two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
