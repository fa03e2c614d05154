"""bench/labelling_latency.py (issue 17): the --quick smoke run end to end, as a user runs it (a real server and
worker on loopback, a lens, a session, a simulated labeller through an idle phase and a refit), read back from
its printed table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK_LABELS = 20  # labels per phase in --quick


def phase_row(out: str, name: str) -> list[str]:
    row = next((line for line in out.splitlines() if line.startswith(f"| {name} |")), None)
    assert row is not None, out
    return [cell.strip() for cell in row.strip("|").split("|")]


def pair(cell: str) -> tuple[float, float]:
    """'p50 / p90' in ms -> the two numbers."""
    p50, p90 = (float(v) for v in cell.split(" / "))
    return p50, p90


@pytest.mark.timeout(900)  # minutes when the shared CPU is busy
def test_quick_run_times_both_phases_and_the_switch_to_the_refit(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "labelling_latency.py"), "--quick", "--home",
                           str(tmp_path / "home")], check=False, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    idle, busy = phase_row(out, "idle"), phase_row(out, "refit running")
    assert int(idle[1]) == QUICK_LABELS and 0 < int(busy[1]) < QUICK_LABELS  # the refit ended the busy phase
    for cells in (idle, busy):
        for cell in cells[2:5]:  # /health, next, POST label
            p50, p90 = pair(cell)
            assert 0 < p50 <= p90, cells
    switch = re.search(r"new lens version \w+ -> next serves it: ([\d.]+) s", out)
    assert switch is not None and float(switch[1]) > 0, out
    ranked = re.search(r"rank_pool in process, (\d+) items: ([\d.]+) s wall", out)
    assert ranked is not None and int(ranked[1]) == 1797 and float(ranked[2]) > 0, out  # all of digits (< 50,000)
    assert re.search(r"pool 1478 items", out), out  # digits' 1,797 less the 319 held out
