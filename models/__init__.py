"""factorscope's model library: families, datasets, training, estimators and metrics.

Usable from a notebook: ``from models import get_family, get_dataset, fit``. Imports only torch,
numpy, scipy, scikit-learn, safetensors, Pillow (dataset rendering) and the standard library.
"""

from .base import DataSpec, LatentModel, LossOutput
from .checkpoint import CheckpointError, load_model, save_model
from .datasets import Dataset, DatasetInfo, dataset_names, get_dataset
from .registry import FamilySpec, families, get_family, register_family
from .training import Progress, TrainConfig, TrainingCancelled, fit

__all__ = [
    "CheckpointError",
    "DataSpec",
    "Dataset",
    "DatasetInfo",
    "FamilySpec",
    "LatentModel",
    "LossOutput",
    "Progress",
    "TrainConfig",
    "TrainingCancelled",
    "dataset_names",
    "families",
    "fit",
    "get_dataset",
    "get_family",
    "load_model",
    "register_family",
    "save_model",
]
