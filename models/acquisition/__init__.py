"""Acquisition functions for side-information labelling (SCIENCE.md section 7; seed 001, Sec. 3).

Pure functions over arrays (numpy, or torch tensors): categorical attributes from predictive
probabilities probs (M samples of z*, N candidates, C classes), continuous ones from predictive
Gaussian moments (M, N) with a stated moment-matching approximation. Every score is (N,) in nats.
"""

from .batch import choose_batch, top_n
from .categorical import bald, categorical_entropy, max_entropy
from .continuous import gaussian_bald, gaussian_max_entropy
from .random_scores import random_scores

__all__ = [
    "bald",
    "categorical_entropy",
    "choose_batch",
    "gaussian_bald",
    "gaussian_max_entropy",
    "max_entropy",
    "random_scores",
    "top_n",
]
