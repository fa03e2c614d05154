"""The runs ``factorscope prepare`` makes for the demo. The small ones train in the foreground on one thread
(small MLPs run fastest so, and do not stall when the CPU is shared): about a minute on a 2-core CPU.
``bundled`` ones ship trained: ``prepare`` installs their weights from ``backend/demo_weights/`` (made by
``factorscope demo-weights``, which trains them with exactly these settings); ``background`` ones (a conv net on
64x64 dsprites: one to two hours on a 2-core CPU) are otherwise queued as a training job that the worker
``factorscope demo`` starts runs while the dashboard is already usable. ``DEMO_LENS`` is the lens fitted here
after them, on one of them (``demo_lens``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import TrainConfig

from .lenses.create import LensSettings

BACKGROUND_PRIORITY = -10  # the background runs' jobs: any job queued through the API or a labelling refit starts first

@dataclass(frozen=True)
class DemoRun:
    run_id: str
    family: str
    dataset: str
    config: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    background: bool = False
    bundled: bool = False  # ships trained in backend/demo_weights/<run_id>/ (``prepare --train-fresh``: trains it)


DEMO_RUNS = (
    DemoRun("demo-vae-digits", "vae", "digits", {"latent_dim": 8, "hidden": [256, 128]},
            TrainConfig(steps=1500, batch_size=64, lr=2e-3, eval_every=250, checkpoint_every=500, threads=1)),
    # oi-VAE on bars with tests/models/test_oi_vae.py's settings (its first phase): rows as groups, K = 8
    DemoRun("demo-oi-vae-bars", "oi_vae", "bars",
            {"latent_dim": 8, "hidden": [256], "generator_hidden": [], "lam": 4.0, "w_lr": 3e-4, "w_init_std": 0.3,
             "prox_warmup": 1000, "theta_prior_scaling": "reference"},
            TrainConfig(steps=2500, batch_size=256, lr=1e-2, eval_every=500, checkpoint_every=500, threads=1)),
    # lam 0.3 with W's step 1e-2 from N(0, 1) after a 300-step warm-up: 4 of 6 dims informative (4.8 nats in
    # all), 28 of 60 links live. (W from N(0, 0.3^2) with step 1e-3 left the encoder collapsed: MI 0, MSE 1.)
    # Measured with the reference code's undivided weight prior, which these settings keep (6.7 nats, 6 of 6 active).
    DemoRun("demo-oi-vae-breast-cancer", "oi_vae", "breast_cancer",
            {"latent_dim": 6, "hidden": [64], "lam": 0.3, "w_lr": 1e-2, "w_init_std": 1.0, "prox_warmup": 300,
             "theta_prior_scaling": "reference"},
            TrainConfig(steps=1000, batch_size=64, lr=2e-3, eval_every=250, checkpoint_every=500, threads=1)),
    # beta-TCVAE with the family's conv net (Burgess et al.'s 32-32-64-64, dense 256), beta 6, Adam 1e-3, batch 64,
    # one thread (the steps are deterministic there): the bundled weights (``factorscope demo-weights``).
    DemoRun("demo-beta-tcvae-dsprites", "beta_tcvae", "dsprites", {"latent_dim": 10, "beta": 6.0},
            TrainConfig(steps=15000, batch_size=64, lr=1e-3, seed=0, eval_every=5000, checkpoint_every=500,
                        max_val_items=1024, threads=1), background=True, bundled=True),
)


@dataclass(frozen=True)
class DemoLens:
    """A lens ``factorscope prepare`` fits here on a demo run, with ground truth revealed for ``n_labels`` items
    drawn with ``label_seed`` (the simulated oracle), and the labelling session it opens on it (``strategy`` on
    ``session_attribute``, one of the lens's categorical attributes)."""

    lens_id: str
    base_run: str
    lens: LensSettings
    n_labels: int
    session_attribute: str
    label_seed: int = 0
    strategy: str = "bald"


# Digit class and stroke thickness (seed 001's MNIST attributes) on the digits VAE: 300 items of 1,797 labelled.
DEMO_LENS = DemoLens(
    "demo-lens-digits", "demo-vae-digits",
    LensSettings(variant="ilvm", k=8, flow_length=4, beta=1.0, attributes=("label", "thickness"), hidden=(128, 128),
                 max_items=20_000, train={"steps": 800, "batch_size": 128, "lr": 2e-3, "seed": 0, "threads": 1}),
    n_labels=300, session_attribute="label")
