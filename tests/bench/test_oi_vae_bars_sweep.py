"""bench/oi_vae_bars_sweep.py (issue 18 item 2): the recovery checks on heatmaps with known answers, the config it
trains (every oi-VAE field set by the bench), and its --quick smoke run end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from models import get_family

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def sweep() -> Iterator[ModuleType]:
    """The bench module, imported with bench/ on the path (it imports its sibling glyphs_base)."""
    sys.path.insert(0, str(BENCH))
    try:
        import oi_vae_bars_sweep

        yield oi_vae_bars_sweep
    finally:
        sys.path.remove(str(BENCH))


def permutation_heatmap(latent_dim: int = 8) -> np.ndarray:
    """(8, latent_dim): row g driven by dim (3 g + 1) mod 8 only, with norms 0.5 .. 1.2."""
    h = np.zeros((8, latent_dim))
    h[np.arange(8), (3 * np.arange(8) + 1) % 8] = 0.5 + 0.1 * np.arange(8)
    return h


def test_a_permutation_with_exact_zeros_is_recovered(sweep: ModuleType) -> None:
    for h in (permutation_heatmap(), permutation_heatmap(16)):  # K = 16: the extra dims all-zero
        assert sweep.recovered(h) and sweep.soft_pattern(h)
        assert sweep.heatmap_stats(h) == {"recovered": True, "perm": True, "zeros": h.size - 8}


def test_a_small_nonzero_off_the_pattern_is_not_recovered_but_keeps_the_pattern(sweep: ModuleType) -> None:
    h = permutation_heatmap()
    h[2, 0] = 1e-6  # not an exact zero
    assert not sweep.recovered(h) and sweep.soft_pattern(h)
    assert sweep.heatmap_stats(h)["zeros"] == 55


def test_two_rows_on_one_dim_is_neither(sweep: ModuleType) -> None:
    h = permutation_heatmap()
    h[0], h[1] = 0.0, 0.0
    h[0, 5], h[1, 5] = 1.0, 1.0  # exact zeros elsewhere, but dims 5 drives two rows and no dim drives row 0 alone
    assert not sweep.recovered(h) and not sweep.soft_pattern(h)
    h[1, 5], h[1, 6] = 0.0, 0.0  # row 1 dead: all zero
    assert not sweep.recovered(h)


def test_the_bench_sets_every_config_field_and_builds(sweep: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    cell = sweep.Cell(lam=1.0, w_lr=1e-4, w_init_std=1.0, prox_warmup=0, batch_size=64, steps=10)
    config = get_family("oi_vae").config(sweep.oi_config(cell, 8))
    assert (config.lam, config.w_lr, config.latent_dim, config.generator_hidden) == (1.0, 1e-4, 8, ())
    monkeypatch.setattr(sweep, "NET", {k: v for k, v in sweep.NET.items() if k != "beta"})
    with pytest.raises(RuntimeError, match="beta"):
        sweep.oi_config(cell, 8)


@pytest.mark.slow
@pytest.mark.timeout(900)  # minutes when the shared CPU is busy
def test_quick_prints_the_table_and_writes_one_run(tmp_path: Path) -> None:
    out = tmp_path / "sweep.jsonl"
    done = subprocess.run([sys.executable, str(BENCH / "oi_vae_bars_sweep.py"), "--quick", "--out", str(out)],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert run["cell"]["lam"] == 4.0 and run["seed"] == 0 and np.array(run["heatmap"]).shape == (8, 8)
    assert run["kl"] > 0 and 0 <= run["active"] <= 8 and 0.0 <= run["final"]["hold"] <= 1.0
    assert run["polished"]["zeros"] == int((np.array(run["heatmap"]) == 0.0).sum())
    row = next(line for line in done.stdout.splitlines() if line.startswith("| 4 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:6] == ["4", "0.001", "1", "0", "64", "300"]
    assert cells[6] == f"{run['snapshots']['100']['zeros']} / {run['final']['zeros']}"
    assert cells[10] == str(run["polished"]["zeros"]) and cells[12] == str(run["active"])
