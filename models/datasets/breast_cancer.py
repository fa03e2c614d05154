"""Wisconsin breast cancer (scikit-learn, bundled): 10 measurements x (mean, se, worst) = 10 groups of 3."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer

from .attributes import Attribute, attribute_fields
from .base import ArrayDataset, Dataset, DatasetInfo, Group
from .registry import register_dataset

N_MEASUREMENTS = 10
N_STATS = 3  # sklearn's column blocks: 10 means, then 10 standard errors, then 10 worst values


@register_dataset("breast_cancer")
def load() -> Dataset:
    bunch = load_breast_cancer()
    data = np.asarray(bunch.data, dtype=np.float64)  # (569, 30), columns stat-major
    names = [str(n) for n in bunch.feature_names]
    # new column 3g + s <- old column 10s + g: each measurement's mean, se, worst become contiguous
    order = [N_MEASUREMENTS * s + g for g in range(N_MEASUREMENTS) for s in range(N_STATS)]
    x = data[:, order]  # (569, 30), measurement-major
    x = (x - x.mean(axis=0)) / x.std(axis=0)  # z-score per feature
    measurements = [n.removeprefix("mean ") for n in names[:N_MEASUREMENTS]]
    target = np.asarray(bunch.target, dtype=np.int64)  # (569,) 0 malignant, 1 benign
    schema = (Attribute.categorical("diagnosis", bunch.target_names, "the tumour's diagnosis"),)
    info = DatasetInfo(
        name="breast_cancer",
        kind="grouped_vector",
        shape=(N_MEASUREMENTS * N_STATS,),
        n_items=len(x),
        likelihood="gaussian",
        description="Wisconsin diagnostic breast cancer (scikit-learn): 569 tumours, 30 z-scored"
        " features = 10 measurements x (mean, standard error, worst), one group of 3 per measurement.",
        factor_names=("diagnosis",),
        factor_sizes=(2,),
        **attribute_fields(schema),
        groups=tuple(Group(m, N_STATS * g, N_STATS * (g + 1)) for g, m in enumerate(measurements)),
        extra={
            "feature_names": [names[i] for i in order],
            "diagnosis_names": [str(t) for t in bunch.target_names],
        },
    )
    return ArrayDataset(info, x, factors=target[:, None], attributes=target[:, None], schema=schema)
