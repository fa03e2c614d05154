"""Throughput of the Lp-nested (ISA) prior against ``torch.distributions.Normal`` on the same shape, and of a
whole ISA-VAE training step against the VAE's.

Prior: three operations per shape: exact sampling, log density, and log density with its backward pass (the
prior's part of a training step: gradients to z, and for the ISA prior also to its learned inner exponents).
Latent layouts are ISA trees of equal subspaces (the first is the paper's dSprites preset: 5 x 4 dims, p0 = 2.1,
p_i = 2.2); the Normal is N(0, I) over the same dims. Repeats in ABBA order; medians of rows/s and the ratio
ISA / Normal are printed side by side (1.0 = as fast as the Normal).

Training step (issue 21: within 1.3x of the VAE's): one forward + backward + Adam step of ``isa_vae`` (defaults:
the dSprites layout, 20 latent dims, learned exponents, Monte Carlo KL) and of ``vae`` with the same encoder and
decoder (20 latent dims, closed-form KL), on a batch of 64 real items: dSprites 64x64 (the conv net) and digits
8x8 (the MLP). Medians of ms per step over ABBA-interleaved repeats, and the ratio ISA / VAE (1.0 = as fast).

    python bench/isa_prior.py [--repeats 7] [--device auto] [--threads N] [--quick]

On a CPU shared with other work, use --threads 1: a busy second core makes torch's two-thread kernels (float32
log, advanced indexing) orders of magnitude slower, which distorts both columns.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from models import DataSpec, LatentModel, LpNested, get_dataset, get_family
from models.training import select_device


@dataclass(frozen=True)
class Case:
    name: str
    batch: int
    subspaces: int
    subspace_dim: int


CASES = (
    Case("dSprites preset 5x4", 256, 5, 4),
    Case("large 20x5", 4096, 20, 5),
)


@dataclass(frozen=True)
class StepCase:
    name: str
    dataset: str
    batch: int


STEP_CASES = (
    StepCase("dSprites 64x64 conv", "dsprites", 64),
    StepCase("digits 8x8 MLP", "digits", 64),
)


def operations(prior: torch.nn.Module, sample: Callable[[int], torch.Tensor], log_prob: Callable, case: Case,
               device: torch.device) -> dict[str, Callable[[], object]]:
    """name -> a zero-argument call doing one batch of that operation with ``prior``."""
    z = sample(case.batch).to(device)
    z_grad = z.clone().requires_grad_(True)

    def log_prob_backward() -> None:
        prior.zero_grad(set_to_none=True)
        log_prob(z_grad).sum().backward()

    return {
        "sample": lambda: sample(case.batch),
        "log_prob": lambda: log_prob(z),
        "log_prob+backward": log_prob_backward,
    }


def pair(case: Case, device: torch.device) -> tuple[dict, dict]:
    """(ISA operations, Normal operations) for ``case`` on ``device``."""
    dim = case.subspaces * case.subspace_dim
    isa = LpNested((case.subspace_dim,) * case.subspaces, 2.1, 2.2, device=device)
    generator = torch.Generator(device).manual_seed(0)
    normal = torch.distributions.Normal(torch.zeros(dim, device=device), torch.ones(dim, device=device))
    return (operations(isa, lambda b: isa.sample(b, generator), isa.log_prob, case, device),
            operations(torch.nn.Module(), lambda b: normal.sample((b,)), lambda z: normal.log_prob(z).sum(-1),
                       case, device))


def rows_per_second(call: Callable[[], object], batch: int, iters: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        call()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return iters * batch / (time.perf_counter() - start)


def measure(call_a: Callable, call_b: Callable, batch: int, iters: int, repeats: int,
            device: torch.device) -> tuple[float, float]:
    """Median rows/s of ``call_a`` and ``call_b``, alternating which goes first (ABBA), after one warm-up each."""
    rows_per_second(call_a, batch, 3, device), rows_per_second(call_b, batch, 3, device)
    a: list[float] = []
    b: list[float] = []
    for r in range(repeats):
        for call in (call_a, call_b) if r % 2 == 0 else (call_b, call_a):
            (a if call is call_a else b).append(rows_per_second(call, batch, iters, device))
    return statistics.median(a), statistics.median(b)


def training_step(family: str, case: StepCase, device: torch.device) -> Callable[[], None]:
    """A zero-argument call doing one forward + backward + Adam step of ``family`` (20 latent dims, the ISA
    family's default layout) on a fixed batch of ``case``'s items."""
    dataset = get_dataset(case.dataset)
    spec = get_family(family)
    model: LatentModel = spec.build(spec.config({"latent_dim": 20}), DataSpec.from_info(dataset.info, len(dataset)))
    model.to(device).train()
    x = torch.from_numpy(dataset.items(np.arange(case.batch))).to(device)
    optimizers = model.configure_optimizers(1e-4)

    def step() -> None:
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        model.loss(x).total.backward()
        for opt in optimizers:
            opt.step()

    return step


def compare_steps(repeats: int, iters: int, device: torch.device) -> None:
    """Print the median ms per training step of isa_vae and vae on every ``STEP_CASES`` entry, and their ratio."""
    print(f"training step, median of {repeats} repeats x {iters} steps in ABBA order")
    print(f"{'case':22} {'batch':>5} {'isa_vae ms':>11} {'vae ms':>8} {'ratio':>6}")
    for case in STEP_CASES:
        isa, vae = training_step("isa_vae", case, device), training_step("vae", case, device)
        isa_rps, vae_rps = measure(isa, vae, case.batch, iters, repeats, device)
        isa_ms, vae_ms = 1e3 * case.batch / isa_rps, 1e3 * case.batch / vae_rps
        print(f"{case.name:22} {case.batch:5d} {isa_ms:11.2f} {vae_ms:8.2f} {isa_ms / vae_ms:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--iters", type=int, default=50, help="calls per timed repeat")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    parser.add_argument("--step-iters", type=int, default=5, help="training steps per timed repeat")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 10 calls, 2 steps (a smoke run)")
    args = parser.parse_args()
    repeats, iters, step_iters = (3, 10, 2) if args.quick else (args.repeats, args.iters, args.step_iters)
    device = select_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"median of {repeats} repeats x {iters} calls in ABBA order, float32")
    print(f"{'case':22} {'batch':>5} {'dims':>4} {'operation':18} {'ISA rows/s':>12} {'Normal rows/s':>14} "
          f"{'ratio':>6}")
    for case in CASES:
        isa, normal = pair(case, device)
        for op in isa:
            isa_rps, normal_rps = measure(isa[op], normal[op], case.batch, iters, repeats, device)
            print(f"{case.name:22} {case.batch:5d} {case.subspaces * case.subspace_dim:4d} {op:18} "
                  f"{isa_rps:12.0f} {normal_rps:14.0f} {isa_rps / normal_rps:6.3f}")
    compare_steps(repeats, step_iters, device)


if __name__ == "__main__":
    main()
