"""Resumable training state on disk, pickle-free: tensors in safetensors, the rest in JSON.

``<dir>/model-<step>.safetensors`` (weights), ``best-<step>.safetensors`` (best validation weights,
when early stopping is on), ``state-<step>.safetensors`` (optimizer tensors, RNG states) and
``state.json`` (step, optimizer hyper-parameters, history, early-stop bookkeeping, the file names and
their sha256). A save writes the new step's files first and swaps ``state.json`` in one rename, so a
kill at any moment leaves a complete, resumable checkpoint; older files are removed afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint import load_state, read_json, save_tensors, write_json


@dataclass
class LoopState:
    """Bookkeeping of ``training.fit`` that must survive a restart."""

    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_val: float | None = None
    bad_evals: int = 0
    stopped_early: bool = False


def _flatten_optimizers(opts: list[torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], list[Any]]:
    """Optimizer state dicts -> (named tensors, JSON-able rest)."""
    tensors: dict[str, torch.Tensor] = {}
    meta: list[Any] = []
    for i, opt in enumerate(opts):
        sd = opt.state_dict()
        plain: dict[str, dict[str, Any]] = {}
        for pid, pstate in sd["state"].items():
            plain[str(pid)] = {}
            for key, value in pstate.items():
                if torch.is_tensor(value):
                    tensors[f"opt{i}.{pid}.{key}"] = value
                else:
                    plain[str(pid)][key] = value
        meta.append({"param_groups": sd["param_groups"], "state": plain})
    return tensors, meta


def _restore_optimizers(opts: list[torch.optim.Optimizer], tensors: dict[str, torch.Tensor], meta: list[Any]) -> None:
    for i, (opt, m) in enumerate(zip(opts, meta, strict=True)):
        state: dict[int, dict[str, Any]] = {int(pid): dict(plain) for pid, plain in m["state"].items()}
        prefix = f"opt{i}."
        for name, value in tensors.items():
            if name.startswith(prefix):
                pid, key = name[len(prefix):].split(".", 1)
                state.setdefault(int(pid), {})[key] = value
        opt.load_state_dict({"state": state, "param_groups": m["param_groups"]})


def _rng_tensors() -> dict[str, torch.Tensor]:
    out = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda{i}"] = s
    return out


def _restore_rng(tensors: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(tensors["rng.cpu"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


def save_loop(directory: Path, model: torch.nn.Module, opts: list[torch.optim.Optimizer], loop: LoopState,
              best: dict[str, torch.Tensor] | None) -> None:
    """Write everything needed to continue from ``loop.step``; state.json last (it marks completion).
    ``directory``'s parent must exist: a run folder deleted mid-training is never made again here."""
    directory.mkdir(exist_ok=True)
    opt_tensors, opt_meta = _flatten_optimizers(opts)
    parts = {"model": model.state_dict(), "state": {**opt_tensors, **_rng_tensors()}}
    if best is not None:
        parts["best"] = best
    files = {name: f"{name}-{loop.step}.safetensors" for name in parts}
    digests = {name: save_tensors(parts[name], directory / files[name]) for name in parts}
    write_json(directory / "state.json", {"loop": asdict(loop), "optimizers": opt_meta, "files": files,
                                          "sha256": digests})
    for stale in {p.name for p in directory.glob("*.safetensors")} - set(files.values()):
        (directory / stale).unlink(missing_ok=True)


def load_loop(directory: Path, model: torch.nn.Module, opts: list[torch.optim.Optimizer]
              ) -> tuple[LoopState, dict[str, torch.Tensor] | None]:
    """Restore model, optimizers and RNG from ``directory``; returns the loop state and best weights."""
    saved = read_json(directory / "state.json")
    files, digests = saved["files"], saved["sha256"]
    model.load_state_dict(load_state(directory / files["model"], digests["model"]))
    tensors = load_state(directory / files["state"], digests["state"])
    device = next(model.parameters()).device
    _restore_optimizers(opts, {k: v.to(device) if not k.endswith(".step") else v for k, v in tensors.items()
                               if k.startswith("opt")}, saved["optimizers"])
    _restore_rng(tensors)
    best = load_state(directory / files["best"], digests["best"]) if "best" in files else None
    return LoopState(**saved["loop"]), best


def has_loop(directory: Path) -> bool:
    return (directory / "state.json").is_file()


def saved_step(directory: Path) -> int:
    """The step the checkpoint in ``directory`` continues from; 0 when there is none."""
    return int(read_json(directory / "state.json")["loop"]["step"]) if has_loop(directory) else 0
