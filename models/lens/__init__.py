"""The interpretable lens (ILVM / FILVM; SCIENCE.md section 6, seeds 001 and 004) in pure torch: a new latent z*
over an existing model's representation z, with linear side-information heads, a planar-flow recognition
network, exact marginalisation of unlabelled categorical attributes and a secondary q(s|z) for the rest."""

from .attributes import AttributeSpec, LabelBatch, check_labels, encode_side
from .config import LensConfig
from .fit import FitProgress, FitResult, fit_lens
from .flow import MIN_W_NORM, constrained_u, effective_w, planar_flow
from .generative import Generative, log_prior
from .heads import LinearHeads
from .model import Lens
from .recognition import Recognition
from .side import SideRecognition

__all__ = [
    "MIN_W_NORM",
    "AttributeSpec",
    "FitProgress",
    "FitResult",
    "Generative",
    "LabelBatch",
    "Lens",
    "LensConfig",
    "LinearHeads",
    "Recognition",
    "SideRecognition",
    "check_labels",
    "constrained_u",
    "effective_w",
    "encode_side",
    "fit_lens",
    "log_prior",
    "planar_flow",
]
