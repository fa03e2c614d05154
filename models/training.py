"""One training loop for every family (it never looks at the family).

Seeding, device choice, progress callbacks, periodic checkpoints, resume and early stopping on a
validation split. Batches are a pure function of (seed, step), so a resumed run sees the same data
in the same order as an uninterrupted one.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import numpy as np
import torch

from .base import LatentModel, LossOutput
from .config import STEP_SIZE, Between, check_bounds, require
from .datasets import Dataset, evenly_spaced
from .train_state import LoopState, has_loop, load_loop, save_loop


@dataclass(frozen=True)
class TrainConfig:
    steps: Annotated[int, Between(1)] = 2000  # optimizer steps (the API caps them: max_train_steps)
    batch_size: Annotated[int, Between(2)] = 64
    lr: Annotated[float, STEP_SIZE] = 1e-3
    seed: Annotated[int, Between(0, 2**32 - 1)] = 0
    val_fraction: float = 0.1  # held out for validation / early stopping
    eval_every: int = 100  # steps between validation passes (and history records)
    log_every: int = 10  # steps between progress callbacks
    checkpoint_every: int = 500  # steps between resumable checkpoints (0: only at the end)
    patience: int = 0  # validation passes without improvement before stopping (0: never)
    max_val_items: int = 2048
    device: str = "auto"  # auto: CUDA when available, else CPU
    threads: int = 0  # CPU threads while training (0: torch's default); 1 is fastest for small MLPs on a busy CPU

    def __post_init__(self) -> None:
        check_bounds(self)  # steps, batch_size, lr, seed
        require(0.0 < self.val_fraction < 0.5, f"val_fraction must be in (0, 0.5), got {self.val_fraction}",
                "val_fraction")
        for name in ("eval_every", "log_every", "max_val_items"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1, got {getattr(self, name)}", name)
        for name in ("checkpoint_every", "patience"):
            require(getattr(self, name) >= 0, f"{name} must be >= 0, got {getattr(self, name)}", name)
        require(self.threads >= 0, f"threads must be >= 0 (0: torch's default), got {self.threads}", "threads")
        require(re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device) is not None,
                f"device must be 'auto', 'cpu' or 'cuda[:i]', got {self.device!r}", "device")


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives."""

    step: int
    total: int
    terms: dict[str, float]  # running means since the last callback
    val_loss: float | None  # latest validation loss
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.step / self.total

    @property
    def eta_s(self) -> float:
        return self.elapsed_s / max(self.step, 1) * (self.total - self.step)


ProgressFn = Callable[[Progress], None]
SaveFn = Callable[[LoopState, "dict[str, torch.Tensor] | None"], None]  # writes a resumable checkpoint


class TrainingCancelled(RuntimeError):
    """Raised by a progress callback to stop training; the last checkpoint stays resumable."""


NON_FINITE_HINT = ("; the model cannot be trusted and no weights are saved: expected finite values; train with a "
                   "lower lr (now {lr:g}) or smaller loss weights")


class NonFiniteTraining(FloatingPointError):
    """The loss, the validation loss or the weights became NaN or infinite at a step: the model cannot be trusted,
    so training stops before anything of it (a checkpoint, the weights) is written."""


def select_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded permutation of range(n) cut into (train, val) index arrays."""
    perm = np.random.default_rng([seed, 7]).permutation(n)
    n_val = max(1, round(n * val_fraction))
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def batch_indices(train: np.ndarray, batch_size: int, seed: int, step: int) -> np.ndarray:
    """The indices of batch ``step``: epoch-wise seeded shuffles, the incomplete last batch dropped."""
    per_epoch = max(1, len(train) // batch_size)
    epoch, pos = divmod(step, per_epoch)
    return train[epoch_permutation(len(train), seed, epoch)[pos * batch_size : (pos + 1) * batch_size]]


@lru_cache(maxsize=2)
def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """(n,) read-only seeded permutation of one epoch; cached, since shuffling dsprites' 663,552 training
    indices costs ~18 ms, as much as a tenth of a conv VAE's training step on a CPU."""
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    perm.flags.writeable = False
    return perm


def to_batch(dataset: Dataset, indices: np.ndarray, device: torch.device) -> torch.Tensor:
    """(B,) indices -> (B, *shape) float32 tensor on ``device``."""
    return torch.from_numpy(dataset.items(indices)).to(device, non_blocking=True)


def item_loss(model: LatentModel, dataset: Dataset, indices: np.ndarray, device: torch.device) -> LossOutput:
    """The model's loss on items ``indices`` (B,) of ``dataset`` (``LatentModel.loss_on_items``)."""
    return model.loss_on_items(to_batch(dataset, indices, device), indices, dataset)


def validation_items(val: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """At most ``cap`` validation indices, evenly spaced over the sorted split (so a capped set spans the
    dataset), in a fixed shuffled order: beta-TCVAE's estimate of q(z) depends on which items share a
    batch, and a batch of neighbouring indices is a narrow slice of a factor-ordered dataset."""
    return np.random.default_rng([seed, 1]).permutation(evenly_spaced(val, cap))


def validation_loss(model: LatentModel, dataset: Dataset, val: np.ndarray, cfg: TrainConfig) -> float:
    """Mean loss on the (capped) validation split, with its own fixed RNG so training is undisturbed."""
    device = next(model.parameters()).device
    idx = validation_items(val, cfg.max_val_items, cfg.seed)
    model.eval()
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        torch.manual_seed(cfg.seed)
        losses = [item_loss(model, dataset, idx[i : i + 256], device).total.item() * len(idx[i : i + 256])
                  for i in range(0, len(idx), 256)]
    model.train()
    return float(sum(losses) / len(idx))


class _Running:
    """Running means of the loss terms (kept on the device; synced only when read)."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0

    def add(self, terms: dict[str, torch.Tensor]) -> None:
        for k, v in terms.items():
            self.sums[k] = self.sums.get(k, 0) + v
        self.count += 1

    def pop(self) -> dict[str, float]:
        out = {k: float(v) / max(self.count, 1) for k, v in self.sums.items()}
        self.sums, self.count = {}, 0
        return out


def fit(model: LatentModel, dataset: Dataset, train: np.ndarray, val: np.ndarray, cfg: TrainConfig,
        on_progress: ProgressFn | None = None, checkpoint_dir: Path | None = None,
        before_checkpoint: Callable[[], None] | None = None, check_stop: Callable[[], None] | None = None
        ) -> LoopState:
    """Train ``model`` in place for ``cfg.steps`` steps; resumes from ``checkpoint_dir`` when it holds
    a checkpoint. ``before_checkpoint`` runs before each checkpoint is written, ``check_stop`` after every step
    (it must be cheap); either may raise ``TrainingCancelled`` to stop. Returns the loop state (history,
    early-stop flag)."""
    if checkpoint_dir is not None and not checkpoint_dir.parent.is_dir():
        raise FileNotFoundError(f"checkpoint_dir {checkpoint_dir}: its folder {checkpoint_dir.parent} does not exist; "
                                "expected a checkpoint folder inside an existing one (made when it is first written)")
    model.to(select_device(cfg.device)).train()
    opts = model.configure_optimizers(cfg.lr)
    loop, best = LoopState(), None
    if checkpoint_dir is not None and has_loop(checkpoint_dir):
        loop, best = load_loop(checkpoint_dir, model, opts)
    else:
        torch.manual_seed(cfg.seed)
    save: SaveFn | None = None
    if checkpoint_dir is not None:
        def save(at: LoopState, best_state: dict[str, torch.Tensor] | None) -> None:
            if before_checkpoint:
                before_checkpoint()
            save_loop(checkpoint_dir, model, opts, at, best_state)
    with cpu_threads(cfg.threads):
        _run_steps(model, dataset, train, val, cfg, opts, loop, best, on_progress, save, check_stop)
    return loop


_THREADS_LOCK = threading.Lock()
_THREADS_HELD: list[int] = []  # the ``n`` of each cpu_threads block open now, in any thread, oldest first
_THREADS_BEFORE: list[int] = []  # the count before the first of them


@contextmanager
def cpu_threads(n: int) -> Iterator[None]:
    """torch's intra-op CPU threads set to ``n`` (0: unchanged) inside the block, restored after. The count is one for
    the whole process: with blocks open in several threads at once (a worker's slots) the newest one's ``n`` holds
    while it is open, and the count from before the first comes back once the last has closed."""
    if not n:
        yield
        return
    with _THREADS_LOCK:
        if not _THREADS_HELD:
            _THREADS_BEFORE[:] = [torch.get_num_threads()]
        _THREADS_HELD.append(n)
        torch.set_num_threads(n)
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_HELD.remove(n)
            torch.set_num_threads(_THREADS_HELD[-1] if _THREADS_HELD else _THREADS_BEFORE[0])


def _run_steps(model: LatentModel, dataset: Dataset, train: np.ndarray, val: np.ndarray, cfg: TrainConfig,
               opts: list[torch.optim.Optimizer], loop: LoopState, best: dict[str, torch.Tensor] | None,
               on_progress: ProgressFn | None, save: SaveFn | None, check_stop: Callable[[], None] | None) -> None:
    device, running, start = next(model.parameters()).device, _Running(), time.perf_counter()
    start_step = loop.step
    while loop.step < cfg.steps and not loop.stopped_early:
        out = item_loss(model, dataset, batch_indices(train, cfg.batch_size, cfg.seed, loop.step), device)
        check_loss(out, loop.step + 1, cfg)
        _optimizer_step(model, opts, out.total, cfg.lr)
        loop.step += 1
        if check_stop:
            check_stop()
        running.add(out.terms)
        evaluating = loop.step % cfg.eval_every == 0 or loop.step == cfg.steps
        saving = cfg.checkpoint_every > 0 and loop.step % cfg.checkpoint_every == 0
        if evaluating:
            check_weights(model, loop.step, cfg)
            best = _evaluate(model, dataset, val, cfg, loop, running, best)
        if on_progress and (loop.step % cfg.log_every == 0 or loop.step == cfg.steps or loop.stopped_early):
            on_progress(Progress(loop.step, cfg.steps, running.pop(), _last_val(loop),
                                 _elapsed(start, start_step, loop.step)))
        if save is not None and saving:
            check_weights(model, loop.step, cfg)  # (again where it follows an evaluation: a callback ran since)
            save(loop, best)
    if best is not None:
        model.load_state_dict(best)
    check_weights(model, loop.step, cfg)


def check_loss(out: LossOutput, step: int, cfg: TrainConfig) -> None:
    """NonFiniteTraining unless the batch's loss is finite (one device sync per step); names the terms that are not."""
    if not torch.isfinite(out.total):
        bad = [f"{name} = {float(value)}" for name, value in out.terms.items() if not math.isfinite(float(value))]
        raise NonFiniteTraining(f"step {step}/{cfg.steps}: the loss became {out.total.item()}"
                                + (f" ({', '.join(bad)})" if bad else "") + NON_FINITE_HINT.format(lr=cfg.lr))


def check_weights(model: LatentModel, step: int, cfg: TrainConfig) -> None:
    """NonFiniteTraining unless every floating weight and buffer of ``model`` is finite; names how many are not and
    where (run at each validation pass, before each checkpoint and at the end: one device sync)."""
    tensors = {name: t for name, t in model.state_dict().items() if t.is_floating_point()}
    counts = torch.stack([(~torch.isfinite(t)).sum() for t in tensors.values()]).tolist() if tensors else []
    bad = {name: n for name, n in zip(tensors, counts, strict=True) if n}
    if bad:
        where = ", ".join(list(bad)[:3]) + (f" and {len(bad) - 3} more tensors" if len(bad) > 3 else "")
        raise NonFiniteTraining(f"step {step}/{cfg.steps}: {sum(bad.values()):,} weights became NaN or infinite "
                                f"(in {where})" + NON_FINITE_HINT.format(lr=cfg.lr))


def _optimizer_step(model: LatentModel, opts: list[torch.optim.Optimizer], total: torch.Tensor, lr: float) -> None:
    for opt in opts:
        opt.zero_grad(set_to_none=True)
    total.backward()
    for opt in opts:
        opt.step()
    model.after_optimizer_step(lr)


def _evaluate(model: LatentModel, dataset: Dataset, val: np.ndarray, cfg: TrainConfig, loop: LoopState,
              running: _Running, best: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor] | None:
    """A validation pass: record history; track the best weights and stop early when patience runs out."""
    val_loss = validation_loss(model, dataset, val, cfg)
    if not math.isfinite(val_loss):
        raise NonFiniteTraining(f"step {loop.step}/{cfg.steps}: the validation loss became {val_loss}"
                                + NON_FINITE_HINT.format(lr=cfg.lr))
    train_terms = {k: float(v) / max(running.count, 1) for k, v in running.sums.items()}
    loop.history.append({"step": loop.step, "val_loss": val_loss, **{f"train_{k}": v for k, v in train_terms.items()}})
    if cfg.patience == 0:
        return best
    if loop.best_val is None or val_loss < loop.best_val - 1e-4 * abs(loop.best_val):
        loop.best_val, loop.bad_evals = val_loss, 0
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    loop.bad_evals += 1
    loop.stopped_early = loop.bad_evals >= cfg.patience
    return best


def _last_val(loop: LoopState) -> float | None:
    return loop.history[-1]["val_loss"] if loop.history else None


def _elapsed(start: float, start_step: int, step: int) -> float:
    """Seconds, scaled so ETA stays right after a resume (time per step x steps done overall)."""
    per_step = (time.perf_counter() - start) / max(step - start_step, 1)
    return per_step * step if math.isfinite(per_step) else 0.0
