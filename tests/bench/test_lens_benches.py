"""bench/lens_results.py and bench/lens.py (issue 16): the table's arithmetic with known answers, the bare loop
training exactly the lens ``fit_lens`` trains (so the throughput compares like with like), and both --quick smoke
runs end to end, as a user runs them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[tuple[ModuleType, ModuleType]]:
    """(lens_results, lens), imported with bench/ on the path (they import their siblings)."""
    sys.path.insert(0, str(BENCH))
    try:
        import lens
        import lens_results

        yield lens_results, lens
    finally:
        sys.path.remove(str(BENCH))


def rows(label: float, width: float) -> dict[str, dict[str, dict[str, float]]]:
    return {"label": {"lens": {"value": label}}, "stroke_width": {"lens": {"value": width}}}


def test_a_cell_is_the_geometric_mean_over_the_attributes(bench: tuple[ModuleType, ModuleType]) -> None:
    results = bench[0]
    assert results.overall(rows(0.25, 1.0), "lens") == pytest.approx(0.5)
    assert results.cell(rows(0.9, 0.4), "lens") == pytest.approx({"overall": 0.6, "label": 0.9, "stroke_width": 0.4})
    assert results.percent(results.cell(rows(0.9, 0.4), "lens")) == "60.0 (90.0 / 40.0)"
    assert results.percent(None) == "-"


def test_the_mean_row_averages_the_seeds_and_keeps_a_missing_column_empty(
        bench: tuple[ModuleType, ModuleType]) -> None:
    results = bench[0]
    one = {"overall": 0.5, "label": 0.6, "stroke_width": 0.4}
    two = {"overall": 0.7, "label": 0.8, "stroke_width": 0.6}
    table = [{"n": 100, "seed": s, "base": c, "ilvm": c, "filvm": c, "jlvm": None} for s, c in ((0, one), (1, two))]
    assert results.mean_row(table, 100) == "| 100 | mean | " + " | ".join(["**60.0 (70.0 / 50.0)**"] * 3) + " | - |"


def test_the_bare_loop_trains_the_same_lens_as_fit_lens(bench: tuple[ModuleType, ModuleType]) -> None:
    """Same model, loss, batches and noise: after a few steps both loops hold the same weights."""
    lens_bench = bench[1]
    torch.set_num_threads(1)
    case = lens_bench.Case(n_items=300, n_labelled=60, batch=32, steps=4)
    trained = []
    for loop in (lens_bench.fit_lens, lens_bench.bare_loop):
        lens, (z, labels, mask) = lens_bench.build_lens(3), lens_bench.data(case, 3)
        loop(lens, z, labels, mask, case.steps, case.batch, 1e-3, 3)
        trained.append(lens.state_dict())
    untrained = lens_bench.build_lens(3).state_dict()
    assert any(not torch.equal(trained[0][k], untrained[k]) for k in untrained)
    for key, value in trained[0].items():
        torch.testing.assert_close(trained[1][key], value, rtol=0, atol=0, msg=key)


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), "--quick", *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.timeout(900)  # minutes when the shared CPU is busy
def test_lens_results_quick_prints_the_table_and_saves_the_grid(tmp_path: Path) -> None:
    figure = tmp_path / "grid.png"
    out = run("lens_results.py", "--cache", str(tmp_path / "home"), "--seeds", "0", "--figure", str(figure))
    assert re.search(r"'active': \d+", out), out
    row = next(line for line in out.splitlines() if line.startswith("| 100 | 0 |"))
    cells = [c.strip() for c in row.strip("|").split("|")][2:]
    for c in cells[:3]:  # base, ILVM, FILVM: overall (digit / width), every one a probability in percent
        values = [float(v) for v in re.findall(r"[\d.]+", c)]
        assert len(values) == 3 and all(0 < v <= 100 for v in values), row
    image = Image.open(io.BytesIO(figure.read_bytes()))
    assert image.format == "PNG" and image.size[0] == image.size[1] > 3 * 28  # 3 x 3 glyphs, digit x width


@pytest.mark.timeout(900)
def test_lens_bench_quick_prints_throughput_and_refit(tmp_path: Path) -> None:
    out = run("lens.py", "--cache", str(tmp_path / "home"), "--repeats", "1", "--refit-repeats", "1")
    ratios = [float(r) for r in re.findall(r"([\d.]+) \((?:wall|CPU)\)", out)]
    assert len(ratios) == 2 and all(r > 0 for r in ratios), out
    refit = re.search(r"refit after 50 labels: (\d+) labelled of (\d+) items, 5 steps.*: ([\d.]+) s POST", out)
    assert refit is not None, out
    labelled, items = int(refit[1]), int(refit[2])
    assert 100 < labelled <= 150 and items == 650  # the pool: 100 + 50 labels (some may coincide), then others
    assert float(refit[3]) > 0 and np.isfinite(float(refit[3]))
