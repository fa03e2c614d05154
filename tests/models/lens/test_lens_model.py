"""The Lens's shapes, its errors for bad input, determinism, and its config/weights round trip without pickle."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from models.config import ConfigError, config_from_dict, config_to_dict
from models.lens import AttributeSpec, Lens, LensConfig

B, D, K = 6, 5, 4
SPECS = (AttributeSpec.categorical("digit", 3), AttributeSpec.continuous("width", 2.0, 0.5))


@pytest.fixture
def lens() -> Lens:
    return Lens(LensConfig(input_dim=D, attributes=SPECS, k=K, flow_length=2, recognition_hidden=(8,),
                           generative_hidden=(8,), side_hidden=(8,)))


def some_labels() -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    labels = {"digit": torch.tensor([0, 1, 2, 0, 1, 2]), "width": torch.tensor([2.0, 1.5, float("nan"), 2.5, 2, 2])}
    mask = {"digit": torch.tensor([True, True, False, False, True, False]),
            "width": torch.tensor([True, False, False, True, True, False])}  # the NaN is unlabelled: ignored
    return labels, mask


def test_shapes(lens: Lens) -> None:
    z = torch.randn(B, D)
    labels, mask = some_labels()
    loss, terms = lens.loss(z, labels, mask)
    assert loss.shape == () and torch.isfinite(loss)
    assert set(terms) == {"loss", "objective", "side_loglik", "log_p_z", "log_p_s", "kl", "side_entropy"}
    assert lens.item_objective(z, labels, mask).shape == (B,)
    assert lens.encode(z).shape == (B, K)
    assert lens.encode(z, labels, mask, torch.Generator().manual_seed(0)).shape == (B, K)
    draws = lens.sample_z_star(z, 7, labels, mask, torch.Generator().manual_seed(0))
    assert draws.shape == (7, B, K)
    pred = lens.predict_attributes(draws)
    assert pred["digit"].shape == (7, B, 3)
    assert pred["width"][0].shape == pred["width"][1].shape == (7, B)
    assert lens.decode_representation(draws).shape == (7, B, D)


def test_only_continuous_attributes(lens: Lens) -> None:
    only = Lens(LensConfig(input_dim=D, attributes=SPECS[1:], k=K))
    loss, _ = only.loss(torch.randn(B, D), None, None)
    assert torch.isfinite(loss)


def test_predictions_leave_in_raw_units(lens: Lens) -> None:
    z_star = torch.randn(3, K)
    mean, var = lens.predict_attributes(z_star)["width"]
    std_mean, std_var = lens.heads.predict(z_star)["width"]
    assert torch.allclose(mean, 2.0 + 0.5 * std_mean) and torch.allclose(var, 0.25 * std_var)


def test_mean_path_uses_labels_and_q_predictions(lens: Lens) -> None:
    z = torch.randn(B, D)
    labels, mask = some_labels()
    assert torch.equal(lens.encode(z, labels, mask), lens.encode(z, labels, mask))  # deterministic
    q = lens.side(z)
    filled = {"digit": torch.where(mask["digit"], labels["digit"], q["digit"].logits.argmax(-1)),
              "width": torch.where(mask["width"], labels["width"], SPECS[1].from_model(q["width"].mean))}
    every = {name: torch.ones(B, dtype=torch.bool) for name in filled}
    assert torch.allclose(lens.encode(z, labels, mask), lens.encode(z, filled, every), atol=1e-6)


def test_same_generator_seed_same_loss(lens: Lens) -> None:
    z = torch.randn(B, D)
    labels, mask = some_labels()
    a = lens.loss(z, labels, mask, torch.Generator().manual_seed(3))[0]
    b = lens.loss(z, labels, mask, torch.Generator().manual_seed(3))[0]
    c = lens.loss(z, labels, mask, torch.Generator().manual_seed(4))[0]
    assert a == b and a != c


@pytest.mark.parametrize(("z", "message"), [
    (torch.randn(B, D + 1), r"z: expected a float tensor of shape \(B, 5\), got \(6, 6\)"),
    (torch.randn(B), r"z: expected a float tensor of shape \(B, 5\), got \(6,\)"),
    (torch.zeros(B, D, dtype=torch.int64), r"z: expected a float tensor .* torch.int64"),
    (torch.zeros(B, D).index_fill(0, torch.tensor([4]), float("nan")), "z: expected finite values, item 4 has a NaN"),
])
def test_bad_z(lens: Lens, z: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lens.loss(z, None, None)


def bad_label_cases() -> list[tuple[dict, dict, str]]:
    labels, mask = some_labels()
    return [
        ({**labels, "colour": labels["digit"]}, {**mask, "colour": mask["digit"]},
         r"unknown attribute\(s\) \['colour'\]; expected some of \['digit', 'width'\]"),
        (labels, {"digit": mask["digit"]}, "expected a mask for each labelled attribute"),
        ({**labels, "digit": labels["digit"][:4]}, mask, r"labels\['digit'\]: expected a tensor of shape \(6,\)"),
        (labels, {**mask, "width": mask["width"].int()}, r"mask\['width'\]: expected a bool tensor"),
        ({**labels, "digit": torch.tensor([0, 3, 0, 0, 0, 0])}, mask,
         r"labels\['digit'\]\[1\]: expected a class index 0..2, got 3"),
        ({**labels, "digit": labels["digit"].float()}, mask, r"labels\['digit'\]: expected integer class indices"),
        ({**labels, "width": torch.tensor([2.0, 1, 1, float("inf"), 1, 1])}, mask,
         r"labels\['width'\]\[3\]: expected a finite value"),
    ]


@pytest.mark.parametrize(("labels", "mask", "message"), bad_label_cases())
def test_bad_labels(lens: Lens, labels: dict, mask: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lens.loss(torch.randn(B, D), labels, mask)


def test_labels_without_mask_and_bad_z_star(lens: Lens) -> None:
    labels, _ = some_labels()
    with pytest.raises(ValueError, match="expected labels and mask together"):
        lens.encode(torch.randn(B, D), labels, None)
    with pytest.raises(ValueError, match=r"z_star: expected a tensor of shape \(\.\.\., 4\), got \(2, 3\)"):
        lens.predict_attributes(torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"z_star: expected a tensor of shape \(\.\.\., 4\)"):
        lens.decode_representation(torch.randn(5))
    with pytest.raises(ValueError, match="samples: expected >= 1"):
        lens.sample_z_star(torch.randn(B, D), 0)


def test_bad_attribute_specs() -> None:
    with pytest.raises(ValueError, match="expected n_classes >= 2"):
        AttributeSpec.categorical("digit", 1)
    with pytest.raises(ValueError, match="expected std > 0"):
        AttributeSpec.continuous("width", 0.0, 0.0)
    with pytest.raises(ValueError, match="attribute names must be distinct"):
        LensConfig(input_dim=3, attributes=(SPECS[0], SPECS[0]))


def test_config_and_weights_round_trip_without_pickle(lens: Lens, tmp_path) -> None:
    data = config_to_dict(lens.config)
    assert data["attributes"][1] == {"name": "width", "kind": "continuous", "n_classes": 0, "mean": 2.0, "std": 0.5}
    config = config_from_dict(LensConfig, data)
    assert config == lens.config
    with pytest.raises(ConfigError, match=r"LensConfig.attributes\[\].kind"):
        config_from_dict(LensConfig, {**data, "attributes": [{**data["attributes"][0], "kind": "ordinal"}]})
    save_file(lens.state_dict(), tmp_path / "weights.safetensors")
    again = Lens(config)
    again.load_state_dict(load_file(tmp_path / "weights.safetensors"))
    z = torch.randn(B, D)
    assert torch.equal(again.encode(z), lens.encode(z))
