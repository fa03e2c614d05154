from __future__ import annotations

import pytest

from models.config import ConfigError
from models.registry import get_family


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
