"""The test-only Laplace-prior family (this folder) against torch's Laplace, then trained, saved, loaded and
served end to end by the real app; and the proof that adding it took no file outside this folder."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from scipy.stats import norm

from backend.config import Settings
from backend.main import create_app
from backend.runs import create_run, load_run, train_run
from backend.services.catalog import config_schema
from laplace_family import FAMILY, LaplacePosterior, LaplacePrior, LaplaceVAE
from models import get_dataset, get_family, load_model, save_model
from models.config import ConfigError
from models.distributions import DiagonalGaussian, log_density_gaussian
from models.evaluation import encode_dataset
from models.training import TrainConfig

API = "/api/v1"
RUN, K = "laplace", 3
ROOT = Path(__file__).resolve().parents[3]


def _prior(scales: list[float]) -> LaplacePrior:
    prior = LaplacePrior(len(scales), 1.0)
    with torch.no_grad():
        prior.log_scale.copy_(torch.tensor(scales).log())
    return prior


def test_log_prob_quantiles_and_sd_are_torchs_laplace() -> None:
    prior, b = _prior([0.5, 1.0, 2.5]), torch.tensor([0.5, 1.0, 2.5])
    exact = torch.distributions.Laplace(torch.zeros(3), b)
    z = torch.randn(7, 3) * 3
    with torch.no_grad():
        torch.testing.assert_close(prior.marginal_log_prob(z), exact.log_prob(z))
        torch.testing.assert_close(prior.log_prob(z), exact.log_prob(z).sum(-1))
        probs = torch.tensor([0.01, 0.3, 0.5, 0.9])
        torch.testing.assert_close(prior.marginal_quantiles(probs), exact.icdf(probs[:, None].expand(-1, 3)))
        torch.testing.assert_close(prior.marginal_std(), exact.stddev)
        draws = prior.sample(200_000, torch.Generator().manual_seed(0))  # (n, K) by the inverse CDF
    torch.testing.assert_close(draws.abs().mean(0), b, rtol=0.01, atol=0)  # E|z| = b
    with pytest.raises(ValueError, match=r"expected a 1-D tensor of values in \(0, 1\)"):
        prior.marginal_quantiles(torch.tensor([0.0, 0.5]))


def closed_form_kl(mu: np.ndarray, logvar: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KL(N(mu, s^2) || Laplace(0, b)) per item and dim, by hand: -H(N) + log 2b + E|z| / b, with
    E|z| = s sqrt(2 / pi) exp(-mu^2 / 2 s^2) + mu (1 - 2 Phi(-mu / s)) (the folded normal's mean)."""
    s = np.exp(0.5 * logvar)
    abs_mean = s * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * s**2)) + mu * (1 - 2 * norm.cdf(-mu / s))
    return -0.5 * np.log(2 * np.pi * np.e * s**2) + np.log(2 * b) + abs_mean / b


def test_monte_carlo_kl_converges_to_the_closed_form() -> None:
    prior = _prior([0.7, 1.5])
    mu, logvar = torch.tensor([[0.3, -2.0], [1.0, 0.0]]), torch.tensor([[-1.0, 0.5], [0.0, -3.0]])
    posterior = DiagonalGaussian(mu, logvar)
    z = posterior.rsample(torch.Generator().manual_seed(0), (100_000,))  # (S, B, K)
    with torch.no_grad():
        per_dim = prior.kl_per_dim(posterior, z).mean(0)  # (B, K)
        total = prior.kl(posterior, z).mean(0)  # (B,)
    exact = closed_form_kl(mu.numpy(), logvar.numpy(), np.array([0.7, 1.5]))
    np.testing.assert_allclose(per_dim.numpy(), exact, atol=0.01)
    np.testing.assert_allclose(total.numpy(), exact.sum(1), atol=0.02)


def test_the_nested_prior_config_is_checked_and_round_trips() -> None:
    spec = get_family(FAMILY)
    assert spec.defaults()["prior"] == {"scale": 1.0}
    cfg = spec.config({"latent_dim": K, "prior": {"scale": 0.5}})
    assert cfg.prior.scale == 0.5 and spec.config(spec.defaults()) == spec.config_cls()
    for bad, message in (({"scale": -1}, r"LaplaceVAEConfig\.prior\.scale: expected a number > 0, got -1"),
                         ({"scale": "x"}, r"LaplaceVAEConfig\.prior\.scale: expected a finite number, got 'x'"),
                         ({"sigma": 1}, r"LaplaceVAEConfig\.prior: unknown field\(s\) \['sigma'\]"),
                         (3, r"LaplaceVAEConfig\.prior: expected an object of fields, got int")):
        with pytest.raises(ConfigError, match=message):
            spec.config({"prior": bad})
    schema = config_schema(FAMILY)  # the API's training-form schema, nested config described in its $defs
    assert schema["properties"]["prior"]["description"] == "the factorised Laplace prior p(z)"
    assert schema["$defs"]["LaplacePriorConfig"]["properties"]["scale"]["description"].startswith("initial scale")


@pytest.fixture(scope="module")
def laplace_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A FACTORSCOPE_HOME with one Laplace-prior VAE trained 300 steps on digits (a few seconds)."""
    home = tmp_path_factory.mktemp("laplace-home")
    create_run(home, FAMILY, {"latent_dim": K, "hidden": [32], "prior": {"scale": 0.5}}, "digits",
               TrainConfig(steps=300, eval_every=300, checkpoint_every=0, seed=0), run_id=RUN)
    train_run(home, RUN)
    return home


@pytest.fixture(scope="module")
def client(laplace_home: Path) -> Iterator[TestClient]:
    settings = Settings(home=laplace_home, database_url=f"sqlite:///{laplace_home}/jobs.db",
                        allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as c:
        yield c


def laplace_prior(model: torch.nn.Module) -> LaplacePrior:
    assert isinstance(model, LaplaceVAE) and isinstance(model.prior, LaplacePrior)
    return model.prior


def test_it_trains_its_prior_and_round_trips_through_safetensors(laplace_home: Path, tmp_path: Path) -> None:
    model, _ = load_run(laplace_home, RUN)
    learned = laplace_prior(model).scale.detach()
    assert not torch.allclose(learned, torch.full((K,), 0.5))  # the scales moved from the config's 0.5
    assert "prior.log_scale" in model.state_dict()  # saved with the weights
    save_model(model, tmp_path)
    loaded, header = load_model(tmp_path)
    assert header["config"]["prior"] == {"scale": 0.5}
    assert torch.equal(laplace_prior(loaded).scale, learned)
    z = torch.randn(4, K)
    with torch.inference_mode():
        assert torch.equal(loaded.decode(z), model.decode(z))


def test_run_detail_lists_the_family_and_its_capabilities(client: TestClient) -> None:
    body = client.get(f"{API}/runs/{RUN}").json()
    assert body["family"] == FAMILY and body["status"] == "ready" and body["capabilities"] == ["traversal"]
    assert body["config"]["prior"] == {"scale": 0.5}
    families = {f["name"]: f for f in client.get(f"{API}/families").json()["families"]}
    assert families[FAMILY]["defaults"]["prior"] == {"scale": 1.0}
    assert "LaplacePriorConfig" in families[FAMILY]["config_schema"]["$defs"]


def test_factors_kl_is_the_monte_carlo_kl_to_the_laplace_prior(client: TestClient, laplace_home: Path) -> None:
    body = client.get(f"{API}/runs/{RUN}/factors?n=500&seed=2").json()
    model, _ = load_run(laplace_home, RUN)
    data = get_dataset("digits")
    idx = np.sort(np.random.default_rng(2).choice(len(data), size=500, replace=False))
    mu, logvar = encode_dataset(model, data, idx)  # (N, K) float64
    b = laplace_prior(model).scale.detach().double().numpy()  # (K,)
    # by hand: one draw per item from a generator seeded with the request's seed, log q(z_j|x) - log p(z_j)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64).numpy()
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = log_density_gaussian(torch.from_numpy(z), torch.from_numpy(mu), torch.from_numpy(logvar)).numpy()
    by_hand = (log_q - (-np.log(2 * b) - np.abs(z) / b)).mean(0)
    kl = np.array([d["kl"] for d in body["dims"]])
    np.testing.assert_allclose(kl, by_hand, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kl, closed_form_kl(mu, logvar, b).mean(0), atol=0.15)  # MC error of 500 draws


def test_traversal_spans_the_laplace_quantiles(client: TestClient, laplace_home: Path) -> None:
    """A span of 1 "sd" covers what 1 sd of a Gaussian covers: the Laplace quantiles at Phi(-1) and Phi(1)."""
    r = client.get(f"{API}/runs/{RUN}/traversal.png?dims=0,1&steps=5")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
    body = client.get(f"{API}/runs/{RUN}/traversal?dims=2&steps=3&span=1&outputs=false").json()
    b = float(laplace_prior(load_run(laplace_home, RUN)[0]).scale[2].detach())
    q = -b * math.log(2 * (1 - norm.cdf(1.0)))  # the Laplace(0, b) quantile at Phi(1)
    assert body["values"][0] == pytest.approx([-q, 0.0, q], rel=1e-5)


def test_a_prior_sample_base_point_decodes_like_the_model(client: TestClient, laplace_home: Path) -> None:
    body = client.get(f"{API}/runs/{RUN}/traversal?dims=0&steps=2&base=prior:5&outputs=false").json()
    model, _ = load_run(laplace_home, RUN)
    with torch.inference_mode():
        z = model.prior.sample(1, torch.Generator().manual_seed(5))  # (1, K): a Laplace draw
        expected = model.decode(z).flatten(1).numpy()
    np.testing.assert_allclose(body["base_z"], z[0].numpy(), rtol=1e-6)
    decoded = client.post(f"{API}/runs/{RUN}/decode", json={"z": [body["base_z"]]}).json()
    np.testing.assert_allclose(decoded["outputs"], expected, atol=1e-6)


def test_adding_the_family_took_no_file_outside_this_folder() -> None:
    here = Path(__file__).parent
    assert {Path(inspect.getfile(cls)).parent for cls in (LaplaceVAE, LaplacePrior)} == {here}
    names = (FAMILY, "LaplaceVAE", "LaplacePrior", "laplace_family")
    for package in ("models", "backend", "frontend"):
        for source in sorted((ROOT / package).rglob("*.py")):
            text = source.read_text(encoding="utf-8")
            assert not any(name in text for name in names), source


def test_a_laplace_posterior_is_refused_where_gaussian_parameters_are_needed(laplace_home: Path,
                                                                            client: TestClient) -> None:
    posterior = LaplacePosterior(torch.tensor([[0.5, -1.0]]), torch.tensor([[0.0, -1.0]]))
    exact = torch.distributions.Laplace(posterior.loc, posterior.log_scale.exp())
    z = posterior.rsample(torch.Generator().manual_seed(0), (100_000,))  # (S, 1, 2)
    torch.testing.assert_close(posterior.log_prob(z[:3]), exact.log_prob(z[:3]).sum(-1))
    torch.testing.assert_close(z.mean(0), posterior.loc, atol=0.02, rtol=0)
    assert posterior.gaussian is None
    create_run(laplace_home, FAMILY, {"latent_dim": K, "hidden": [32], "posterior": "laplace"}, "digits",
               TrainConfig(steps=100, eval_every=100, checkpoint_every=0, seed=0), run_id="laplace-q")
    train_run(laplace_home, "laplace-q")  # the ELBO with a Monte Carlo KL between two Laplaces
    r = client.get(f"{API}/runs/laplace-q/factors?n=100")
    assert r.status_code == 409 and r.json()["type"].endswith("/gaussian-encoder-required")
    assert "needs a Gaussian encoder" in r.json()["detail"] and "LaplacePosterior" in r.json()["detail"]
    assert client.get(f"{API}/runs/laplace-q/traversal.png?base=prior:1").status_code == 200
    assert client.get(f"{API}/runs/laplace-q/reconstruct.png?items=1,2").status_code == 200  # the posterior mean
