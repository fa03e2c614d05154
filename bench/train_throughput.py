"""Training throughput of ``models.training.fit`` against a minimal hand-written PyTorch loop.

Same model (built from the registry with the same seed), same batches (the same index sequence and
the same ``dataset.items`` fetch), same optimizer. Repeats in ABBA order; medians and the ratio are
printed side by side. The ratio is our loop's overhead (target: >= 0.95).

    python bench/train_throughput.py [--repeats 8] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import torch

from models import DataSpec, TrainConfig, fit, get_dataset, get_family
from models.training import batch_indices, select_device, split_indices, to_batch


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    dataset: str
    config: dict
    batch: int
    steps: int


CASES = (
    Case("conv VAE, dsprites 64x64", "vae", "dsprites", {"latent_dim": 10}, 64, 60),
    Case("MLP VAE, digits 8x8", "vae", "digits", {"latent_dim": 8, "hidden": [256, 128]}, 64, 1200),
)


def build(case: Case, n_train: int):
    spec, data = get_family(case.family), get_dataset(case.dataset)
    return spec.build(spec.config(case.config), DataSpec.from_info(data.info, n_train), seed=0)


def ours(case: Case, train, val) -> float:
    """Images/s through fit() (one validation pass of one batch at the end, as fit always does)."""
    model, data = build(case, len(train)), get_dataset(case.dataset)
    cfg = TrainConfig(steps=case.steps, batch_size=case.batch, eval_every=10**9, log_every=10**9,
                      checkpoint_every=0, max_val_items=case.batch)
    start = time.perf_counter()
    fit(model, data, train, val, cfg)
    return case.steps * case.batch / (time.perf_counter() - start)


def baseline(case: Case, train, val) -> float:
    """Images/s through the textbook loop: fetch, loss, zero_grad, backward, step."""
    model, data = build(case, len(train)), get_dataset(case.dataset)
    device = select_device("auto")
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.manual_seed(0)
    start = time.perf_counter()
    for step in range(case.steps):
        loss = model.loss(to_batch(data, batch_indices(train, case.batch, 0, step), device)).total
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return case.steps * case.batch / (time.perf_counter() - start)


def measure(case: Case, repeats: int) -> tuple[float, float]:
    """Medians over ``repeats`` rounds; the order inside a round alternates (ABBA), since on these machines
    whichever loop runs first after the other is measurably slower."""
    data = get_dataset(case.dataset)
    train, val = split_indices(len(data), 0.1, 0)
    warm = Case(**{**case.__dict__, "steps": 5})
    ours(warm, train, val), baseline(warm, train, val)  # allocator and first-step costs, both loops
    a, b = [], []
    for r in range(repeats):
        for fn in (ours, baseline) if r % 2 == 0 else (baseline, ours):
            (a if fn is ours else b).append(fn(case, train, val))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    print(f"device {select_device('auto')}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"median of {args.repeats} repeats in ABBA order")
    print(f"{'case':28} {'batch':>5} {'steps':>5} {'fit() img/s':>12} {'hand loop img/s':>16} {'ratio':>6}")
    for case in CASES:
        if args.quick:
            case = Case(**{**case.__dict__, "steps": max(10, case.steps // 5)})
        ours_ips, base_ips = measure(case, args.repeats)
        print(f"{case.name:28} {case.batch:5d} {case.steps:5d} {ours_ips:12.0f} {base_ips:16.0f} "
              f"{ours_ips / base_ips:6.3f}")


if __name__ == "__main__":
    main()
