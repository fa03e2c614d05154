"""The interpretable lens (ILVM / FILVM, SCIENCE.md section 6; seeds 001 and 004) over a base representation z.

Generative: p(z*) = N(0, I), p(z | z*) (``generative``), p(s | z*) linear (``heads``). Recognition: q(z* | z, s)
a planar flow (``recognition``), q(s | z) for side information an item lacks (``side``).

Per item, with s_L its labelled attributes, c its unlabelled categorical ones, r its unlabelled continuous ones:
    objective = sum_c q(c|z) [ ELBO(z, s_L, c, r~q(r|z)) - log q(c|z) ]                    (exact sum over c)
    ELBO      = log p(z|z*) + sum_j log p(s_j|z*) - beta (log q(z*|z,s) - log p(z*)) - log q(r|z),
with z* ~ q(z*|z, s) one reparameterised draw. beta weighs exactly seed 004 Eq. 8's KL part, the three terms
log p(z*), -log q0(z0) and +sum_t log|det J_t|; -log q(r|z) (the entropy of the drawn continuous values, which
makes this a bound on log p(z, s_L)) is not weighted. A fully labelled item's objective is its ELBO.
loss = -mean_items( objective + alpha * sum_{j labelled} log q(s_j|z) ).
Every item draws one z0 noise (and one noise per continuous attribute) that all its joint classes share.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from .attributes import AttributeSpec, LabelBatch, check_labels, encode_side
from .config import LensConfig
from .flow import planar_flow
from .generative import Generative, log_prior
from .heads import LinearHeads
from .marginal import configuration_table, expand, per_item
from .outputs import AttributeOut, CategoricalOut, GaussianOut
from .recognition import Recognition
from .side import SideRecognition

Labels = Mapping[str, Tensor]
Prediction = Tensor | tuple[Tensor, Tensor]


class Lens(nn.Module):
    """ILVM or FILVM over a D-dim representation, built from a LensConfig."""

    configurations: Tensor

    def __init__(self, config: LensConfig) -> None:
        super().__init__()
        self.config = config
        specs = config.attributes
        self.recognition = Recognition(config.input_dim, config.side_dim, config.k, config.flow_length,
                                       config.recognition_hidden)
        self.generative = Generative(config.k, config.input_dim, config.generative_hidden, config.learn_z_variance)
        self.heads = LinearHeads(specs, config.k, config.variant, config.head_std_init)
        self.side = SideRecognition(specs, config.input_dim, config.side_hidden)
        self.register_buffer("configurations", configuration_table(specs), persistent=False)  # (P, Jc)

    def owned_coordinates(self) -> dict[str, int]:
        """FILVM: {attribute: the coordinate of z* it owns} (attribute j owns coordinate j); ILVM: {}."""
        return {s.name: j for j, s in enumerate(self.config.attributes)} if self.config.variant == "filvm" else {}

    def loss(self, z: Tensor, labels: Labels | None, mask: Labels | None,
             generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, Tensor]]:
        """z (B, D), labels/mask {attribute: (B,)} (see ``attributes.check_labels``) -> (scalar loss, terms: each
        a detached scalar, the batch mean per item)."""
        self._check_z(z)
        batch = check_labels(self.config.attributes, labels, mask, z)
        q_s = self.side(z)
        objective, parts = self._objective(z, batch, q_s, generator)
        side_ll = torch.stack([torch.where(batch.mask[name], q.log_prob(batch.values[name]), 0.0)
                               for name, q in q_s.items()]).sum(0)  # (B,)
        loss = -(objective + self.config.alpha * side_ll).mean()
        terms = {"loss": loss, "objective": objective.mean(), "side_loglik": side_ll.mean()}
        terms |= {name: v.mean() for name, v in parts.items()}
        return loss, {name: v.detach() for name, v in terms.items()}

    def item_objective(self, z: Tensor, labels: Labels | None, mask: Labels | None,
                       generator: torch.Generator | None = None) -> Tensor:
        """The per-item objective (B,) of the module docstring (without q(s|z)'s alpha term)."""
        self._check_z(z)
        return self._objective(z, check_labels(self.config.attributes, labels, mask, z), self.side(z), generator)[0]

    def encode(self, z: Tensor, labels: Labels | None = None, mask: Labels | None = None,
               generator: torch.Generator | None = None) -> Tensor:
        """z (B, D) -> z* (B, k). Without a generator, the mean path: unlabelled attributes take q(s|z)'s
        prediction (most probable class, mean value) and z0 = mu0. With one, a draw: s from q(s|z), z0 from q0."""
        self._check_z(z)
        batch = check_labels(self.config.attributes, labels, mask, z)
        s = encode_side(self.config.attributes, self._fill(batch, self.side(z), generator), z.dtype)
        return self.recognition.mean(z, s) if generator is None else self.recognition.sample(z, s, generator)[0]

    def encode_with_spread(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z (B, D) -> (the mean path z* (B, k) as ``encode`` without labels, the flow's base log sigma0^2 (B, k))."""
        self._check_z(z)
        batch = check_labels(self.config.attributes, None, None, z)
        p = self.recognition.params(z, encode_side(self.config.attributes, self._fill(batch, self.side(z), None),
                                                   z.dtype))
        return planar_flow(p.mu0, p.u, p.w, p.b)[0], 2 * p.log_sigma0

    def sample_z_star(self, z: Tensor, samples: int, labels: Labels | None = None, mask: Labels | None = None,
                      generator: torch.Generator | None = None) -> Tensor:
        """``samples`` = M draws of z* per item: (M, B, k) (s of unlabelled items drawn from q(s|z) per draw)."""
        if samples < 1:
            raise ValueError(f"samples: expected >= 1, got {samples}")
        self._check_z(z)
        batch = check_labels(self.config.attributes, labels, mask, z)
        repeated = LabelBatch({n: v.repeat(samples) for n, v in batch.values.items()},
                              {n: m.repeat(samples) for n, m in batch.mask.items()})
        zz = z.repeat(samples, 1)  # (M B, D)
        s = encode_side(self.config.attributes, self._fill(repeated, self.side(zz), generator, draw=True), z.dtype)
        return self.recognition.sample(zz, s, generator)[0].reshape(samples, z.shape[0], -1)

    def predict_attributes(self, z_star: Tensor) -> dict[str, Prediction]:
        """z* (..., k) -> p(s | z*) per attribute: class probabilities (..., C), or (mean (...), variance (...)) in
        raw units. With z* (M, N, k) from ``sample_z_star`` this is the acquisition functions' input."""
        self._check_z_star(z_star)
        pred = self.heads.predict(z_star)
        return {s.name: pred[s.name] if s.is_categorical else _raw_moments(s, *pred[s.name])
                for s in self.config.attributes}

    def decode_representation(self, z_star: Tensor) -> Tensor:
        """E p(z | z*): (..., k) -> (..., D), what a manipulated z* decodes through."""
        self._check_z_star(z_star)
        return self.generative.mean(z_star)

    def _objective(self, z: Tensor, batch: LabelBatch, q_s: dict[str, AttributeOut],
                   generator: torch.Generator | None) -> tuple[Tensor, dict[str, Tensor]]:
        """(objective (B,), its weighted parts (B,): log_p_z, log_p_s, kl, side_entropy)."""
        specs, n = self.config.attributes, z.shape[0]
        continuous = {name: q for name, q in q_s.items() if isinstance(q, GaussianOut)}
        s_noise = torch.randn(n, len(continuous), generator=generator, device=z.device, dtype=z.dtype)
        z_noise = torch.randn(n, self.config.k, generator=generator, device=z.device, dtype=z.dtype)
        log_q_classes = {name: q.log_probs() for name, q in q_s.items() if isinstance(q, CategoricalOut)}
        pairs = expand(self.configurations, specs, batch, log_q_classes, z.dtype)
        item = pairs.item
        drawn, entropy = _draw_continuous(continuous, batch, s_noise)  # {name: (B,)}, (B,)
        values = pairs.classes | {name: v[item] for name, v in drawn.items()}
        z_star, log_q = self.recognition.sample(z[item], encode_side(specs, values, z.dtype), noise=z_noise[item])
        parts = {"log_p_z": self.generative.log_prob(z[item], z_star),
                 "log_p_s": sum(self.heads.log_prob(z_star, values).values()),
                 "kl": log_q - log_prior(z_star)}
        elbo = parts["log_p_z"] + parts["log_p_s"] - self.config.beta * parts["kl"] + entropy[item]
        weight = pairs.log_weight.exp()
        objective = per_item(weight * (elbo - pairs.log_weight), item, n)
        weighted = {name: per_item(weight * v, item, n) for name, v in parts.items()}
        return objective, weighted | {"side_entropy": entropy - per_item(weight * pairs.log_weight, item, n)}

    def _fill(self, batch: LabelBatch, q_s: dict[str, AttributeOut], generator: torch.Generator | None,
              draw: bool | None = None) -> dict[str, Tensor]:
        """Model-unit values (B,) of every attribute: the label where known, else q(s|z)'s prediction (most
        probable class, mean) or, with ``draw`` (default: a generator is given), a draw from q(s|z)."""
        draw = generator is not None if draw is None else draw
        values: dict[str, Tensor] = {}
        for name, q in q_s.items():
            if isinstance(q, CategoricalOut):
                guess = (torch.multinomial(q.probs(), 1, generator=generator).squeeze(-1) if draw
                         else q.logits.argmax(-1))
            else:
                guess = q.rsample(torch.randn(q.mean.shape, generator=generator, device=q.mean.device,
                                              dtype=q.mean.dtype)) if draw else q.mean
            values[name] = torch.where(batch.mask[name], batch.values[name], guess.detach())
        return values

    def _check_z(self, z: Tensor) -> None:
        d = self.config.input_dim
        if not isinstance(z, Tensor) or z.ndim != 2 or z.shape[1] != d or not z.is_floating_point():
            got = f"{tuple(z.shape)} {z.dtype}" if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"z: expected a float tensor of shape (B, {d}), got {got}")
        if z.shape[0] < 1:
            raise ValueError("z: expected at least one item")
        if not torch.isfinite(z).all():
            raise ValueError(f"z: expected finite values, item {int((~torch.isfinite(z)).any(1).nonzero()[0, 0])} "
                             "has a NaN or infinity")

    def _check_z_star(self, z_star: Tensor) -> None:
        k = self.config.k
        if not isinstance(z_star, Tensor) or z_star.ndim < 1 or z_star.shape[-1] != k:
            got = tuple(z_star.shape) if isinstance(z_star, Tensor) else type(z_star).__name__
            raise ValueError(f"z_star: expected a tensor of shape (..., {k}), got {got}")


def _raw_moments(spec: AttributeSpec, mean: Tensor, variance: Tensor) -> tuple[Tensor, Tensor]:
    """A continuous prediction's standardised (mean, variance) (...) -> raw units."""
    return spec.from_model(mean), variance * spec.std**2


def _draw_continuous(q_s: Mapping[str, GaussianOut], batch: LabelBatch,
                     noise: Tensor) -> tuple[dict[str, Tensor], Tensor]:
    """Continuous attributes' values (B,) each: the label where known, else the reparameterised draw from q(s|z)
    with noise[:, j] (B, J_r); and -sum_j log q(s_j|z) over the drawn ones (B,)."""
    values: dict[str, Tensor] = {}
    entropy = noise.new_zeros(noise.shape[0])
    for j, (name, q) in enumerate(q_s.items()):
        drawn, known = q.rsample(noise[:, j]), batch.mask[name]  # (B,), (B,)
        values[name] = torch.where(known, batch.values[name], drawn)
        entropy = entropy - torch.where(known, 0.0, q.log_prob(drawn))
    return values, entropy
