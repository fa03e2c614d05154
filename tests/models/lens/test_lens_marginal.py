"""Known answers for the exact marginalisation of unlabelled categorical attributes (M2) and for the draw of
unlabelled continuous ones: each against a brute-force sum computed here from fully labelled objectives."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from models.lens import AttributeSpec, Lens, LensConfig
from models.lens.marginal import configuration_table

B, D = 7, 5
SPECS = (AttributeSpec.categorical("digit", 3), AttributeSpec.continuous("width", 2.0, 0.5),
         AttributeSpec.categorical("shape", 4))


def make_lens(variant: str = "ilvm") -> Lens:
    torch.manual_seed(0)
    cfg = LensConfig(input_dim=D, attributes=SPECS, variant=variant, k=4, flow_length=3, recognition_hidden=(16,),
                     generative_hidden=(16,), side_hidden=(16,), beta=0.7)
    return Lens(cfg).double()


def objective(lens: Lens, z: torch.Tensor, labels: dict, mask: dict, seed: int = 5) -> torch.Tensor:
    return lens.item_objective(z, labels, mask, torch.Generator().manual_seed(seed))


def test_configuration_table_enumerates_joint_classes() -> None:
    table = configuration_table(SPECS)
    assert table.shape == (12, 2)
    assert {tuple(r) for r in table.tolist()} == set(itertools.product(range(3), range(4)))
    assert configuration_table((AttributeSpec.continuous("w", 0.0, 1.0),)).shape == (1, 0)


@pytest.mark.parametrize("variant", ["ilvm", "filvm"])
def test_marginalisation_equals_brute_force_sum(variant: str) -> None:
    lens = make_lens(variant)
    g = torch.Generator().manual_seed(1)
    z = torch.randn(B, D, generator=g, dtype=torch.float64)
    width = 2.0 + 0.5 * torch.randn(B, generator=g, dtype=torch.float64)
    digit, shape = torch.randint(0, 3, (B,), generator=g), torch.randint(0, 4, (B,), generator=g)
    digit_known = torch.tensor([True, False, False, True, False, True, False])
    shape_known = torch.tensor([True, True, False, False, False, True, True])
    everywhere = torch.ones(B, dtype=torch.bool)
    got = objective(lens, z, {"digit": digit, "width": width, "shape": shape},
                    {"digit": digit_known, "width": everywhere, "shape": shape_known})

    with torch.no_grad():
        side = lens.side(z)
        log_q_digit = torch.log_softmax(side["digit"].logits, -1)  # (B, 3)
        log_q_shape = torch.log_softmax(side["shape"].logits, -1)  # (B, 4)
    expected = torch.zeros(B, dtype=torch.float64)
    for c_digit, c_shape in itertools.product(range(3), range(4)):
        elbo = objective(lens, z, {"digit": torch.full((B,), c_digit), "width": width,
                                   "shape": torch.full((B,), c_shape)},
                         {"digit": everywhere, "width": everywhere, "shape": everywhere})  # ELBO(z, c) per item
        for i in range(B):
            if (digit_known[i] and digit[i] != c_digit) or (shape_known[i] and shape[i] != c_shape):
                continue
            log_w = (0.0 if digit_known[i] else log_q_digit[i, c_digit]) + \
                (0.0 if shape_known[i] else log_q_shape[i, c_shape])
            expected[i] += math.exp(log_w) * (elbo[i] - log_w)
    assert torch.allclose(got, expected, atol=1e-9, rtol=1e-9)


def test_unlabelled_continuous_is_one_draw_from_q_minus_its_log_density() -> None:
    lens = make_lens()
    g = torch.Generator().manual_seed(2)
    z = torch.randn(B, D, generator=g, dtype=torch.float64)
    digit, shape = torch.randint(0, 3, (B,), generator=g), torch.randint(0, 4, (B,), generator=g)
    everywhere, nowhere = torch.ones(B, dtype=torch.bool), torch.zeros(B, dtype=torch.bool)
    categorical = {"digit": digit, "shape": shape}
    got = objective(lens, z, {**categorical, "width": torch.full((B,), float("nan"), dtype=torch.float64)},
                    {"digit": everywhere, "shape": everywhere, "width": nowhere}, seed=9)

    noise = torch.randn(B, 1, generator=torch.Generator().manual_seed(9), dtype=torch.float64)[:, 0]  # drawn first
    with torch.no_grad():
        q = lens.side(z)["width"]
        drawn = q.mean + (0.5 * q.log_var).exp() * noise  # standardised
        log_q = -0.5 * (math.log(2 * math.pi) + q.log_var + (drawn - q.mean) ** 2 / q.log_var.exp())
    raw = SPECS[1].from_model(drawn)
    labelled = objective(lens, z, {**categorical, "width": raw}, {"digit": everywhere, "shape": everywhere,
                                                                   "width": everywhere}, seed=9)
    assert torch.allclose(got, labelled - log_q, atol=1e-9, rtol=1e-9)


def test_fully_labelled_objective_has_no_entropy_and_loss_is_its_mean() -> None:
    lens = make_lens()
    z = torch.randn(B, D, dtype=torch.float64)
    labels = {"digit": torch.randint(0, 3, (B,)), "width": torch.rand(B, dtype=torch.float64),
              "shape": torch.randint(0, 4, (B,))}
    mask = {name: torch.ones(B, dtype=torch.bool) for name in labels}
    loss, terms = lens.loss(z, labels, mask, torch.Generator().manual_seed(5))
    assert terms["side_entropy"] == 0.0
    side = lens.side(z)
    side_ll = sum(side[n].log_prob(lens.config.attributes[j].to_model(v) if n == "width" else v)
                  for j, (n, v) in enumerate(labels.items()))
    expected = -(objective(lens, z, labels, mask) + lens.config.alpha * side_ll).mean()
    assert torch.allclose(loss, expected, atol=1e-10)


def test_too_many_joint_classes_is_refused() -> None:
    specs = (AttributeSpec.categorical("a", 10), AttributeSpec.categorical("b", 11))
    with pytest.raises(ValueError, match=r"10 x 11 = 110 recognition passes.*max_configurations = 100"):
        LensConfig(input_dim=3, attributes=specs)
    assert LensConfig(input_dim=3, attributes=specs, max_configurations=110).configurations == 110
