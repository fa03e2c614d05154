"""An acknowledged label is durable (issue 17): a real API process (uvicorn on loopback, ``factorscope serve``) is
killed with SIGKILL in the middle of a stream of labels; after a restart on the same database every label it
answered 201 for is there, and the request it was killed in, retried with its Idempotency-Key, stores at most one
label. On SQLite and on PostgreSQL (``database_url`` in conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_api_label_sessions import LENS, RUN, make_lens_home
from test_api_serve import ROOT, free_port, wait_healthy

ACKED_BEFORE_KILL = 15  # labels answered before the kill


def serve(home: Path, database_url: str, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port),
           "FACTORSCOPE_DATABASE_URL": database_url}
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def lens_home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lens_home(trained_home, tmp_path_factory.mktemp("durable-home"))


@pytest.fixture
def home(lens_home: Path, tmp_path: Path) -> Path:
    shutil.copytree(lens_home / "runs", tmp_path / "home" / "runs")
    return tmp_path / "home"


@pytest.fixture
def api(home: Path, database_url: str) -> Iterator[tuple[str, list[subprocess.Popen[str]]]]:
    """A base URL whose server process(es) the test may kill and restart; every one is killed at the end."""
    port = free_port()
    procs = [serve(home, database_url, port)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, procs[0])
        yield base, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


class Stream:
    """Labels given one after another (next, then POST with a fresh key) until the server stops answering."""

    def __init__(self, base: str, sid: str) -> None:
        self.base, self.sid = base, sid
        self.acked: dict[str, dict[str, Any]] = {}  # idempotency key -> the label the server answered
        self.in_flight: dict[str, Any] | None = None  # the POST the server died in (its key and body)
        self.enough = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            for i in range(10_000):
                try:
                    item = http.get(f"/api/v1/label-sessions/{self.sid}/next", params={"labeller": "ann"}).json()
                except httpx.TransportError:
                    return
                self.in_flight = {"key": f"key-{i}", "body": {"item": item["item"], "value": i % 10,
                                                               "labeller": "ann"}}
                try:
                    answer = self._post(http, self.in_flight)
                except httpx.TransportError:
                    return
                assert answer.status_code == 201, answer.text
                self.acked[f"key-{i}"], self.in_flight = answer.json(), None
                if len(self.acked) >= ACKED_BEFORE_KILL:
                    self.enough.set()

    def _post(self, http: httpx.Client, request: dict[str, Any]) -> httpx.Response:
        return http.post(f"/api/v1/label-sessions/{self.sid}/labels", json=request["body"],
                         headers={"Idempotency-Key": request["key"]})


def test_kill_9_during_a_stream_of_labels_loses_no_acknowledged_label(
        api: tuple[str, list[subprocess.Popen[str]]], home: Path, database_url: str) -> None:
    base, procs = api
    made = httpx.post(f"{base}/api/v1/label-sessions", json={"run_id": RUN, "lens_id": LENS, "attributes": ["label"],
                                                             "refit_every": 100_000}, timeout=120)
    assert made.status_code == 201, made.text
    stream = Stream(base, made.json()["id"])
    worker = threading.Thread(target=stream.run)
    worker.start()
    assert stream.enough.wait(timeout=300), "the stream of labels did not get going"
    procs[0].kill()  # SIGKILL: no shutdown, no flush
    procs[0].wait()
    worker.join(timeout=60)
    acked = dict(stream.acked)
    assert len(acked) >= ACKED_BEFORE_KILL

    procs.append(serve(home, database_url, int(base.rsplit(":", 1)[1])))
    wait_healthy(base, procs[-1])
    with httpx.Client(base_url=base, timeout=30) as http:
        url = f"/api/v1/label-sessions/{stream.sid}"
        stored = {row["id"]: row for row in http.get(f"{url}/history", params={"n": 1000}).json()["labels"]}
        for label in acked.values():
            assert stored[label["id"]] == label  # every acknowledged label, exactly as acknowledged
        if stream.in_flight is not None:  # the request it died in: a retry stores it at most once
            retried = stream._post(http, stream.in_flight)
            assert retried.status_code in (200, 201), retried.text
            item = stream.in_flight["body"]["item"]
            rows = http.get(f"{url}/history", params={"n": 1000}).json()["labels"]
            assert [row["item"] for row in rows].count(item) == 1
        assert http.get(url).json()["progress"]["labels"] == len(acked) + (stream.in_flight is not None)
