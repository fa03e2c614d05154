"""bench/isa_results.py (issue 21): the total KL under each run's own prior against a closed form, the table's
arithmetic with known answers, and a --quick smoke run of one pair end to end, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from models import DataSpec, LatentModel, get_dataset, get_family

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def isa_results() -> Iterator[ModuleType]:
    """bench/isa_results.py, imported with bench/ on the path (it imports dsprites_results)."""
    sys.path.insert(0, str(BENCH))
    try:
        import isa_results

        yield isa_results
    finally:
        sys.path.remove(str(BENCH))


def build(family: str, config: dict) -> LatentModel:
    dataset = get_dataset("digits")
    spec = get_family(family)
    return spec.build(spec.config(config), DataSpec.from_info(dataset.info, len(dataset)), seed=3)


def shaken(model: LatentModel) -> LatentModel:
    """``model`` with N(0, 0.15^2) added to every weight: posteriors about 12 nats from N(0, I) (a fresh encoder's
    KL is about 0.01 nats, too close to 0 to check a Monte Carlo estimate against)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.15 * torch.randn(p.shape, generator=gen))
    return model


def test_total_kl_under_an_isa_prior_that_is_the_standard_normal_is_the_closed_form(
        isa_results: ModuleType, one_thread: None) -> None:
    """All exponents 2 and s = 2 make the ISA prior N(0, I): its Monte Carlo KL (400 draws per item) must meet
    the VAE's closed form for the same encoder (three seeds of draws: within 1.2%); the paper's dSprites exponents
    give another prior and KL."""
    vae = shaken(build("vae", {"latent_dim": 4}))
    gaussian_isa = build("isa_vae", {"latent_dim": 4, "subspace_sizes": [2, 2], "p0": 2.0, "p_inner": [2.0],
                                     "scale": 2.0, "learn_inner": False})
    paper_isa = build("isa_vae", {"latent_dim": 4, "subspace_sizes": [2, 2]})
    for isa in (gaussian_isa, paper_isa):
        isa.load_state_dict({**isa.state_dict(), **vae.state_dict()})  # the VAE's networks, the ISA prior kept
    items, dataset = np.arange(0, 1797, 60), get_dataset("digits")
    exact = isa_results.total_kl(vae, dataset, items, 1, 0)
    assert exact > 1
    assert isa_results.total_kl(gaussian_isa, dataset, items, 400, 0) == pytest.approx(exact, rel=0.03)
    assert abs(isa_results.total_kl(paper_isa, dataset, items, 400, 0) - exact) > 0.05 * exact


def row(label: str, seed: int, mig: float, kl: float, active: int) -> dict:
    report = {"metrics": {"mig_chen": {"value": mig}, "mig_dlib": {"value": mig / 2}},
              "reconstruction": {"nll": 100.0 + seed}, "log_likelihood": {"iw_elbo": -120.0 - seed}}
    return {"label": label, "seed": seed, "report": report, "total_kl": kl, "active_dims": active,
            "p_inner": [2.0, 2.25] if label.startswith("ISA") else None, "train_s": 9}


def test_the_mean_rows_give_mean_and_sample_std_over_seeds_per_model(isa_results: ModuleType) -> None:
    rows = [row("VAE", 0, 0.1, 20.0, 8), row("VAE", 1, 0.3, 30.0, 10), row("ISA-VAE", 0, 0.2, 25.0, 6)]
    vae, isa = isa_results.mean_rows(rows)
    assert vae == ("| VAE | 2 | 0.200 ± 0.141 | 0.100 ± 0.071 | 100.5 ± 0.7 | -120.5 ± 0.7 | 25.0 ± 7.1 | 9 ± 1 |")
    assert isa == "| ISA-VAE | 1 | 0.200 ± 0.000 | 0.100 ± 0.000 | 100.0 ± 0.0 | -120.0 ± 0.0 | 25.0 ± 0.0 | 6 ± 0 |"
    assert isa_results.seed_row(rows[2]) == (
        "| ISA-VAE | 0 | 0.200 | 0.100 | 100.0 | -120.0 | 25.0 | 6 | 2.00 2.25 | 9 |")


@pytest.mark.timeout(900)  # about a minute alone; minutes when the shared CPU is busy
def test_quick_run_trains_and_reports_the_vae_pair(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "isa_results.py"), "--quick", "--home", str(tmp_path / "home"),
                           "--seeds", "0", "--steps", "2", "--models", "vae", "isa_vae", "--out",
                           str(tmp_path / "rows.json")], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    seeds = re.findall(r"^\| (VAE|ISA-VAE) \| 0 \| (.+) \|$", done.stdout, re.MULTILINE)
    means = re.findall(r"^\| (VAE|ISA-VAE) \| 1 \| ", done.stdout, re.MULTILINE)
    assert [label for label, _ in seeds] == ["VAE", "ISA-VAE"] and means == ["VAE", "ISA-VAE"], done.stdout
    for label, cells in seeds:
        values = [c.strip() for c in cells.split("|")]
        assert 0 <= float(values[0]) <= 1 and 0 <= float(values[1]) <= 1  # MIG (Chen), MIG (dlib)
        assert float(values[2]) > 0 > float(values[3]) and float(values[4]) >= 0  # NLL, log p(x), KL
        if label == "VAE":
            assert values[6] == "-"
        else:  # the preset's five p_i, two Adam steps (lr 5e-4) from their start
            assert [round(float(e), 2) for e in values[6].split()] == [2.2] * 5, cells
    saved = json.loads((tmp_path / "rows.json").read_text())
    assert [r["run_id"] for r in saved] == ["results-vae-s0-2", "results-isa-vae-s0-2"]
