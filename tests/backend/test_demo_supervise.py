"""``factorscope demo``'s supervisor with real child processes: a child killed with SIGKILL is started again (a log
line says so) while the others run on; a child that keeps exiting stops the demo after MAX_RESTARTS restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from backend.cli_demo import Child, supervise

TIMEOUT_S = 60.0


def python(code: str) -> Callable[[], subprocess.Popen]:
    return lambda: subprocess.Popen([sys.executable, "-c", code])


SLEEPER = python("import time; time.sleep(120)")


@pytest.fixture
def children() -> Iterator[list[Child]]:
    made: list[Child] = []
    yield made
    for child in made:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()


def wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.05)


def test_a_killed_child_is_restarted_and_the_others_run_on(children: list[Child],
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    children += [Child("API", SLEEPER), Child("worker", SLEEPER), Child("dashboard", SLEEPER)]
    stop, result = threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(supervise(children, stop, every_s=0.05)))
    thread.start()
    try:
        wait_until(lambda: all(c.proc is not None for c in children))
        first = {c.name: c.running().pid for c in children}
        os.kill(first["worker"], signal.SIGKILL)
        wait_until(lambda: children[1].running().pid != first["worker"])
        assert children[1].running().poll() is None and children[1].restarts == 1
        assert {c.name: c.running().pid for c in children if c.name != "worker"} == {
            "API": first["API"], "dashboard": first["dashboard"]}
    finally:
        stop.set()
        thread.join(TIMEOUT_S)
    assert result == [0]
    assert (f"the worker (pid {first['worker']}) exited with code -9; restarting it (1 of 3)"
            in capfd.readouterr().err)


def test_a_child_that_keeps_exiting_stops_the_demo(children: list[Child], capfd: pytest.CaptureFixture[str]) -> None:
    children += [Child("API", SLEEPER), Child("worker", python("raise SystemExit(3)"))]
    assert supervise(children, threading.Event(), max_restarts=2, every_s=0.05) == 1
    err = capfd.readouterr().err
    assert "restarting it (1 of 2)" in err and "restarting it (2 of 2)" in err
    assert "the worker exited with code 3 after 2 restarts; stopping" in err
    assert children[0].running().poll() is None  # the caller (run_demo) stops the others
