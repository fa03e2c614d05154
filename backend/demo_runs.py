"""The runs ``factorscope prepare`` trains for the demo: small enough for a 2-core CPU in minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.training import TrainConfig


@dataclass(frozen=True)
class DemoRun:
    run_id: str
    family: str
    dataset: str
    config: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)


DEMO_RUNS = (
    DemoRun("demo-vae-digits", "vae", "digits", {"latent_dim": 8, "hidden": [256, 128]},
            TrainConfig(steps=1500, batch_size=64, lr=2e-3, eval_every=250, checkpoint_every=500)),
    DemoRun("demo-beta-tcvae-dsprites", "beta_tcvae", "dsprites", {"latent_dim": 10, "beta": 6.0},
            TrainConfig(steps=1000, batch_size=64, lr=1e-3, eval_every=250, checkpoint_every=250,
                        max_val_items=1024)),
)
