"""fit_lens: a lens learns a synthetic representation z = A [2 onehot(s), thickness, noise] (C = 5 classes, a few
hundred labels, seconds on one CPU thread) well enough to predict s on held-out items, and a refit from the
previous weights with more labels starts where the previous fit ended."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.lens import AttributeSpec, FitProgress, Lens, LensConfig, fit_lens
from models.lens.fit import batch_index, batch_sizes, pool_batch

C, D = 5, 8
SPECS = (AttributeSpec.categorical("digit", C), AttributeSpec.continuous("thickness", 2.0, 0.58))


def synthetic(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z (n, D), digit (n,), thickness (n,)): z = A [2 onehot(digit), thickness, 3 noise dims], A fixed."""
    g = torch.Generator().manual_seed(seed)
    digit = torch.randint(0, C, (n,), generator=g)
    thickness = 1.0 + 2.0 * torch.rand(n, generator=g)
    x = torch.cat([2.0 * F.one_hot(digit, C).float(), thickness[:, None], torch.randn(n, 3, generator=g)], 1)
    return x @ torch.randn(C + 4, D, generator=torch.Generator().manual_seed(99)), digit, thickness


def small_lens(variant: str = "ilvm") -> Lens:
    torch.manual_seed(0)
    return Lens(LensConfig(input_dim=D, attributes=SPECS, variant=variant, k=4, flow_length=2,  # type: ignore[arg-type]
                           recognition_hidden=(64,), generative_hidden=(64,), side_hidden=(64,)))


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def labelled_first(n: int, n_labels: int) -> torch.Tensor:
    mask = torch.zeros(n, dtype=torch.bool)
    mask[:n_labels] = True
    return mask


def test_learns_the_attribute_and_refits_from_its_weights() -> None:
    torch.set_num_threads(1)  # small MLPs: one thread is fastest on a shared CPU
    z, digit, thickness = synthetic(2000, seed=0)
    z_test, digit_test, thickness_test = synthetic(1000, seed=1)
    labels = {"digit": digit, "thickness": thickness}
    mask = labelled_first(2000, 200)
    lens = small_lens()
    first = fit_lens(lens, z, labels, {"digit": mask, "thickness": mask}, steps=150, batch_size=64, lr=1e-2, seed=0)
    assert first.labelled_per_batch == 32
    with torch.no_grad():
        predicted = lens.predict_attributes(lens.encode(z_test))  # the mean path: no test item is labelled
        accuracy = float((predicted["digit"].argmax(-1) == digit_test).float().mean())  # (N, C) -> accuracy
        sampled = lens.predict_attributes(lens.sample_z_star(z_test, 8, generator=torch.Generator().manual_seed(0)))
    assert sampled["digit"].shape == (8, 1000, C)
    assert accuracy > 0.75  # 0.863 when written; chance is 0.2
    assert float((sampled["digit"].mean(0).argmax(-1) == digit_test).float().mean()) > 0.75
    assert correlation(predicted["thickness"][0], thickness_test) > 0.7  # 0.863 when written

    tail = float(np.mean(first.losses[-20:]))
    assert tail < first.losses[0] - 30  # it learned (115 -> 19 nats when written)
    more = labelled_first(2000, 400)
    refit = fit_lens(small_lens(), z, labels, {"digit": more, "thickness": more}, steps=5, batch_size=64, lr=1e-2,
                     seed=1, init_state=lens.state_dict())
    assert abs(refit.losses[0] - tail) < 0.2 * (first.losses[0] - tail)  # near where it ended, not from scratch


def test_filvm_puts_thickness_on_its_own_coordinate() -> None:
    torch.set_num_threads(1)
    z, digit, thickness = synthetic(2000, seed=0)
    z_test, _, thickness_test = synthetic(1000, seed=1)
    mask = labelled_first(2000, 200)
    lens = small_lens("filvm")
    fit_lens(lens, z, {"digit": digit, "thickness": thickness}, {"digit": mask, "thickness": mask}, steps=150,
             batch_size=64, lr=1e-2, seed=0)
    assert lens.owned_coordinates()["thickness"] == 1
    with torch.no_grad():
        z_star = lens.encode(z_test)  # (N, k), mean path
    correlations = [abs(correlation(z_star[:, i], thickness_test)) for i in range(4)]
    assert correlations[1] > 0.7  # 0.87 when written
    assert max(correlations[:1] + correlations[2:]) < 0.3


def test_fit_is_deterministic_for_a_seed_and_reports_progress() -> None:
    z, digit, thickness = synthetic(300, seed=2)
    mask = labelled_first(300, 20)
    runs, reports = [], []
    for _ in range(2):
        lens = small_lens()
        runs.append(fit_lens(lens, z, {"digit": digit, "thickness": thickness}, {"digit": mask, "thickness": mask},
                             steps=7, batch_size=32, seed=4, on_progress=reports.append, log_every=3).losses)
    assert runs[0] == runs[1] and len(runs[0]) == 7
    assert [r.step for r in reports[:3]] == [3, 6, 7] and all(isinstance(r, FitProgress) for r in reports)
    assert reports[2].loss == pytest.approx(runs[0][6])


def test_batches_mix_the_pools() -> None:
    assert batch_sizes(200, 1800, 64) == (32, 32)
    assert batch_sizes(10, 1800, 64) == (10, 54)  # every labelled item in every batch
    assert batch_sizes(0, 100, 64) == (0, 64) and batch_sizes(100, 0, 64) == (64, 0)
    assert batch_sizes(60, 10, 64) == (54, 10)
    with pytest.raises(ValueError, match="batch_size 64 exceeds the 50 items"):
        batch_sizes(20, 30, 64)
    pool = np.arange(100, 110)
    seen = np.concatenate([pool_batch(pool, 4, seed=0, stream=0, step=s) for s in range(5)])  # 2 epochs
    assert sorted(seen[:10]) == list(pool) and sorted(seen[10:20]) == list(pool)  # each epoch is a permutation
    assert np.array_equal(pool_batch(pool, 4, 0, 0, 3), pool_batch(pool, 4, 0, 0, 3))
    pools = (np.arange(10), np.arange(10, 2000))
    for step in range(3):
        idx = batch_index(pools, batch_sizes(10, 1990, 64), seed=0, step=step)
        assert len(idx) == 64 and set(range(10)) <= set(idx.tolist())  # the labelled items, every batch


def test_bad_arguments() -> None:
    z, digit, _ = synthetic(40, seed=3)
    lens = small_lens()
    with pytest.raises(ValueError, match="expected steps >= 1"):
        fit_lens(lens, z, None, None, steps=0, batch_size=8)
    with pytest.raises(ValueError, match=r"labels\['digit'\]: expected a tensor of shape \(40,\)"):
        fit_lens(lens, z, {"digit": digit[:10]}, {"digit": torch.ones(10, dtype=torch.bool)}, steps=1, batch_size=8)


@pytest.mark.parametrize("device", ["cpu", *(["cuda"] if torch.cuda.is_available() else [])])
def test_fits_on_the_device_of_the_tensors(device: str) -> None:
    """The lens follows z's device (CUDA where this machine has it; CI has none, so there it is the CPU)."""
    z, digit, thickness = synthetic(300, seed=2)
    mask = labelled_first(300, 20)  # labels and masks stay on the CPU: fit_lens moves them
    lens = small_lens()
    result = fit_lens(lens, z.to(device), {"digit": digit, "thickness": thickness}, {"digit": mask, "thickness": mask},
                      steps=5, batch_size=32)
    assert all(p.device.type == device for p in lens.parameters()) and np.all(np.isfinite(result.losses))
    draws = lens.sample_z_star(z[:10].to(device), 3, generator=torch.Generator(device=device).manual_seed(0))
    assert draws.device.type == device and draws.shape == (3, 10, 4)
