"""Known answers for the Lp-nested (ISA) prior (issue 21 "Must show"; ../shared/SCIENCE.md section 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from scipy.integrate import cubature

from models import LpNested
from models.distributions import DiagonalGaussian, NotFactorisedError, Posterior, Prior

# (subspace sizes, p0, p_inner, scale): non-Gaussian layouts, exponents below and above 1 and 2.
LAYOUTS_2D = [((2,), 1.3, 0.8, 1.5), ((1, 1), 2.1, 3.0, 1.0), ((2,), 0.7, 2.5, 2.0), ((2,), 2.1, 2.2, 1.0)]
MIXED = ((1, 3, 2), 1.5, (0.8, 2.5, 1.2), 1.7)  # every subspace size kind, p_i != p0
DSPRITES = ((4,) * 5, 2.1, 2.2, 1.0)  # the paper's dSprites preset

pytestmark = pytest.mark.usefixtures("one_thread")


def prior(sizes, p0, p, scale=1.0) -> LpNested:
    return LpNested(sizes, p0, p, scale=scale, dtype=torch.float64)


def density(m: LpNested):
    """numpy (N, d) -> (N,): p(z), for scipy's vectorised cubature."""
    return lambda x: torch.exp(m.log_prob(torch.from_numpy(x))).detach().numpy()


def positive_orthant_integral(f, d: int) -> float:
    """Integral of f over (0, inf)^d, as z = u^3 (dz = 3u^2 du) to smooth the cusp |z|^p has at 0 for p < 1."""
    return cubature(lambda u: f(u**3) * np.prod(3 * u**2, axis=1), np.zeros(d), np.full(d, np.inf), rtol=1e-8,
                    atol=1e-13).estimate


@pytest.mark.parametrize("sizes", [(20,), (4, 4, 4, 4, 4), (1, 3, 2), (1,)])
def test_all_exponents_two_and_scale_two_is_the_standard_normal(sizes):
    m = prior(sizes, 2.0, 2.0, scale=2.0)
    z = torch.randn(64, sum(sizes), generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    torch.testing.assert_close(m.log_prob(z), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("p0, scale", [(0.6, 1.0), (1.0, 2.5), (2.1, 1.0), (3.5, 0.7)])
def test_density_integrates_to_one_in_one_dim(p0, scale):
    assert 2 * positive_orthant_integral(density(prior((1,), p0, 1.7, scale)), 1) == pytest.approx(1, abs=1e-8)


@pytest.mark.parametrize("sizes, p0, p, scale", LAYOUTS_2D)
def test_density_integrates_to_one_in_two_dims(sizes, p0, p, scale):
    assert 4 * positive_orthant_integral(density(prior(sizes, p0, p, scale)), 2) == pytest.approx(1, abs=1e-7)


@pytest.mark.parametrize("sizes, p0, p, scale", [MIXED, DSPRITES, ((3,), 0.8, 1.9, 2.0)])
def test_sampled_radius_is_gamma(sizes, p0, p, scale):
    m = prior(sizes, p0, p, scale)
    radial = m.radial(m.sample(20_000, torch.Generator().manual_seed(1))).detach().numpy()
    assert stats.kstest(radial, stats.gamma(sum(sizes) / p0).cdf).pvalue > 1e-3


def test_each_sampled_marginal_matches_the_traversal_quantiles():
    """KS statistic of each dim's sample read at the quantiles marginal_quantiles gives (a grid of 99)."""
    m, n = prior(*MIXED), 20_000
    probs = np.linspace(0.01, 0.99, 99)
    quantiles = m.marginal_quantiles(probs).numpy()  # (99, dim)
    z = m.sample(n, torch.Generator().manual_seed(2)).numpy()
    ecdf = (z[:, None, :] <= quantiles[None]).mean(0)  # (99, dim)
    worst = np.abs(ecdf - probs[:, None]).max(0)  # (dim,)
    assert stats.kstwo(n).sf(worst.max()) > 1e-3 / m.latent_dim, worst


def test_marginal_quantiles_standard_normal_when_gaussian():
    probs = [0.001, 0.025, 0.3, 0.5, 0.8, 0.99]
    got = prior((1, 3, 2), 2.0, 2.0, scale=2.0).marginal_quantiles(probs)
    np.testing.assert_allclose(got.numpy(), np.repeat(stats.norm.ppf(probs)[:, None], 6, 1), atol=1e-9)


def test_marginal_quantiles_closed_form_when_inner_equals_root():
    """p_i = p0 makes f the plain Lp norm: |z_j|^p0 / s ~ Gamma(1/p0, 1) in every subspace size."""
    p0, scale, probs = 1.4, 1.8, np.array([0.02, 0.2, 0.45, 0.5, 0.7, 0.995])
    got = prior((1, 3, 5), p0, p0, scale).marginal_quantiles(probs).numpy()
    expected = np.sign(probs - 0.5) * (scale * stats.gamma(1 / p0).ppf(np.abs(2 * probs - 1))) ** (1 / p0)
    np.testing.assert_allclose(got, np.repeat(expected[:, None], 9, 1), rtol=1e-8, atol=1e-10)


def test_marginal_quantiles_shape_order_and_symmetry():
    m = prior(*MIXED)
    q = m.marginal_quantiles(torch.tensor([0.1, 0.4, 0.6, 0.9], dtype=torch.float64))
    assert q.shape == (4, 6) and q.dtype == torch.float64
    assert bool((q.diff(dim=0) > 0).all())
    torch.testing.assert_close(q[:2], -q.flip(0)[:2], rtol=1e-9, atol=1e-12)


def marginal_density(m: LpNested, j: int):
    """float -> float: p_j(v), the marginal density of dim j as marginal_log_prob gives it."""
    def at(v: float) -> float:
        z = torch.zeros(1, m.latent_dim, dtype=torch.float64)
        z[0, j] = v
        return math.exp(m.marginal_log_prob(z)[0, j].detach())
    return at


def test_marginal_log_prob_is_the_standard_normal_when_gaussian():
    z = torch.randn(50, 6, generator=torch.Generator().manual_seed(13), dtype=torch.float64) * 3
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(z)
    torch.testing.assert_close(prior((1, 3, 2), 2.0, 2.0, 2.0).marginal_log_prob(z), expected, rtol=0, atol=1e-11)


def test_marginal_log_prob_closed_form_when_inner_equals_root():
    """p_i = p0: |z_j|^p0 / s ~ Gamma(1/p0, 1), p_j(z) = p0 / (2 s^(1/p0) Gamma(1/p0)) exp(-|z|^p0 / s), for every
    subspace size; values up to |z| = 40 reach past the table (t_max is about 26 here)."""
    p0, scale = 1.4, 1.8
    z = torch.linspace(-40, 40, 801, dtype=torch.float64)[:, None].expand(-1, 9)
    expected = math.log(p0 / 2) - math.log(scale) / p0 - math.lgamma(1 / p0) - z.abs() ** p0 / scale
    torch.testing.assert_close(prior((1, 3, 5), p0, p0, scale).marginal_log_prob(z), expected, rtol=1e-12,
                               atol=1e-9)


@pytest.mark.parametrize("sizes, p0, p, scale", [((2,), 1.3, 0.8, 1.5), ((2,), 2.1, 2.2, 1.0), ((2,), 0.7, 2.5, 2.0)])
def test_marginal_log_prob_matches_quadrature_of_the_joint_in_two_dims(sizes, p0, p, scale):
    """p_1(v) = int p(v, y) dy by QUADPACK, against the tabulated marginal, from 0 to far in the tail."""
    m = prior(sizes, p0, p, scale)
    v = torch.tensor([0.0, 1e-3, 0.05, 0.4, 1.0, 2.5, 5.0], dtype=torch.float64)

    def joint(y: float, x: float) -> float:
        return math.exp(m.log_prob(torch.tensor([x, y], dtype=torch.float64)).detach())

    direct = [2 * integrate.quad(joint, 0, np.inf, args=(float(x),), epsabs=0, epsrel=1e-12, limit=200)[0] for x in v]
    got = m.marginal_log_prob(torch.stack([v, torch.zeros_like(v)], 1))[:, 0]
    np.testing.assert_allclose(got.numpy(), np.log(direct), rtol=0, atol=1e-8)


def test_marginal_log_prob_matches_cubature_of_the_joint_in_three_dims():
    """A dim of a 3-dim subspace (next to a 1-dim one): p_1(v) = int int p(v, y, w) dy dw over the subspace."""
    m = prior((3, 1), 2.1, (1.6, 2.0))
    sub = prior((3,), 2.1, 1.6)  # a subspace's marginal does not depend on the others

    def over_rest(x: float) -> float:
        pts = lambda u: np.column_stack([np.full(len(u), x), u[:, 0] ** 3, u[:, 1] ** 3])  # noqa: E731
        return 4 * cubature(lambda u: density(sub)(pts(u)) * np.prod(3 * u**2, axis=1), np.zeros(2),
                            np.full(2, np.inf), rtol=1e-10, atol=1e-14).estimate

    v = [0.0, 0.3, 1.2, 3.0]
    got = m.marginal_log_prob(torch.tensor([[x, 0.0, 0.0, 0.0] for x in v], dtype=torch.float64))[:, 0]
    np.testing.assert_allclose(got.numpy(), np.log([over_rest(x) for x in v]), rtol=0, atol=1e-8)


def test_marginal_densities_integrate_to_one_and_agree_with_the_quantiles():
    """Each marginal integrates to 1, and its integral up to marginal_quantiles(q) is q."""
    m = prior(*MIXED)
    probs = [0.05, 0.3, 0.5, 0.9]
    quantiles = m.marginal_quantiles(probs)  # (4, 6)
    for j in range(m.latent_dim):
        f = marginal_density(m, j)
        assert integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=200)[0] == pytest.approx(1, abs=1e-9)
        cdf = [0.5 + integrate.quad(f, 0, t, epsabs=0, epsrel=1e-12, limit=200)[0] for t in quantiles[:, j].tolist()]
        np.testing.assert_allclose(cdf, probs, atol=1e-8)


def test_marginal_std_is_exact():
    """1 for the Gaussian case; the Gamma(1/p0) closed form when p_i = p0; the sample sd otherwise."""
    torch.testing.assert_close(prior((1, 3, 2), 2.0, 2.0, 2.0).marginal_std(), torch.ones(6, dtype=torch.float64))
    p0, scale = 1.4, 1.8
    lp_norm = scale ** (1 / p0) * math.sqrt(math.gamma(3 / p0) / math.gamma(1 / p0))
    torch.testing.assert_close(prior((1, 3), p0, p0, scale).marginal_std(), torch.full((4,), lp_norm,
                               dtype=torch.float64))
    m = prior(*MIXED)
    sample_sd = m.sample(100_000, torch.Generator().manual_seed(10)).std(0)
    torch.testing.assert_close(sample_sd, m.marginal_std().detach(), rtol=0.02, atol=0)


def test_is_a_prior_with_monte_carlo_kl_and_per_dim_kl_to_the_marginals():
    m = prior(*DSPRITES)
    assert isinstance(m, Prior) and m.latent_dim == 20
    posterior = DiagonalGaussian(torch.zeros(3, 20, dtype=torch.float64), torch.zeros(3, 20, dtype=torch.float64))
    z = posterior.rsample(torch.Generator().manual_seed(11))
    torch.testing.assert_close(m.kl(posterior, z), posterior.log_prob(z) - m.log_prob(z))
    torch.testing.assert_close(m.kl_per_dim(posterior, z), posterior.marginal_log_prob(z) - m.marginal_log_prob(z))
    with pytest.raises(NotFactorisedError, match="factorised posterior"):
        m.kl_per_dim(JointGaussian(posterior), z)


class JointGaussian(Posterior):
    """A posterior that does not declare itself factorised (its numbers are a diagonal Gaussian's)."""

    def __init__(self, inner: DiagonalGaussian) -> None:
        self.inner = inner

    @property
    def mean(self) -> torch.Tensor:
        return self.inner.mean

    def rsample(self, generator=None, sample_shape=()):
        return self.inner.rsample(generator, sample_shape)

    def log_prob(self, z):
        return self.inner.log_prob(z)


def test_inner_exponents_start_exact_stay_positive_and_get_gradients():
    m = prior((1, 3, 2), 2.1, (0.3, 2.2, 1.9))
    assert m.p_inner.tolist() == [0.3, 2.2, 1.9]
    assert torch.equal(LpNested((1, 3, 2), 2.1, (0.3, 2.2, 1.9)).p_inner, torch.tensor([0.3, 2.2, 1.9]))
    z = torch.randn(32, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    m.log_prob(z).sum().backward()
    grad = m.p_inner_raw.grad  # a one-dim subspace's exponent cancels out of p(z): its gradient is 0
    assert abs(float(grad[0])) < 1e-12 and bool(torch.isfinite(grad).all()) and bool((grad[1:].abs() > 1e-3).all())
    with torch.no_grad():
        m.p_inner_raw.fill_(-50.0)
    assert bool((m.p_inner > 0).all())


def test_inner_exponent_gradient_matches_finite_differences():
    m = prior(*MIXED)
    z = m.sample(16, torch.Generator().manual_seed(4))

    def mean_log_prob(raw):
        return torch.func.functional_call(m, {"p_inner_raw": raw}, (z,)).mean()

    assert torch.autograd.gradcheck(mean_log_prob, (torch.zeros(3, dtype=torch.float64, requires_grad=True),))


def test_maximum_likelihood_recovers_the_inner_exponents():
    """Fitting p_i by maximum likelihood (L-BFGS on the raw parameters) to 5,000 exact draws made with p_i =
    (1.2, 3.0), starting from 2.0, lands within 0.1 of the truth."""
    z = prior((3, 4), 2.1, (1.2, 3.0)).sample(5_000, torch.Generator().manual_seed(12))
    m = prior((3, 4), 2.1, 2.0)
    opt = torch.optim.LBFGS(m.parameters(), max_iter=50, line_search_fn="strong_wolfe")

    def nll() -> torch.Tensor:
        opt.zero_grad()
        loss = -m.log_prob(z).mean()
        loss.backward()
        return loss

    opt.step(nll)
    np.testing.assert_allclose(m.p_inner.detach().numpy(), [1.2, 3.0], atol=0.1)


def test_fixed_inner_exponents_are_a_buffer():
    m = LpNested((2, 2), 2.1, 2.2, learn_inner=False)
    assert list(m.parameters()) == [] and "p_inner_raw" in m.state_dict()


def sample_mean_log_prob(m: LpNested, n: int = 40_000) -> tuple[float, float]:
    """(mean, standard error) of log p over n exact draws."""
    lp = m.log_prob(m.sample(n, torch.Generator().manual_seed(5))).detach()
    return float(lp.mean()), float(lp.std()) / math.sqrt(n)


def test_sample_mean_log_density_matches_numerical_integral():
    """E_p[log p] by 2-D cubature of p log p."""
    m = prior(*LAYOUTS_2D[0])

    def p_log_p(x: np.ndarray) -> np.ndarray:
        lp = m.log_prob(torch.from_numpy(x)).detach().numpy()
        return np.exp(lp) * lp

    mean, err = sample_mean_log_prob(m)
    assert mean == pytest.approx(4 * positive_orthant_integral(p_log_p, 2), abs=4 * err)


def test_sample_mean_log_density_of_the_dsprites_preset():
    """log p = log p(0) - f^p0/s and f^p0/s ~ Gamma(n/p0, 1), so E[log p] = log p(0) - n/p0."""
    m = prior(*DSPRITES)
    mean, err = sample_mean_log_prob(m)
    log_p_at_zero = m.log_prob(torch.zeros(m.latent_dim, dtype=torch.float64)).item()
    assert mean == pytest.approx(log_p_at_zero - 20 / 2.1, abs=4 * err)


def test_dsprites_preset():
    m = LpNested(*DSPRITES)
    z = m.sample(256, torch.Generator().manual_seed(6))
    assert z.shape == (256, 20) and z.dtype == torch.float32
    lp = m.log_prob(z)
    assert lp.shape == (256,) and bool(torch.isfinite(lp).all())
    lp.sum().backward()
    assert m.p_inner_raw.grad.shape == (5,) and bool((m.p_inner_raw.grad != 0).all())
    q = m.marginal_quantiles([0.0228, 0.5, 0.9772])
    assert q.shape == (3, 20) and bool((q[0] < 0).all()) and bool((q[1] == 0).all())


def test_same_generator_same_draws():
    m = prior(*MIXED)
    a = m.sample(100, torch.Generator().manual_seed(7))
    assert torch.equal(a, m.sample(100, torch.Generator().manual_seed(7)))
    assert not torch.equal(a, m.sample(100, torch.Generator().manual_seed(8)))
    assert m.sample(0).shape == (0, 6)


def test_weights_round_trip_through_the_state_dict():
    a = LpNested((2, 3), 2.1, (1.5, 2.5))
    with torch.no_grad():
        a.p_inner_raw.copy_(torch.tensor([0.1, -0.2]))
    b = LpNested((2, 3), 2.1, (1.5, 2.5))
    assert set(a.state_dict()) == {"p_inner_init", "p_inner_raw"}
    b.load_state_dict({k: v.clone() for k, v in a.state_dict().items()})
    z = a.sample(8, torch.Generator().manual_seed(9))
    torch.testing.assert_close(b.log_prob(z), a.log_prob(z))


@pytest.mark.parametrize("kwargs, message", [
    ({"subspace_sizes": ()}, "subspace_sizes"),
    ({"subspace_sizes": (2, 0)}, "subspace_sizes"),
    ({"p0": 0.0}, "p0 must be"),
    ({"p_inner": (2.0,)}, "one per subspace"),
    ({"p_inner": -1.0}, "p_inner must be"),
    ({"scale": float("nan")}, "scale must be"),
])
def test_bad_construction_says_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LpNested(**{"subspace_sizes": (2, 2), "p0": 2.1, "p_inner": 2.2, **kwargs})


def test_bad_calls_say_what_was_expected():
    m = LpNested((2, 2), 2.1, 2.2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\)"):
        m.log_prob(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"values in \(0, 1\)"):
        m.marginal_quantiles([0.0, 0.5])
    with pytest.raises(ValueError, match="int >= 0"):
        m.sample(-1)
