"""Known answers for the side-information heads: FILVM's attribute j depends on z*_j alone (its gradient with
respect to every other coordinate is exactly 0), ILVM's on every coordinate; shapes of log_prob/predict."""

from __future__ import annotations

import pytest
import torch

from models.lens import AttributeSpec, Lens, LensConfig, LinearHeads

SPECS = (AttributeSpec.categorical("digit", 4), AttributeSpec.continuous("width", 3.0, 2.0),
         AttributeSpec.categorical("shape", 3))
K = 5


def jacobians(variant: str) -> dict[str, torch.Tensor]:
    """{attribute: d prediction / d z*} for one random z*: (C, k) for class probabilities, (k,) for a mean."""
    torch.manual_seed(0)
    lens = Lens(LensConfig(input_dim=3, attributes=SPECS, variant=variant, k=K)).double()
    z_star = torch.randn(K, dtype=torch.float64)
    out = {}
    for spec in SPECS:
        def predict(x: torch.Tensor, name: str = spec.name) -> torch.Tensor:
            p = lens.predict_attributes(x)[name]
            return p if isinstance(p, torch.Tensor) else p[0]

        out[spec.name] = torch.autograd.functional.jacobian(predict, z_star)
    return out


def test_filvm_attribute_j_has_zero_gradient_in_every_other_coordinate() -> None:
    for j, (name, jac) in enumerate(jacobians("filvm").items()):
        others = [i for i in range(K) if i != j]
        assert torch.all(jac[..., others] == 0.0), name  # exactly 0
        assert torch.all(jac[..., j].abs() > 0), name


def test_ilvm_attribute_depends_on_every_coordinate() -> None:
    for name, jac in jacobians("ilvm").items():
        assert torch.all(jac.reshape(-1, K).abs().amax(0) > 0), name


def test_filvm_owned_coordinates() -> None:
    lens = Lens(LensConfig(input_dim=3, attributes=SPECS, variant="filvm", k=K))
    assert lens.owned_coordinates() == {"digit": 0, "width": 1, "shape": 2}
    assert Lens(LensConfig(input_dim=3, attributes=SPECS, k=K)).owned_coordinates() == {}


@pytest.mark.parametrize("variant", ["ilvm", "filvm"])
def test_log_prob_and_predict_shapes(variant: str) -> None:
    heads = LinearHeads(SPECS, K, variant)  # type: ignore[arg-type]
    z_star = torch.randn(6, K)
    values = {"digit": torch.tensor([0, 1, 2, 3, 0, 1]), "width": torch.randn(6)}
    log_p = heads.log_prob(z_star, values)
    assert set(log_p) == {"digit", "width"} and all(v.shape == (6,) for v in log_p.values())
    assert torch.all(log_p["digit"] <= 0)
    pred = heads.predict(torch.randn(2, 6, K))  # (M, N, k)
    assert pred["digit"].shape == (2, 6, 4) and pred["shape"].shape == (2, 6, 3)
    assert torch.allclose(pred["digit"].sum(-1), torch.ones(2, 6))
    mean, var = pred["width"]
    assert mean.shape == var.shape == (2, 6) and torch.all(var > 0)


def test_categorical_log_prob_is_log_softmax() -> None:
    heads = LinearHeads(SPECS, K, "ilvm")
    z_star = torch.randn(4, K)
    logits = heads.linear[0](z_star)
    values = torch.tensor([3, 0, 1, 2])
    expected = torch.log_softmax(logits, -1)[torch.arange(4), values]
    assert torch.allclose(heads.log_prob(z_star, {"digit": values})["digit"], expected)


def test_filvm_needs_a_coordinate_per_attribute() -> None:
    with pytest.raises(ValueError, match="expected k >= 3"):
        LinearHeads(SPECS, 2, "filvm")
    with pytest.raises(ValueError, match="expected k >= 3"):
        LensConfig(input_dim=3, attributes=SPECS, variant="filvm", k=2)
