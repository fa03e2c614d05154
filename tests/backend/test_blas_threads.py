"""One BLAS thread (issue 20's review): ``blas_threads.one_blas_thread`` shared by blocks open in several threads at
once, and a real lens_fit job in the real worker running its score table's Platt fits on one BLAS thread (observed
with threadpoolctl from inside each fit) even when the process had two."""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from backend.blas_threads import one_blas_thread
from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app

API = "/api/v1"
PLATT = importlib.import_module("models.metrics.interpretability")  # the package's name is the function's
RUN = "tiny"  # conftest's shared tiny vae on digits (K = 4)
LENS = {"lens_id": "lens-b", "variant": "filvm", "k": 3, "T": 2, "attributes": ["label"],
        "labels": {"oracle": {"n": 120, "seed": 0}}, "hidden": [8], "fit": {"steps": 5, "batch_size": 64}}


def blas_threads() -> set[int]:
    """The thread counts of the BLAS libraries loaded in this process."""
    return {int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_blocks_open_in_several_threads_share_one_limit() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS loaded
    with threadpool_limits(2, user_api="blas"):
        opened, close = threading.Event(), threading.Event()
        seen: list[set[int]] = []

        def other() -> None:
            with one_blas_thread():
                opened.set()
                close.wait(10)
                seen.append(blas_threads())

        thread = threading.Thread(target=other)
        with one_blas_thread():
            thread.start()
            assert opened.wait(10) and blas_threads() == {1}
        assert blas_threads() == {1}  # the other block is still open
        close.set()
        thread.join(10)
        assert seen == [{1}] and blas_threads() == {2}  # the last to close restored the count from before


def test_a_lens_fit_job_runs_its_platt_fits_on_one_blas_thread(trained_home: Path, tmp_path: Path,
                                                               settings_for: Callable[..., Settings],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real, seen = PLATT.platt_svm_probabilities, []

    def observed(*args: Any, **kwargs: Any) -> np.ndarray:
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(PLATT, "platt_svm_probabilities", observed)  # the real fit, watched
    shutil.copytree(trained_home / "runs", tmp_path / "runs")
    settings = settings_for(tmp_path, device="cpu")
    with TestClient(create_app(settings)) as c, threadpool_limits(2, user_api="blas"):
        made = c.post(f"{API}/runs/{RUN}/lenses", json=LENS)
        assert made.status_code == 202, made.text
        run_worker(settings, once=True, store=c.app.state.jobs)
        assert c.get(made.json()["job_url"]).json()["state"] == "succeeded"
        assert seen and all(threads == {1} for threads in seen), seen
        assert blas_threads() == {2}  # restored after the job
