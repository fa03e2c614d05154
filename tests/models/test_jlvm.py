"""JLVM (seed 001, Sec. 5; SCIENCE.md section 6): the objective's known answers, the oracle's labels reaching each
batch through the training loop, and a short real training whose head reads the digit well above chance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models import DataSpec, get_dataset, get_family, reveal
from models.config import ConfigError
from models.families.jlvm import JLVM
from models.families.jlvm.objective import aggregate_kl, side_log_likelihood
from models.lens import AttributeSpec
from models.training import TrainConfig, fit, split_indices

TINY = DataSpec((1, 8, 8), 100, "bernoulli")
DIGIT = AttributeSpec.categorical("label", 10)


def _jlvm(data: DataSpec = TINY, **config: object) -> JLVM:
    spec = get_family("jlvm")
    model = spec.build(spec.config({"latent_dim": 2, "hidden": [8], **config}), data)
    assert isinstance(model, JLVM)
    return model


def _x(n: int) -> torch.Tensor:
    return torch.rand(n, *TINY.shape, generator=torch.Generator().manual_seed(1)).round()


# ------------------------------------------------------------------------------------ the compression term


def test_aggregate_kl_of_identical_posteriors_is_zero() -> None:
    mu, logvar = torch.tensor([[0.3, -1.0]]).repeat(5, 1), torch.tensor([[0.2, -0.7]]).repeat(5, 1)
    assert torch.allclose(aggregate_kl(mu, logvar), torch.zeros(5), atol=1e-6)


def test_aggregate_kl_of_two_unit_posteriors_at_plus_minus_a() -> None:
    # q_agg of N(a, 1) and N(-a, 1) is N(0, 1 + a^2), so each KL is 0.5 * (log(1 + a^2) + 1 - 1) per dim
    a = 1.5
    mu, logvar = torch.tensor([[a, a], [-a, -a]]), torch.zeros(2, 2)
    expected = 2 * 0.5 * math.log(1 + a**2)
    assert aggregate_kl(mu, logvar).tolist() == pytest.approx([expected, expected], rel=1e-6)


def test_aggregate_kl_minimises_over_gaussians_so_its_gradient_ignores_the_aggregate() -> None:
    """q_agg is the minimiser of the batch mean KL over diagonal Gaussians: any other Gaussian gives more, and the
    gradient with (m, v) held fixed equals the full one."""
    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 3, generator=gen), torch.randn(7, 3, generator=gen) * 0.5
    best = aggregate_kl(mu, logvar).mean()
    var = logvar.exp()
    m, v = mu.mean(0), (var + mu**2).mean(0) - mu.mean(0) ** 2  # the mixture's moments, written the raw way
    for dm, dv in ((0.1, 0.0), (0.0, 0.2), (-0.2, -0.1)):
        other = 0.5 * ((v + dv).log() - logvar + (var + (mu - m - dm) ** 2) / (v + dv) - 1).sum(-1).mean()
        assert other > best
    mu.requires_grad_(True)
    logvar.requires_grad_(True)
    full = torch.autograd.grad(aggregate_kl(mu, logvar).mean(), (mu, logvar))
    m, v = mu.mean(0).detach(), (logvar.exp().mean(0) + mu.var(0, unbiased=False)).detach()
    fixed = 0.5 * (v.log() - logvar + (logvar.exp() + (mu - m) ** 2) / v - 1).sum(-1).mean()
    for a, b in zip(full, torch.autograd.grad(fixed, (mu, logvar)), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


# ------------------------------------------------------------------------------------------ the objective


def test_objective_is_the_elbo_plus_the_heads_log_likelihood_minus_the_compression() -> None:
    """Seed 001 Eq. 13 on a hand-built case: 4 binary 8x8 items, K = 2, one 3-class attribute labelled on items 0
    and 2, the head's weights set by hand; every term recomputed here from its formula with the same noise."""
    model = _jlvm(attributes=[{"name": "colour", "kind": "categorical", "n_classes": 3}], beta=2.0, compression=0.5)
    w, b = torch.tensor([[1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]]), torch.tensor([0.1, 0.0, -0.2])
    head = model.heads.linear[0]
    assert isinstance(head, torch.nn.Linear)
    with torch.no_grad():
        head.weight.copy_(w)
        head.bias.copy_(b)
    x = _x(4)
    labels, mask = {"colour": torch.tensor([2, 0, 1, 0])}, {"colour": torch.tensor([True, False, True, False])}
    torch.manual_seed(3)
    out = model.objective(x, labels, mask)
    torch.manual_seed(3)
    eps = torch.randn(4, 2)  # rsample's draw from the global generator
    with torch.no_grad():
        mu, lv = model.encoder(x)
        z = mu + torch.exp(0.5 * lv) * eps
        logits = model.decoder(z)
        recon = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).flatten(1).sum(1)
        kl = 0.5 * (mu**2 + lv.exp() - 1 - lv).sum(1)
        m, v = mu.mean(0), (lv.exp() + mu**2).mean(0) - mu.mean(0) ** 2
        compression = 0.5 * (v.log() - lv + (lv.exp() + (mu - m) ** 2) / v - 1).sum(1)
        log_p = torch.log_softmax(z @ w.T + b, dim=-1)
        side = (log_p[0, 2] + log_p[2, 1]) / 2  # the mean over the two labelled items
    elbo = -(recon + 2.0 * kl).mean()
    expected = -(elbo - 0.5 * compression.mean() + side)
    assert out.total.item() == pytest.approx(expected.item(), rel=1e-5)
    assert out.terms["side_ll"].item() == pytest.approx(side.item(), rel=1e-5)
    assert out.terms["compression"].item() == pytest.approx(compression.mean().item(), rel=1e-5)
    assert out.terms["labelled"].item() == 2


def test_without_labels_and_compression_it_is_the_vae_loss_to_the_bit() -> None:
    digits = get_dataset("digits")
    data = DataSpec.from_info(digits.info, len(digits))
    model = _jlvm(data, n_labels=0, compression=0.0, beta=3.0)
    vae_spec = get_family("vae")
    vae = vae_spec.build(vae_spec.config({"latent_dim": 2, "hidden": [8], "beta": 3.0}), data)
    missing, unexpected = vae.load_state_dict(model.state_dict(), strict=False)
    assert missing == [] and all(k.startswith("heads.") for k in unexpected)
    items = np.arange(10, 42)
    x = torch.from_numpy(digits.items(items))
    losses = []
    for run in (lambda: model.loss_on_items(x, items, digits), lambda: model.loss(x), lambda: vae.loss(x)):
        torch.manual_seed(11)
        losses.append(run().total)
    assert torch.equal(losses[0], losses[2]) and torch.equal(losses[1], losses[2])


def test_the_head_learns_from_labelled_items_only() -> None:
    model = _jlvm(n_labels=0)
    x = _x(6)
    known = torch.tensor([True, False, True, False, False, False])

    def head_grads(x: torch.Tensor, classes: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        model.zero_grad(set_to_none=True)
        torch.manual_seed(5)
        model.objective(x, {"label": classes}, {"label": mask}).total.backward()
        return [p.grad.clone() for p in model.heads.linear.parameters()]  # type: ignore[union-attr]

    classes = torch.tensor([3, 1, 7, 2, 0, 9])
    base = head_grads(x, classes, known)
    assert all(g.abs().sum() > 0 for g in base)
    # other data and other (masked) classes on the unlabelled items: the head's gradient does not move
    x_other, classes_other = x.clone(), classes.clone()
    x_other[~known] = 1 - x_other[~known]
    classes_other[~known] = 5
    for a, b in zip(base, head_grads(x_other, classes_other, known), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    # no item labelled: exact zeros for the head, while the encoder still learns
    assert all(torch.equal(g, torch.zeros_like(g)) for g in head_grads(x, classes, torch.zeros(6, dtype=torch.bool)))
    assert model.encoder.parameters().__next__().grad.abs().sum() > 0  # type: ignore[union-attr]


def test_side_log_likelihood_averages_each_attribute_over_its_labelled_items() -> None:
    log_p = {"a": torch.tensor([-1.0, -2.0, -4.0]), "b": torch.tensor([-0.5, -8.0, -1.5])}
    mask = {"a": torch.tensor([True, True, False]), "b": torch.tensor([False, False, False])}
    assert side_log_likelihood(log_p, mask).item() == pytest.approx(-1.5)  # b has no labels: 0
    mask["b"] = torch.tensor([True, False, True])
    assert side_log_likelihood(log_p, mask).item() == pytest.approx(-1.5 - 1.0)


def test_predictions_are_in_raw_units() -> None:
    model = _jlvm(attributes=[{"name": "label", "kind": "categorical", "n_classes": 10},
                              {"name": "thickness", "kind": "continuous", "mean": 1.9, "std": 0.3}])
    head = model.heads.linear[1]
    z = torch.randn(5, 2)
    with torch.no_grad():
        pred = model.predict_attributes(z)
        standardised = head(z).squeeze(-1)
    mean, variance = pred["thickness"]
    assert torch.allclose(mean, standardised * 0.3 + 1.9)
    assert torch.allclose(variance, model.heads.log_var[1].exp().expand(5) * 0.09)
    assert pred["label"].shape == (5, 10) and torch.allclose(pred["label"].sum(-1), torch.ones(5))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"z: expected a tensor of shape \(\.\.\., 2\)"):
        model.predict_attributes(torch.zeros(5, 3))


# ------------------------------------------------------------------------------------------------ labels


def test_the_labels_are_the_oracles_for_the_same_n_and_seed() -> None:
    digits = get_dataset("digits")
    model = _jlvm(n_labels=120, label_seed=4)
    table = model.label_table(digits)
    revealed = reveal(digits, ["label"], 120, 4)
    assert np.array_equal(table.labelled, revealed.indices("label"))
    items = np.array([revealed.indices("label")[0], 5, revealed.indices("label")[7]])
    labels, mask = table.batch(items)
    assert mask["label"].tolist() == [i in set(revealed.indices("label")) for i in items]
    truth = digits.attribute_values("label", items)
    assert labels["label"][mask["label"]].tolist() == truth[mask["label"].numpy()].tolist()


@pytest.mark.parametrize(("config", "words"), [
    ({"attributes": [{"name": "digit", "kind": "categorical", "n_classes": 10}]}, "has no attribute 'digit'"),
    ({"attributes": [{"name": "label", "kind": "categorical", "n_classes": 9}]}, "expected n_classes = 10, got 9"),
    ({"attributes": [{"name": "label", "kind": "continuous"}]}, "expected kind 'categorical'"),
    ({"n_labels": 5000}, "n_labels: expected at most 1,797"),
])
def test_a_config_that_does_not_fit_the_dataset_is_named(config: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        _jlvm(**config).check_dataset(get_dataset("digits"))


@pytest.mark.parametrize(("config", "words"), [
    ({"attributes": []}, "attributes: expected at least one attribute"),
    ({"attributes": [{"name": "a", "kind": "categorical", "n_classes": 2}] * 2}, "expected distinct attribute names"),
    ({"variant": "filvm", "latent_dim": 1, "attributes": [{"name": "a", "kind": "categorical", "n_classes": 2},
                                                          {"name": "b", "kind": "categorical", "n_classes": 2}]},
     "latent_dim: filvm gives each attribute its own latent dim"),
    ({"n_labels": -1}, "n_labels must be in 0.."),
    ({"compression": 2e4}, "compression must be >= 0 and <= 10000"),
    ({"side_weight": -1.0}, "side_weight must be >= 0"),
])
def test_bad_config_values_are_named(config: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        get_family("jlvm").config(config)


# ------------------------------------------------------------------------------------------ real training


def _trained_head_accuracy(side_weight: float) -> tuple[float, float]:
    """(accuracy on the labelled items, on the others) of the digit head read from the encoder means, after 300
    steps on digits with 300 oracle labels."""
    digits = get_dataset("digits")
    cfg = TrainConfig(steps=300, batch_size=64, lr=3e-3, eval_every=300, checkpoint_every=0, threads=1)
    train, val = split_indices(len(digits), cfg.val_fraction, cfg.seed)
    model = _jlvm(DataSpec.from_info(digits.info, len(train)), latent_dim=8, hidden=[64], n_labels=300,
                  side_weight=side_weight)
    fit(model, digits, train, val, cfg)
    with torch.no_grad():
        z = model.eval().encode(torch.from_numpy(digits.items(np.arange(len(digits))))).mean
        guess = model.predict_attributes(z)["label"].argmax(-1).numpy()  # type: ignore[union-attr]
    right = guess == digits.attribute_values("label")
    labelled = np.zeros(len(digits), dtype=bool)
    labelled[model.label_table(digits).labelled] = True
    return float(right[labelled].mean()), float(right[~labelled].mean())


def test_a_short_training_on_digits_reads_the_digit_well_above_chance() -> None:
    """The head term trains the head through fit's batches (chance: 0.1); without it (side_weight 0) the head keeps
    its random start."""
    labelled, others = _trained_head_accuracy(1.0)
    assert labelled > 0.4 and others > 0.3
    untrained_labelled, _ = _trained_head_accuracy(0.0)
    assert untrained_labelled < 0.25
