"""JLVM, the jointly learnt variable model (seed 001, Sec. 5 and Appendix 11; SCIENCE.md section 6): the VAE's
encoder q(z|x) and decoder p(x|z), plus the lens's linear side-information head p(s|z) (``models.lens.heads``,
ILVM-style from all of z, or FILVM-style) trained on the labelled items, plus the compression term
beta * KL(q(z|x) || q_agg(z)) (``objective``). z, the encoder mean, is the interpretable code.

loss = mean_i [ -log p(x_i|z_i) + beta_kl * KL(q(z|x_i) || p(z)) + compression * KL(q(z|x_i) || q_agg) ]
       - side_weight * sum_j mean_{i labelled for j} log p(s_ij | z_i)
with z_i ~ q(z|x_i) one reparameterised draw shared by every term. Without labels and with compression = 0 it is
the VAE's loss, to the bit. The labels are the oracle's (``labels.oracle_table``): ``training.fit`` hands each
batch's item indices and dataset to ``loss_on_items``, which reads their labels from the table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor

from ...base import DataSpec, LossOutput
from ...datasets import Dataset
from ...distributions import Posterior, gaussian_params
from ...lens import check_labels
from ...lens.heads import LinearHeads
from ...registry import register_family
from ..vae import VAEBase
from .config import JLVMConfig
from .labels import LabelTable, oracle_table
from .objective import aggregate_kl, side_log_likelihood

Labels = Mapping[str, Tensor]
Prediction = Tensor | tuple[Tensor, Tensor]


@register_family("jlvm", config=JLVMConfig, summary="JLVM (seed 001, Sec. 5): a VAE trained jointly with a linear "
                 "side-information head on oracle-labelled items and a beta-weighted compression term")
class JLVM(VAEBase):
    config: JLVMConfig

    def __init__(self, config: JLVMConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.heads = LinearHeads(config.attributes, config.latent_dim, config.variant)
        # the heads' variance serves continuous attributes only: with none, no term reads it, so it is not trained
        self.heads.log_var.requires_grad_(any(not s.is_categorical for s in config.attributes))
        self._table: tuple[tuple[str, int], LabelTable] | None = None  # the labels of the last dataset seen

    def regulariser(self, z: Tensor, posterior: Posterior) -> tuple[Tensor, dict[str, Tensor]]:
        kl = self.prior.kl(posterior, z)  # (B,)
        compression = aggregate_kl(*gaussian_params(posterior, "the compression term", "use a Gaussian encoder"))
        penalty = self.config.beta * kl + self.config.compression * compression
        return penalty, {"kl": kl.mean().detach(), "compression": compression.mean().detach()}

    def loss(self, x: Tensor) -> LossOutput:
        """The objective on a batch (B, *shape) with no item labelled."""
        return self.objective(x, None, None)

    def loss_on_items(self, x: Tensor, items: np.ndarray, dataset: Dataset) -> LossOutput:
        """The objective on items (B,) of ``dataset``, x (B, *shape) their data, with the oracle's labels."""
        labels, mask = self.label_table(dataset).batch(items)
        return self.objective(x, labels, mask)

    def check_dataset(self, dataset: Dataset) -> None:
        self.label_table(dataset)

    def objective(self, x: Tensor, labels: Labels | None, mask: Labels | None) -> LossOutput:
        """x (B, *shape), raw labels and bool masks {attribute: (B,)} (``models.lens.check_labels``; None: no
        item labelled) -> the loss (module docstring) and its terms (detached batch means; ``side_ll`` the head's
        summed per-attribute mean log-likelihood, ``labelled`` how many items carry a label)."""
        posterior = self.encode(x)
        z = posterior.rsample()  # (B, K)
        recon = -self.log_likelihood(x, z)  # (B,)
        penalty, terms = self.regulariser(z, posterior)  # (B,)
        batch = check_labels(self.config.attributes, labels, mask, z)
        side = side_log_likelihood(self.heads.log_prob(z, batch.values), batch.mask)  # scalar
        total = (recon + penalty).mean() - self.config.side_weight * side
        labelled = torch.stack(list(batch.mask.values())).any(0).sum()  # items with any label
        return LossOutput(total, {"loss": total.detach(), "recon": recon.mean().detach(), **terms,
                                  "side_ll": side.detach(), "labelled": labelled.detach().float()})

    def predict_attributes(self, z: Tensor) -> dict[str, Prediction]:
        """z (..., K) (the encoder mean, or an edited code) -> p(s | z) per attribute: class probabilities
        (..., C), or (mean (...), variance (...)) in raw units; as ``models.Lens.predict_attributes`` for z*."""
        if z.ndim < 1 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z: expected a tensor of shape (..., {self.latent_dim}), got {tuple(z.shape)}")
        pred = self.heads.predict(z)
        specs = {s.name: s for s in self.config.attributes}
        return {name: p if isinstance(p, Tensor) else (specs[name].from_model(p[0]), p[1] * specs[name].std ** 2)
                for name, p in pred.items()}

    def label_table(self, dataset: Dataset) -> LabelTable:
        """The oracle's labels over ``dataset`` (built once per dataset; ConfigError when the config's
        attributes or n_labels do not fit it)."""
        key = (dataset.info.name, len(dataset))
        if self._table is None or self._table[0] != key:
            self._table = key, oracle_table(dataset, self.config.attributes, self.config.n_labels,
                                            self.config.label_seed)
        return self._table[1]
