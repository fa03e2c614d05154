"""An ISA-VAE run (Lp-nested prior, SCIENCE.md section 5) through the API: traversal spans in prior quantiles,
its median as the zero base, prior-sample bases from its own prior, the prior object and per-dim KL to its
marginals in factors; and the standard-normal runs' traversals unchanged to the byte."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from conftest import make_settings, serve
from fastapi.testclient import TestClient
from scipy import stats
from scipy.special import ndtr

from backend.convert import grid_png
from backend.runs import create_run, load_run, train_run
from backend.services.catalog import config_schema
from backend.services.latents import PRIOR_QUANTILES
from models import LpNested, StandardNormal, get_dataset
from models.distributions import log_density_gaussian
from models.evaluation import encode_dataset
from models.training import TrainConfig

API = "/api/v1"
ISA, VAE = "isa", "tiny"  # VAE: the session's vae run (conftest.py)
SIZES, P_INNER = (3, 2, 1), (2.2, 1.6, 2.0)
CONFIG = {"latent_dim": 6, "hidden": [32], "subspace_sizes": list(SIZES), "p0": 2.1, "p_inner": list(P_INNER)}


@pytest.fixture(scope="module")
def isa_home(tmp_path_factory: pytest.TempPathFactory, trained_home: Path) -> Path:
    """The session's vae run and a tiny isa_vae on digits (60 steps, seconds), in one home."""
    home = tmp_path_factory.mktemp("isa-home")
    (home / "runs").mkdir()
    for source in (trained_home / "runs").iterdir():
        (home / "runs" / source.name).symlink_to(source)
    create_run(home, "isa_vae", CONFIG, "digits", TrainConfig(steps=60, eval_every=60, checkpoint_every=0, seed=0),
               run_id=ISA)
    train_run(home, ISA)
    return home


@pytest.fixture(scope="module")
def client(isa_home: Path) -> Iterator[TestClient]:
    with serve(make_settings(isa_home)) as c:
        yield c


@pytest.fixture(scope="module")
def prior(isa_home: Path) -> LpNested:
    model, _ = load_run(isa_home, ISA)
    assert isinstance(model.prior, LpNested)
    return model.prior


def traversal(client: TestClient, run: str, query: str) -> dict[str, Any]:
    r = client.get(f"{API}/runs/{run}/traversal?{query}&outputs=false")
    assert r.status_code == 200, r.text
    return r.json()


def test_steps_around_zero_are_the_priors_quantiles_at_phi_t(client: TestClient, prior: LpNested) -> None:
    body = traversal(client, ISA, "dims=0,3,5&steps=7&span=2.5")
    t = np.linspace(-2.5, 2.5, 7)
    expected = prior.marginal_quantiles(torch.from_numpy(ndtr(t))).numpy()[:, [0, 3, 5]].T  # (D, S)
    np.testing.assert_allclose(body["values"], expected, rtol=1e-6, atol=1e-7)
    assert body["span_unit"] == "prior_quantile" and body["centre"] == "prior_median"
    assert body["base_z"] == [0.0] * 6  # the medians of a symmetric prior
    # "2.5 sd" covers what it covers for a Gaussian: P(|z_j| <= value) = 1 - 2 Phi(-2.5), not what 2.5 x the
    # marginal sd covers (the Lp-nested marginals are not Gaussian)
    sd = prior.marginal_std().detach().numpy()[[0, 3, 5]]
    assert not np.allclose(np.array(body["values"])[:, -1], 2.5 * sd, rtol=1e-3)


def test_the_quantiles_are_cached_per_run_version(client: TestClient) -> None:
    body = traversal(client, ISA, "dims=1&steps=4&span=1.5")
    key = (ISA, body["version"], np.linspace(-1.5, 1.5, 4).tobytes())
    cached = PRIOR_QUANTILES.get(key)  # (4, K)
    assert cached is not None
    assert traversal(client, ISA, "dims=2&steps=4&span=1.5")["values"][0] == pytest.approx(cached[:, 2].tolist(),
                                                                                           rel=1e-6)


def test_a_prior_sample_base_is_a_draw_of_the_runs_own_prior(client: TestClient, prior: LpNested) -> None:
    body = traversal(client, ISA, "dims=4&steps=3&span=1&base=prior:7")
    with torch.no_grad():
        draw = prior.sample(1, torch.Generator().manual_seed(7))[0].numpy()
    np.testing.assert_allclose(body["base_z"], draw, rtol=1e-6)
    assert body["centre"] == "prior_sample" and body["span_unit"] == "prior_quantile"
    q = prior.marginal_quantiles(torch.from_numpy(ndtr(np.array([-1.0, 0.0, 1.0])))).numpy()[:, 4]
    np.testing.assert_allclose(body["values"][0], draw[4] + q, rtol=1e-6, atol=1e-7)  # the steps, moved to it


def test_prior_sample_bases_pass_the_radial_ks_test(client: TestClient, prior: LpNested) -> None:
    """f(z)^p0 / s ~ Gamma(n/p0, 1) under the Lp-nested prior (SCIENCE.md section 5), for the API's draws."""
    z = np.array([traversal(client, ISA, f"dims=0&steps=2&base=prior:{seed}")["base_z"] for seed in range(200)])
    with torch.no_grad():
        radial = prior.radial(torch.from_numpy(z)).numpy()
    assert stats.kstest(radial, stats.gamma(a=sum(SIZES) / prior.p0).cdf).pvalue > 0.01


def test_a_span_past_the_representable_quantiles_is_a_422(client: TestClient,
                                                          problem: Callable[..., dict[str, Any]]) -> None:
    problem(client.get(f"{API}/runs/{ISA}/traversal.png?dims=0&span=9"), 422, "span_mode=abs", "Phi(t)")
    assert traversal(client, ISA, "dims=0&steps=3&span=9&span_mode=abs")["values"] == [[-9.0, 0.0, 9.0]]
    assert client.get(f"{API}/runs/{ISA}/traversal.png?dims=0&span=8").status_code == 200


def test_factors_carry_the_prior_and_kl_to_each_dims_marginal(client: TestClient, isa_home: Path,
                                                              prior: LpNested) -> None:
    body = client.get(f"{API}/runs/{ISA}/factors?n=300&seed=2").json()
    p = prior.p_inner.detach().tolist()
    assert body["prior"] == {"kind": "lp_nested", "p0": 2.1, "scale": 1.0, "learn_inner": True, "subspaces": [
        {"dims": [0, 1, 2], "p": pytest.approx(p[0]), "p_init": pytest.approx(2.2)},
        {"dims": [3, 4], "p": pytest.approx(p[1]), "p_init": pytest.approx(1.6)},
        {"dims": [5], "p": pytest.approx(p[2]), "p_init": pytest.approx(2.0)}]}
    assert p != pytest.approx(P_INNER, abs=1e-6)  # training moved the learned exponents
    model, _ = load_run(isa_home, ISA)
    data = get_dataset("digits")
    idx = np.sort(np.random.default_rng(2).choice(len(data), size=300, replace=False))
    mu, logvar = encode_dataset(model, data, idx)  # (N, K) float64
    # by hand: one draw per item from a generator seeded with the request's seed, log q(z_j|x) - log p_j(z_j)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    z = torch.from_numpy(mu) + torch.from_numpy(np.exp(0.5 * logvar)) * eps
    with torch.no_grad():
        by_hand = (log_density_gaussian(z, torch.from_numpy(mu), torch.from_numpy(logvar))
                   - prior.marginal_log_prob(z)).mean(0).numpy()
    kl = np.array([d["kl"] for d in body["dims"]])
    np.testing.assert_allclose(kl, by_hand, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kl, exact_marginal_kl(mu, logvar, prior).mean(0), atol=0.2)  # 300 draws' MC error


def exact_marginal_kl(mu: np.ndarray, logvar: np.ndarray, prior: LpNested) -> np.ndarray:
    """(N, K): KL(N(mu, s^2) || p_j) by quadrature over mu +- 8 s (trapezoid, 801 points)."""
    s = np.exp(0.5 * logvar)
    u = np.linspace(-8, 8, 801)  # (G,)
    z = mu[..., None] + s[..., None] * u  # (N, K, G)
    log_q = stats.norm.logpdf(u) - np.log(s)[..., None]
    with torch.no_grad():
        log_p = prior.marginal_log_prob(torch.from_numpy(z).transpose(-1, -2)).transpose(-1, -2).numpy()
    return np.trapezoid(stats.norm.pdf(u) * (log_q - log_p), u, axis=-1)


def test_a_standard_normal_runs_traversal_pngs_keep_their_bytes(client: TestClient, isa_home: Path) -> None:
    """For N(0, I) the quantile at Phi(t) is t: zero and prior bases give the old grid, centre + t, to the byte."""
    model, _ = load_run(isa_home, VAE)
    t = np.linspace(-3, 3, 5)
    with torch.inference_mode():
        draw = model.prior.sample(1, torch.Generator().manual_seed(3))[0].double().numpy()
    for base, centre in (("zero", np.zeros(4)), ("prior:3", draw)):
        z = np.repeat(centre[None], 2 * len(t), axis=0)  # dims 1 and 2 traversed, row-major (dim, step)
        z[:5, 1], z[5:, 2] = centre[1] + t, centre[2] + t
        with torch.inference_mode():
            outputs = model.decode(torch.from_numpy(z.astype(np.float32))).numpy()
        r = client.get(f"{API}/runs/{VAE}/traversal.png?dims=1,2&steps=5&span=3&base={base}")
        assert r.status_code == 200 and r.content == grid_png(outputs, 2, 5, get_dataset("digits").info), base
    assert traversal(client, VAE, "dims=0&steps=3&span=40")["values"] == [[-40.0, 0.0, 40.0]]  # no tail limit


def test_standard_normal_quantiles_at_scores_are_the_scores_exactly() -> None:
    t = torch.tensor([-40.0, -8.3, -2.5, 0.0, 1e-3, 6.0, 40.0], dtype=torch.float64)
    assert torch.equal(StandardNormal(3).marginal_quantiles_at_scores(t), t[:, None].expand(-1, 3))
    with pytest.raises(ValueError, match="strictly inside"):
        LpNested([2], 2.1, 2.2).marginal_quantiles_at_scores(torch.tensor([0.0, 8.3]))


def test_the_train_form_fields_of_isa_vae_are_int_and_float_lists() -> None:
    props = config_schema("isa_vae")["properties"]
    assert props["subspace_sizes"]["type"] == "array" and props["subspace_sizes"]["items"]["type"] == "integer"
    assert props["p_inner"]["type"] == "array" and props["p_inner"]["items"]["type"] == "number"
