"""Has a model collapsed? A model whose codes carry (next to) no information about its items: q(z|x) is the
same for every x, so its traversals, per-dim MI and latent-to-group heatmap say nothing about the data.

The test is on totals over the K dims: E_x KL(q(z|x) || p(z)) (nats) and I(x; z) (nats, the sum of the per-dim
MIs). Either below ``COLLAPSE_NATS`` flags the model (KL >= MI, so a small KL implies a small MI; a small MI with
a larger KL is an encoder whose posterior moved off the prior without depending on x). 0.1 nats: a code with
I(x; z) < 0.1 nats tells apart fewer than e^0.1 = 1.1 equally likely kinds of item; a model that uses even one
latent carries about a nat or more (the models in docs/results.md that learned carry 4-38 nats in all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COLLAPSE_NATS = 0.1


def collapse_warning(total_kl: float | None = None, total_mi: float | None = None, source: str = "") -> str | None:
    """A warning naming the totals when either given total is under ``COLLAPSE_NATS`` nats; None otherwise
    (or when neither is known). ``source`` says where the numbers come from, e.g. "training's last batch"."""
    known = {name: value for name, value in (("KL", total_kl), ("MI", total_mi)) if value is not None}
    if not known or min(known.values()) >= COLLAPSE_NATS:
        return None
    totals = " and ".join(f"total {name} {value:.3f} nats" for name, value in known.items())
    where = f" ({source})" if source else ""
    return (f"The model has collapsed: {totals}{where}, under {COLLAPSE_NATS:g}. Its encoder ignores the data, so "
            "traversals, per-dim information and group heatmaps read off it describe no factor of the data.")


def factor_table_warnings(table: Mapping[str, Any]) -> list[str]:
    """The collapse warning (a list of 0 or 1) of a factor table (``models.evaluation.factor_table``: per-dim
    ``kl`` and the total MI ``total_mi_gaussian``)."""
    total_kl = sum(float(d["kl"]) for d in table["dims"])
    warning = collapse_warning(total_kl, float(table["total_mi_gaussian"]), f"{table['n_items']} items")
    return [warning] if warning else []
