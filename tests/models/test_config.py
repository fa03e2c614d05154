from __future__ import annotations

import math

import pytest

from models.config import MAX_LR, MAX_WEIGHT, ConfigError, require_between
from models.registry import get_family
from models.training import TrainConfig


def test_round_trip_and_partial_defaults() -> None:
    spec = get_family("beta_tcvae")
    cfg = spec.config({"beta": 4, "hidden": [64, 32], "estimator": "mws"})
    assert cfg.beta == 4.0 and cfg.hidden == (64, 32) and cfg.estimator == "mws" and cfg.alpha == 1.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"betta": 4}, "unknown field.*betta.*expected some of"),
        ({"beta": "four"}, "expected a finite number"),
        ({"beta": float("inf")}, "expected a finite number, got inf"),  # JSON's non-standard Infinity
        ({"alpha": float("-inf")}, "expected a finite number, got -inf"),
        ({"beta": float("nan")}, "expected a finite number, got nan"),
        ({"beta": -1}, "beta must be >= 0"),
        ({"latent_dim": 2.5}, "expected an integer"),
        ({"latent_dim": True}, "expected an integer"),
        ({"latent_dim": 0}, "latent_dim must be in 1..512"),
        ({"estimator": "exact"}, r"expected one of \['mss', 'mws'\]"),
        ({"hidden": 5}, "expected a list"),
        ({"hidden": []}, "at least one positive width"),
    ],
)
def test_bad_configs_say_what_was_expected(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_family("beta_tcvae").config(data)


# Each numeric field of each family: a value past its range and the words of the error (field path and range).
OUT_OF_RANGE = [
    ("vae", {"beta": 1e30}, r"VAEConfig\.beta: beta must be >= 0 and <= 10000, got 1e\+30"),
    ("beta_tcvae", {"gamma": 10001.0}, r"BetaTCVAEConfig\.gamma: gamma must be >= 0 and <= 10000"),
    ("beta_tcvae", {"alpha": -0.5}, r"BetaTCVAEConfig\.alpha: alpha must be >= 0 and <= 10000, got -0\.5"),
    ("oi_vae", {"lam": 1e5}, r"OIVAEConfig\.lam: lam must be >= 0 and <= 10000"),
    ("oi_vae", {"theta_prior": 1e30}, r"OIVAEConfig\.theta_prior: theta_prior must be >= 0 and <= 10000"),
    ("oi_vae", {"beta": -1.0}, r"OIVAEConfig\.beta: beta must be >= 0"),
    ("oi_vae", {"w_lr": 1e30}, r"OIVAEConfig\.w_lr: w_lr must be > 0 and <= 10, got 1e\+30"),
    ("oi_vae", {"w_lr": 0.0}, r"OIVAEConfig\.w_lr: w_lr must be > 0"),
    ("oi_vae", {"w_init_std": 1e3}, r"OIVAEConfig\.w_init_std: w_init_std must be > 0 and <= 100"),
    ("oi_vae", {"prox_warmup": -1}, r"OIVAEConfig\.prox_warmup: prox_warmup must be >= 0"),
    ("isa_vae", {"p0": 11.0}, r"IsaVAEConfig\.p0: p0 must be > 0 and <= 10, got 11\.0"),
    ("isa_vae", {"p_inner": [1e30]}, r"IsaVAEConfig\.p_inner: p_inner must be > 0 and <= 10, got 1e\+30"),
    ("isa_vae", {"scale": 1e30}, r"IsaVAEConfig\.scale: scale must be > 0 and <= 100"),
    ("isa_beta_tcvae", {"beta": 1e30}, r"IsaBetaTCVAEConfig\.beta: beta must be >= 0 and <= 10000"),
]


@pytest.mark.parametrize(("family", "data", "message"), OUT_OF_RANGE)
def test_numeric_fields_have_sane_bounds_named_in_the_error(family: str, data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_family(family).config(data)


@pytest.mark.parametrize(("family", "data"), [(f, d) for f, d, _ in OUT_OF_RANGE])
def test_the_bounds_themselves_are_accepted(family: str, data: dict) -> None:
    """Each field at the edge of its range (its largest value, or 0 where 0 is allowed) builds."""
    name = next(iter(data))
    edge = {"beta": MAX_WEIGHT, "gamma": MAX_WEIGHT, "alpha": 0.0, "lam": MAX_WEIGHT, "theta_prior": 0.0,
            "w_lr": MAX_LR, "w_init_std": 100.0, "prox_warmup": 0, "p0": 10.0, "p_inner": [10.0], "scale": 100.0}[name]
    assert getattr(get_family(family).config({name: edge}), name) == (tuple(edge) if isinstance(edge, list) else edge)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e30, 0.0, -1e-3, 10.5])
def test_train_config_lr_is_finite_positive_and_at_most_10(value: float) -> None:
    with pytest.raises(ValueError, match=rf"lr must be > 0 and <= 10, got {value!r}".replace("+", r"\+")):
        TrainConfig(lr=value)
    assert TrainConfig(lr=10.0).lr == 10.0 and TrainConfig(lr=1e-8).lr == 1e-8


def test_require_between_refuses_nan_and_infinities_even_with_an_infinite_range() -> None:
    require_between("x", 0.0, 0.0, 1.0)
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="x must be >= 0 and <= 1"):
            require_between("x", bad, 0.0, 1.0)
    with pytest.raises(ValueError, match="x must be > 0"):
        require_between("x", 0.0, 0.0, 1.0, above=True)
    with pytest.raises(ValueError, match="x must be >= 0, got inf"):
        require_between("x", math.inf, 0.0, math.inf)
