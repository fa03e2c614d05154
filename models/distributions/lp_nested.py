"""The Lp-nested (ISA) prior of ISA-VAE: density with its exact normaliser, exact sampler, marginal quantiles
and marginal densities.

Source: ``../shared/SCIENCE.md`` section 5 (seed 003, Stühmer, Turner, Nowozin; sampler from its Appendix A.1,
after Sinz & Bethge 2010). An ISA tree of depth two: the root (exponent p0, fixed) has l children; child i is a
subspace of n_i latent dims with exponent p_i (learnable, kept > 0); n = sum_i n_i.

    f(z)     = ( sum_i ( sum_{j in V_i} |z_j|^{p_i} )^{p0/p_i} )^{1/p0}
    log p(z) = log p0 - lgamma(n/p0) - (n/p0) log s - f(z)^p0 / s - log S_f(1)
    S_f(1)   = 2^n prod_I [ prod_k Gamma(n_{I,k}/p_I) ] / [ p_I^(l_I - 1) Gamma(n_I/p_I) ]

(I runs over the root, whose children hold n_1..n_l leaves, and the subspace nodes, with n_i one-leaf children.)
All exponents 2 and s = 2 give N(0, I_n) exactly.

Each coordinate's 1-D marginal (for traversal quantiles and per-dim KL) depends only on its own subspace: for dim
j of a subspace of m dims with exponent p_i, |z_j| = r c with r^p0 / s ~ Gamma(m/p0, 1) (beta-gamma algebra on the
root's Dirichlet) and c = w^(1/p_i), w ~ Beta(1/p_i, (m-1)/p_i), independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch
from scipy import integrate, interpolate, optimize, special
from torch import Tensor, nn

from .posterior import Posterior
from .prior import Prior, check_probs, marginal_kl

# marginal_quantiles' numerical tolerances: quad's absolute error on the CDF and brentq's on the quantile.
_CDF_TOL = 1e-13
_QUANTILE_TOL = 1e-12
# marginal_log_prob's table: knots x_k = k x_max / (_GRID - 1), t_k = x_k^4 (dense near 0, where the density has
# the non-smooth terms |t|^p_i); t_max = x_max^4, where the subspace radius's tail mass is _GRID_TAIL (past it,
# log p_j < -690). _TAIL_MASS: the Gamma tail mass that the density's radius integral leaves out.
_GRID = 1025
_GRID_TAIL = 1e-300
_TAIL_MASS = 1e-25
_DENSITY_RTOL = 1e-10


class LpNested(Prior):
    """The ISA prior p(z), z in R^n (n = ``latent_dim``): exact ``log_prob``, ``sample``, ``marginal_quantiles``,
    ``marginal_std`` and ``marginal_log_prob``; ``kl`` is the base's Monte Carlo; ``kl_per_dim`` is Monte Carlo
    against each dim's exact marginal (p(z) does not factorise, so those do not sum to ``kl``).

    ``subspace_sizes``: (n_1, ..., n_l), consecutive blocks of the latent vector. ``p0``: root exponent (fixed).
    ``p_inner``: one exponent for every subspace, or one per subspace. ``scale``: s > 0 (fixed).
    ``device``/``dtype``: where and in what float type its tensors live (torch's default when None); calling
    the module is ``log_prob``. The inner exponents are p_i = p_i_init * exp(r_i) with r_i = 0 at construction,
    so p_i equals the given value exactly (in ``dtype``) and stays > 0 for any r_i. A one-dim subspace's p_i
    cancels out of p(z) (its gradient is 0). ``r`` (``p_inner_raw``, shape (l,)) is an ``nn.Parameter`` when
    ``learn_inner`` and a buffer otherwise; the weights file holds it and ``p_inner_init``, so the exponents
    are read from the weights alone; the tree's structure comes from the config.
    """

    subspace_index: Tensor  # (n,) buffer: each dim's subspace
    sizes: Tensor  # (l,) buffer: n_i
    p_inner_init: Tensor  # (l,) buffer
    p_inner_raw: Tensor  # (l,) parameter or buffer

    def __init__(self, subspace_sizes: Sequence[int], p0: float, p_inner: float | Sequence[float],
                 scale: float = 1.0, learn_inner: bool = True, *, device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:
        sizes = _check_sizes(subspace_sizes)
        inner = _check_inner(p_inner, len(sizes))
        _check_positive("p0", p0)
        _check_positive("scale", scale)
        super().__init__(sum(sizes))
        self.subspace_sizes: tuple[int, ...] = sizes
        self.p0 = float(p0)
        self.scale = float(scale)
        dtype = dtype or torch.get_default_dtype()
        self.anchor = self.anchor.to(device=device, dtype=dtype)
        # each dim's subspace, from a list (repeat_interleave cannot run on the meta device, where runs are sized)
        index = torch.tensor([i for i, k in enumerate(sizes) for _ in range(k)], device=device)
        self.register_buffer("subspace_index", index, persistent=False)
        self.register_buffer("sizes", torch.tensor(sizes, device=device, dtype=dtype), persistent=False)
        self.register_buffer("p_inner_init", torch.tensor(inner, device=device, dtype=dtype))
        raw = torch.zeros(len(sizes), device=device, dtype=dtype)
        if learn_inner:
            self.p_inner_raw = nn.Parameter(raw)
        else:
            self.register_buffer("p_inner_raw", raw)

    @property
    def p_inner(self) -> Tensor:
        """(l,): the current inner exponents p_i = p_i_init * exp(raw_i) > 0."""
        return self.p_inner_init * torch.exp(self.p_inner_raw)

    def extra_repr(self) -> str:
        return f"subspace_sizes={self.subspace_sizes}, p0={self.p0}, scale={self.scale}"

    def log_normaliser(self) -> Tensor:
        """() : log S_f(1), the surface of the unit f-sphere (differentiable in the inner exponents)."""
        p, n_i, p0, l0 = self.p_inner, self.sizes, self.p0, len(self.subspace_sizes)
        root = torch.lgamma(n_i / p0).sum() - (l0 - 1) * math.log(p0) - math.lgamma(self.latent_dim / p0)
        subspaces = n_i * torch.lgamma(1.0 / p) - (n_i - 1.0) * torch.log(p) - torch.lgamma(n_i / p)
        return self.latent_dim * math.log(2.0) + root + subspaces.sum()

    def radial(self, z: Tensor) -> Tensor:
        """(..., n) -> (...): f(z)^p0 / s, which is Gamma(n/p0, 1)-distributed under this prior."""
        self._check_latent(z)
        p = self.p_inner.to(z.dtype)
        inner = _pow(z.abs(), p.index_select(0, self.subspace_index))  # (..., n): |z_j|^{p_i}
        per_subspace = self._subspace_sum(inner)  # (..., l)
        return _pow(per_subspace, self.p0 / p).sum(-1) / self.scale

    def log_prob(self, z: Tensor) -> Tensor:
        """(..., n) -> (...): log p(z) in nats, exact normaliser included."""
        n, p0, s = self.latent_dim, self.p0, self.scale
        const = math.log(p0) - math.lgamma(n / p0) - (n / p0) * math.log(s)
        return const - self.radial(z) - self.log_normaliser().to(z.dtype)

    def forward(self, z: Tensor) -> Tensor:
        """(..., n) -> (...): ``log_prob(z)``."""
        return self.log_prob(z)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """(n, latent_dim) exact draws, on this module's device and dtype (not differentiable).

        Appendix A.1 of seed 003: root radius v0 = (s G)^(1/p0), G ~ Gamma(latent_dim/p0, 1); the root splits v0^p0
        among the subspaces by u ~ Dirichlet(n_1/p0, ..., n_l/p0), subspace i gets v_i = v0 u_i^(1/p0); subspace
        i splits v_i^{p_i} among its dims by w ~ Dirichlet(1/p_i, ..., 1/p_i), |z_j| = v_i w_j^(1/p_i); random
        signs. Dirichlets are independent Gammas divided by their sum. ``generator`` (on this module's device)
        makes the draws reproducible.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"sample(n): n must be an int >= 0, got {n!r}")
        device = self.anchor.device
        if generator is not None and generator.device.type != device.type:
            raise ValueError(f"sample(): the generator is on {generator.device}, expected one on {device} "
                             "(the module's device)")
        idx, p0 = self.subspace_index, self.p0
        p = self.p_inner.index_select(0, idx)  # (n,): each dim's subspace exponent
        g_root = _gamma(torch.full((n,), self.latent_dim / p0, dtype=p.dtype, device=device), generator)  # (n,)
        v0 = (self.scale * g_root).pow(1.0 / p0)
        g_sub = _gamma(self.sizes.expand(n, -1) / p0, generator)  # (n, l)
        v_sub = v0[:, None] * (g_sub / g_sub.sum(-1, keepdim=True)).pow(1.0 / p0)  # Dirichlet(n_i / p0) split
        g_dim = _gamma((1.0 / p).expand(n, -1), generator)  # (n, latent_dim)
        w = g_dim / self._subspace_sum(g_dim).index_select(-1, idx)  # Dirichlet(1/p_i, ...) within each subspace
        flips = torch.rand(n, self.latent_dim, generator=generator, device=device, dtype=p.dtype) < 0.5
        signs = 1.0 - 2.0 * flips.to(p.dtype)
        return signs * v_sub.index_select(-1, idx) * w.pow(1.0 / p)

    def marginal_quantiles(self, probs: Tensor | Sequence[float]) -> Tensor:
        """(P,) probabilities in (0, 1) -> (P, n) on this module's device, in ``probs``' dtype (float64 for a
        sequence): the quantiles of each 1-D marginal p(z_j).

        Method (exact up to quadrature): the marginal is symmetric, so Q(q) = sign(q - 1/2) T^-1(|2q - 1|) with
        T the CDF of |z_j|. For dim j in a subspace of m dims, |z_j| = r w^(1/p_i) with r^p0 / s ~ Gamma(m/p0, 1)
        (beta-gamma algebra on the root's Dirichlet) and w ~ Beta(1/p_i, (m-1)/p_i) independent, so
        T(t) = E_w[ P(m/p0, t^p0 w^(-p0/p_i) / s) ] (P = regularised lower incomplete gamma), a 1-D integral
        done by QUADPACK's algebraic-weight rule (the Beta density's endpoint powers are the weight), and
        inverted by Brent's method. m = 1 is closed form: |z_j|^p0 / s ~ Gamma(1/p0, 1). Accuracy: quantiles to
        a relative 1e-11 (measured against the closed form that p_i = p0 gives, |z_j|^p0 / s ~ Gamma(1/p0, 1),
        for p0 in 0.5..4, m up to 20, q in 1e-4..1 - 1e-4; the tests hold it to 1e-8). Cost: about 10 ms per
        (subspace size, exponent, q) on a CPU; results are cached per (m, p0, p_i, s, q). The current p_i
        are read (no gradient).
        """
        q = probs if isinstance(probs, Tensor) else torch.tensor(probs, dtype=torch.float64)
        check_probs(q)
        p = self.p_inner.detach().cpu().double().tolist()
        per_subspace = [[_signed_quantile(x, m, self.p0, p_i, self.scale) for x in q.double().cpu().tolist()]
                        for m, p_i in zip(self.subspace_sizes, p, strict=True)]  # l x P
        table = torch.tensor(per_subspace, dtype=q.dtype, device=self.anchor.device)
        return table.T.index_select(-1, self.subspace_index)

    def marginal_std(self) -> Tensor:
        """(n,) exact sd of each marginal p(z_j) (differentiable in p_i): with r, w as in ``marginal_quantiles``,
        E[z_j^2] = E[r^2] E[w^(2/p_i)] = s^(2/p0) G((m+2)/p0) / G(m/p0) * G(3/p_i) G(m/p_i) / (G(1/p_i) G((m+2)/p_i))
        (G = Gamma), which is 1 for all exponents 2 and s = 2."""
        p, m, p0 = self.p_inner, self.sizes, self.p0
        log_r2 = (2.0 / p0) * math.log(self.scale) + torch.lgamma((m + 2.0) / p0) - torch.lgamma(m / p0)
        log_w = torch.lgamma(3.0 / p) + torch.lgamma(m / p) - torch.lgamma(1.0 / p) - torch.lgamma((m + 2.0) / p)
        return torch.exp(0.5 * (log_r2 + log_w)).index_select(0, self.subspace_index)

    def marginal_log_prob(self, z: Tensor) -> Tensor:
        """(..., n) -> (..., n): log p_j(z_j), the exact 1-D marginal density of each coordinate (values for
        evaluation: the current p_i are read without gradient).

        Method: log p_j(t) = H(t) - t^p0 / s with t = |z_j| and H smooth and slowly varying. H is tabulated once
        per (m, p0, p_i, s) (cached) by ``_log_density_excess`` (a 1-D radius integral done by QUADPACK to a
        relative 1e-10) at _GRID knots t = x^4, x uniform on [0, t_max^(1/4)], and read here from the cubic
        spline through the knots; past t_max (the radius's 1 - _GRID_TAIL quantile, where log p_j < -690) H
        follows the form of its asymptote, linear in log t with slope (m - 1)(1 - p0/p_i). Accuracy (float64):
        within 1e-8 nats of that integral at every t (1e-12 for p0 near 2; the spline is coarsest for small p0,
        whose t_max is large), and within 1e-8 of direct quadrature of the joint density over the subspace's
        other dims; the density integrates to 1 within 1e-9 (``tests/models/test_lp_nested.py``). Cost: about
        0.2 s per new table on a CPU, then a gather and a cubic per value.
        """
        self._check_latent(z)
        coef, x_max, h_end, slope = self._marginal_tables(z)  # (l, _GRID - 1, 4), (l,), (l,), (l,)
        idx, cells = self.subspace_index, _GRID - 1
        t = z.abs()
        x, x_end = t.pow(0.25), x_max.index_select(0, idx)  # (..., n), (n,)
        step = x_end / cells
        cell = torch.clamp(torch.floor(x / step), max=cells - 1)  # (..., n): the spline cell of each value
        c = coef.reshape(-1, 4)[idx * cells + cell.long()]  # (..., n, 4): its cubic, highest power first
        u = x - cell * step
        spline = ((c[..., 0] * u + c[..., 1]) * u + c[..., 2]) * u + c[..., 3]
        t_end = x_end.pow(4)
        tail = h_end.index_select(0, idx) + slope.index_select(0, idx) * torch.log(t.clamp(min=t_end) / t_end)
        return torch.where(x <= x_end, spline, tail) - t.pow(self.p0) / self.scale

    def kl_per_dim(self, posterior: Posterior, z: Tensor | None = None) -> Tensor:
        """(B, n): the one-sample Monte Carlo log q(z_j|x) - log p_j(z_j) of KL(q(z_j|x) || p_j(z_j)) at ``z``
        (B, n) drawn from the posterior (a fresh draw when None), p_j the exact marginal (``marginal_log_prob``).

        p(z) does not factorise, so the per-dim KLs do not sum to the total KL(q(z|x) || p(z)) (``kl``): for a
        factorised q the two differ by E_q[ log prod_j p_j(z_j) - log p(z) ], which has either sign.
        """
        return marginal_kl(posterior, z, self.marginal_log_prob)

    def _marginal_tables(self, like: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Every subspace's ``_MarginalTable`` stacked, in ``like``'s dtype and device: coef (l, _GRID - 1, 4),
        x_max, h_end, slope (l,) each."""
        p = self.p_inner.detach().double().cpu().tolist()
        tables = [_marginal_table(m, self.p0, p_i, self.scale) for m, p_i in zip(self.subspace_sizes, p, strict=True)]
        coef = torch.tensor(np.stack([tb.coef for tb in tables]), dtype=like.dtype, device=like.device)
        scalars = torch.tensor([[tb.x_max, tb.h_end, tb.slope] for tb in tables], dtype=like.dtype,
                               device=like.device)  # (l, 3)
        return coef, scalars[:, 0], scalars[:, 1], scalars[:, 2]

    def _subspace_sum(self, x: Tensor) -> Tensor:
        """(..., n) -> (..., l): the sum over each subspace's dims."""
        return x.new_zeros(*x.shape[:-1], len(self.subspace_sizes)).index_add(-1, self.subspace_index, x)

    def _check_latent(self, z: Tensor) -> None:
        if not isinstance(z, Tensor) or z.dim() < 1 or z.shape[-1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"LpNested expects z of shape (..., {self.latent_dim}), got {shape}")


def _pow(base: Tensor, exponent: Tensor) -> Tensor:
    """base^exponent for base >= 0 (broadcast), as exp(exponent * log base): the same values as ``Tensor.pow``
    with a backward pass about twice as fast on small batches (pow's checks both operands for zeros). The base is
    clamped at the dtype's smallest normal number, so a zero base gives (at most) that number to the power,
    and a zero gradient to the base."""
    return torch.exp(exponent * base.clamp_min(torch.finfo(base.dtype).tiny).log())


def _gamma(concentration: Tensor, generator: torch.Generator | None) -> Tensor:
    """Gamma(concentration, 1) draws of the same shape, from ``generator``: torch's own Gamma sampler (the one
    ``torch.distributions.Gamma`` uses), whose public wrappers take no generator."""
    return torch._standard_gamma(concentration.contiguous(), generator=generator)


@lru_cache(maxsize=65536)
def _signed_quantile(q: float, m: int, p0: float, p: float, s: float) -> float:
    """The q-quantile of z_j, a dim of an m-dim subspace with exponent p under root exponent p0, scale s."""
    c = abs(2.0 * q - 1.0)
    return math.copysign(_abs_quantile(c, m, p0, p, s), q - 0.5) if c > 0.0 else 0.0


def _abs_quantile(c: float, m: int, p0: float, p: float, s: float) -> float:
    """t with P(|z_j| <= t) = c, 0 < c < 1 (see ``LpNested.marginal_quantiles``)."""
    radius = (s * special.gammaincinv(m / p0, c)) ** (1.0 / p0)  # the subspace radius's c-quantile, >= t
    if m == 1:
        return radius
    return optimize.brentq(lambda t: _abs_cdf(t, m, p0, p, s) - c, 0.0, radius, xtol=_QUANTILE_TOL,
                           rtol=4 * np.finfo(float).eps)


def _abs_cdf(t: float, m: int, p0: float, p: float, s: float) -> float:
    """P(|z_j| <= t) = E_w[ P(m/p0, t^p0 w^(-p0/p) / s) ], w ~ Beta(1/p, (m-1)/p), for m >= 2."""
    if t <= 0.0:
        return 0.0
    a, b = 1.0 / p, (m - 1.0) / p

    def radius_cdf(w: float) -> float:
        return special.gammainc(m / p0, t**p0 * w ** (-p0 / p) / s) if w > 0.0 else 1.0

    value, _ = integrate.quad(radius_cdf, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0), epsabs=_CDF_TOL,
                              epsrel=_CDF_TOL, limit=200)
    return value / special.beta(a, b)


class _MarginalTable(NamedTuple):
    """H(t) = log p_j(t) + t^p0 / s for t = |z_j| >= 0: a cubic spline in x = t^(1/4) on [0, x_max], then
    H(t) = h_end + slope * log(t / x_max^4)."""

    coef: np.ndarray  # (_GRID - 1, 4): each cell's cubic in x - x_k, highest power first
    x_max: float
    h_end: float  # H(x_max^4)
    slope: float  # dH / dlog t of H's asymptote, (m - 1)(1 - p0/p)


@lru_cache(maxsize=256)
def _marginal_table(m: int, p0: float, p: float, s: float) -> _MarginalTable:
    """The marginal density table of a dim in an m-dim subspace with exponent p (root p0, scale s)."""
    t_max = (s * special.gammainccinv(m / p0, _GRID_TAIL)) ** (1.0 / p0)  # the subspace radius's tail quantile
    x = np.linspace(0.0, t_max**0.25, _GRID)
    h = np.array([_log_density_excess(float(xk) ** 4, m, p0, p, s) for xk in x])
    return _MarginalTable(interpolate.CubicSpline(x, h).c.T.copy(), float(x[-1]), float(h[-1]),
                          (m - 1.0) * (1.0 - p0 / p))


def _log_density_excess(t: float, m: int, p0: float, p: float, s: float) -> float:
    """H(t) = log p_j(t) + t^p0 / s at t >= 0, p_j the marginal density of a dim of an m-dim subspace.

    With |z_j| = r c (module docstring): c has density p (1 - c^p)^(b-1) / B(1/p, b) on (0, 1), b = (m-1)/p, so
    p_j(t) = 1/2 int_t^inf f_r(r) f_c(t/r) / r dr; with u = r^p0 / s, u_t = t^p0 / s, k = m/p0 this is
    p_j(t) = p / (2 B(1/p, b) s^(1/p0) Gamma(k)) int_{u_t}^inf u^(k-1-1/p0) e^-u (1 - (u_t/u)^(p/p0))^(b-1) du.
    m = 1 is closed form: |z_j|^p0 / s ~ Gamma(1/p0, 1).
    """
    if m == 1:
        return math.log(p0 / 2.0) - math.log(s) / p0 - math.lgamma(1.0 / p0)
    k, b = m / p0, (m - 1.0) / p
    log_const = math.log(p / 2.0) - special.betaln(1.0 / p, b) - math.log(s) / p0 - math.lgamma(k)
    return log_const + _log_radius_integral(t**p0 / s, k, b, p / p0, k - 1.0 - 1.0 / p0)


def _log_radius_integral(ut: float, k: float, b: float, q: float, alpha: float) -> float:
    """log of int_{u_t}^inf u^alpha e^-(u - u_t) (1 - (u_t/u)^q)^(b-1) du (alpha = k - 1 - 1/p0 > -1).

    u_t = 0 is Gamma(alpha + 1). Else, on [u_t, 2 u_t], QUADPACK's algebraic weight (u - u_t)^(b-1) takes the
    endpoint singularity (the rest, u^alpha e^-(u - u_t) ((1 - (u_t/u)^q) / (u - u_t))^(b-1), is smooth there);
    on [2 u_t, end] it is integrated in y = log u (smooth there: u^(alpha+1) = e^((alpha+1) y)) by plain QUADPACK.
    The integrand is scaled by its bound at u* = max(u_t, alpha); the range ends where Gamma(k)'s upper tail mass
    past u_t is _TAIL_MASS.
    """
    if ut == 0.0:
        return math.lgamma(alpha + 1.0)
    top = max(ut, alpha)
    log_top = alpha * math.log(top) - (top - ut)

    def smooth(u: float) -> float:
        v = max(u - ut, 0.0)  # QUADPACK's nodes can round to just below u_t
        ratio = -math.expm1(-q * math.log1p(v / ut)) / v if v > 0.0 else q / ut  # (1 - (u_t/u)^q) / (u - u_t)
        return math.exp(alpha * math.log(ut + v) - v - log_top) * ratio ** (b - 1.0)

    def in_log_u(y: float) -> float:
        u = math.exp(y)
        return smooth(u) * (u - ut) ** (b - 1.0) * u

    upper = ut + special.gammainccinv(k, _TAIL_MASS)
    near, _ = integrate.quad(smooth, ut, 2.0 * ut, weight="alg", wvar=(b - 1.0, 0.0), epsabs=0.0,
                             epsrel=_DENSITY_RTOL, limit=200)
    far, _ = integrate.quad(in_log_u, math.log(2.0 * ut), math.log(max(upper, 2.0 * ut)), epsabs=0.0,
                            epsrel=_DENSITY_RTOL, limit=200)
    return log_top + math.log(near + far)


def _check_sizes(subspace_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(subspace_sizes) if isinstance(subspace_sizes, Sequence) else ()
    if not sizes or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in sizes):
        raise ValueError(f"subspace_sizes must be a non-empty sequence of ints >= 1, got {subspace_sizes!r}")
    return sizes


def _check_inner(p_inner: float | Sequence[float], count: int) -> list[float]:
    values = [p_inner] * count if isinstance(p_inner, int | float) else list(p_inner)
    if len(values) != count:
        raise ValueError(f"p_inner must be one exponent or one per subspace ({count}), got {p_inner!r}")
    for v in values:
        _check_positive("p_inner", v)
    return [float(v) for v in values]


def _check_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
