"""The lens's speed (issue 16): (a) training throughput of ``models.fit_lens`` against a bare PyTorch loop of the same
lens, loss and batches (target >= 0.9x); (b) the time the API takes to refit a lens from its last weights after 50
new labels, with 2,000 labels and 20,000 unlabelled items (target < 30 s on the 2-core CPU).

(a) The glyphs lens of docs/results.md (digit class: 10 classes, marginalised exactly for unlabelled items; stroke
width: continuous) over a 10-dim representation of N items, L of them labelled. The representation is drawn from
N(0, I) and the labels uniformly: a step's cost does not depend on their values. Both loops build the lens from the
same seed, read the same batches (``batch_index``: half labelled, half not) and step Adam; repeats in ABBA order,
medians side by side.

(b) Through the API in-process, as a user's refit: a dsprites base run (a conv VAE, 64x64; trained for a few steps
only, since its quality does not change the time), a lens on shape and scale (3 classes, continuous) with 2,000
oracle labels over 22,050 items, then POST .../refit with 50 more oracle labels and ``--refit-steps`` steps, run by
the real worker: the wall time from the POST to the new version (encoding the 22,050 items, the warm-started fit,
the score table, writing the version). Repeated; medians.

    python bench/lens.py [--repeats 6] [--refit-repeats 3] [--refit-steps 300] [--cache var/bench] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from lens_results import Api

from backend.runs import create_run, run_dir, train_run
from models import AttributeSpec, Lens, TrainConfig, fit_lens
from models.lens import LensConfig
from models.lens.fit import batch_index, batch_sizes

Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Case:
    n_items: int
    n_labelled: int
    batch: int
    steps: int


SPECS = (AttributeSpec.categorical("label", 10), AttributeSpec.continuous("stroke_width", 0.6, 0.3))
INPUT_DIM = 10  # the glyphs base VAE's latent dim


def build_lens(seed: int) -> Lens:
    torch.manual_seed(seed)
    return Lens(LensConfig(input_dim=INPUT_DIM, attributes=SPECS, k=8, flow_length=4))  # the API's k and T


def data(case: Case, seed: int) -> tuple[torch.Tensor, Tensors, Tensors]:
    """z (N, 10), labels {attribute: (N,)}, mask {attribute: (N,)}: the first L items labelled."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(case.n_items, INPUT_DIM, generator=g)
    labels = {"label": torch.randint(0, 10, (case.n_items,), generator=g),
              "stroke_width": torch.rand(case.n_items, generator=g) * 1.2}
    known = torch.arange(case.n_items) < case.n_labelled
    return z, labels, {"label": known, "stroke_width": known}


@dataclass(frozen=True)
class Timing:
    steps_per_s: float  # wall clock
    cpu_ms_per_step: float  # this process's CPU time (all threads): what a busy shared CPU does not inflate


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def timing(self, steps: int) -> Timing:
        return Timing(steps / (time.perf_counter() - self.wall), 1000 * (time.process_time() - self.cpu) / steps)


def bare_loop(lens: Lens, z: torch.Tensor, labels: Tensors, mask: Tensors, steps: int, batch: int, lr: float,
              seed: int) -> None:
    """The textbook loop over ``fit_lens``'s batches (``batch_index``: the same items per step): index the batch,
    loss, zero_grad, backward, step."""
    known = torch.stack(list(mask.values())).any(0).numpy()
    pools = (np.flatnonzero(known), np.flatnonzero(~known))
    sizes = batch_sizes(len(pools[0]), len(pools[1]), batch)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(lens.parameters(), lr=lr)
    lens.train()
    for step in range(steps):
        idx = torch.from_numpy(batch_index(pools, sizes, seed, step))
        loss, _ = lens.loss(z[idx], {n: v[idx] for n, v in labels.items()}, {n: v[idx] for n, v in mask.items()},
                            generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


Loop = Callable[[Lens, torch.Tensor, Tensors, Tensors, int, int, float, int], object]


def timed(loop: Loop, case: Case, seed: int = 0) -> Timing:
    """``loop``'s speed on a new lens over ``case``'s data (both made from ``seed``)."""
    lens, (z, labels, mask) = build_lens(seed), data(case, seed)
    clock = Clock()
    loop(lens, z, labels, mask, case.steps, case.batch, 1e-3, seed)
    return clock.timing(case.steps)


def throughput(case: Case, repeats: int) -> tuple[Timing, Timing]:
    """(fit_lens's, the bare loop's) medians over ``repeats`` rounds in ABBA order."""
    warm = Case(case.n_items, case.n_labelled, case.batch, 3)
    timed(fit_lens, warm), timed(bare_loop, warm)  # first-call costs (allocator, lazy imports), both loops
    a: list[Timing] = []
    b: list[Timing] = []
    for r in range(repeats):
        for loop in (fit_lens, bare_loop) if r % 2 == 0 else (bare_loop, fit_lens):
            (a if loop is fit_lens else b).append(timed(loop, case))
    return median(a), median(b)


def median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.steps_per_s for t in timings), statistics.median(t.cpu_ms_per_step
                                                                                       for t in timings))


@dataclass(frozen=True)
class Refit:
    base_steps: int
    n_labels: int  # oracle labels of the first fit
    n_added: int  # labels the refit adds
    n_unlabelled: int
    fit_steps: int
    refit_steps: int


def dsprites_base(cache: Path, steps: int) -> str:
    """A dsprites conv VAE trained for ``steps`` (once, cached under ``cache``); its run id."""
    rid = f"dsprites-vae-{steps}"
    if not (run_dir(cache, rid) / "config.json").is_file():
        create_run(cache, "vae", {"latent_dim": 10}, "dsprites",
                   TrainConfig(steps=steps, batch_size=64, checkpoint_every=0, eval_every=steps, max_val_items=64,
                               device="cpu"), rid)
    train_run(cache, rid)
    return rid


def refit_times(cache: Path, r: Refit, repeats: int) -> list[dict[str, float]]:
    """Per repeat: a new lens (first fit untimed), then the timed refit after ``r.n_added`` labels."""
    base = dsprites_base(cache, r.base_steps)
    url, out = f"/api/v1/runs/{base}/lenses", []
    with Api(cache) as api:
        for rep in range(repeats):
            lid = f"bench-refit-{time.time_ns()}"
            api.run(url, {"lens_id": lid, "attributes": ["shape", "scale"],
                          "max_items": r.n_labels + r.n_added + r.n_unlabelled,
                          "labels": {"oracle": {"n": r.n_labels, "seed": rep}},
                          "fit": {"steps": r.fit_steps, "batch_size": 128, "seed": rep}})
            wall, cpu = time.perf_counter(), time.process_time()  # the worker runs in this process
            api.run(f"{url}/{lid}/refit", {"labels": {"oracle": {"n": r.n_added, "seed": 1000 + rep}},
                                           "steps": r.refit_steps})
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            detail = api.get(f"{url}/{lid}")
            out.append({"wall_s": wall, "cpu_s": cpu, "fit_s": detail["training"]["elapsed_s"],
                        "n_items": detail["training"]["n_items"],
                        "n_labelled": detail["labels"]["attributes"]["shape"]["n_labelled"]})
            api.client.delete(f"{url}/{lid}")
    return out


THROUGHPUT = Case(n_items=6250, n_labelled=2000, batch=128, steps=200)
REFIT = Refit(base_steps=20, n_labels=2000, n_added=50, n_unlabelled=20_000, fit_steps=300, refit_steps=300)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=6, help="even: each loop leads a round equally often")
    p.add_argument("--refit-repeats", type=int, default=3)
    p.add_argument("--refit-steps", type=int, default=REFIT.refit_steps)
    p.add_argument("--cache", type=Path, default=Path("var/bench"))
    p.add_argument("--quick", action="store_true", help="a few steps and items: a smoke run")
    args = p.parse_args()
    case, refit = THROUGHPUT, Refit(**{**REFIT.__dict__, "refit_steps": args.refit_steps})
    if args.quick:
        case = Case(600, 100, 64, 10)
        refit = Refit(base_steps=2, n_labels=100, n_added=50, n_unlabelled=500, fit_steps=5, refit_steps=5)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, CPU", flush=True)
    a, b = throughput(case, args.repeats)
    print(f"(a) lens training, {case.n_items} items ({case.n_labelled} labelled), batch {case.batch}, {case.steps} "
          f"steps, median of {args.repeats} (ABBA):")
    print(f"    fit_lens {a.steps_per_s:.1f} steps/s, {a.cpu_ms_per_step:.1f} CPU ms/step | bare loop "
          f"{b.steps_per_s:.1f} steps/s, {b.cpu_ms_per_step:.1f} CPU ms/step | ratio "
          f"{a.steps_per_s / b.steps_per_s:.3f} (wall), {b.cpu_ms_per_step / a.cpu_ms_per_step:.3f} (CPU)", flush=True)
    times = refit_times(args.cache, refit, args.refit_repeats)
    med = {key: statistics.median(t[key] for t in times) for key in ("wall_s", "cpu_s", "fit_s")}
    print(f"(b) refit after {refit.n_added} labels: {times[0]['n_labelled']} labelled of {times[0]['n_items']} items, "
          f"{refit.refit_steps} steps, median of {len(times)}: {med['wall_s']:.1f} s POST to new version "
          f"(CPU {med['cpu_s']:.1f} s; the fit {med['fit_s']:.1f} s); each: "
          + ", ".join(f"{t['wall_s']:.1f}" for t in times))


if __name__ == "__main__":
    main()
