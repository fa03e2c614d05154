"""factorscope's model library: families, datasets, training, estimators and metrics.

Usable from a notebook: ``from models import get_family, get_dataset, fit``. Imports only torch,
numpy, scipy, scikit-learn, safetensors, Pillow (dataset rendering) and the standard library.
"""

# The families package first: importing it later (discovery) would bind ``models.families`` to it, over the function
from . import families as _family_package  # noqa: F401
from .acquisition import (
    bald,
    categorical_entropy,
    choose_batch,
    gaussian_bald,
    gaussian_max_entropy,
    max_entropy,
    random_scores,
)
from .base import DataSpec, LatentModel, LossOutput
from .checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    attach,
    build_model,
    load_model,
    model_header,
    read_json,
    save_model,
    sha256_file,
    write_json,
)
from .collapse import COLLAPSE_NATS, collapse_warning, factor_table_warnings
from .config import ConfigError, config_from_dict, field_bounds, field_docs, nested_configs
from .datasets import (
    Attribute,
    Dataset,
    DatasetInfo,
    MissingExtraError,
    UnknownDatasetError,
    dataset_names,
    get_dataset,
)
from .datasets.humanoid_skeleton import BONES as HUMANOID_BONES
from .datasets.humanoid_skeleton import POINTS as HUMANOID_POINTS
from .datasets.humanoid_skeleton import joint_positions as humanoid_joint_positions
from .distributions import (
    DiagonalGaussian,
    FactorisedPosterior,
    FactorisedPrior,
    LpNested,
    NotGaussianError,
    Posterior,
    Prior,
    StandardNormal,
    gaussian_params,
)
from .estimators import factor_mutual_information
from .evaluation import EvalConfig, factor_table
from .labels import LabelError, LabelSet, parse_label_rows, reveal
from .lens import AttributeSpec, FitProgress, Lens, fit_lens
from .metrics import DimFactorInformation, dim_factor_information, interpretability, quantile_classes
from .protocols import Grouped, HasParent, HasPrior, ParentRef, PredictsAttributes
from .registry import FamilySpec, UnknownFamilyError, families, get_family, register_family
from .report import ProgressFn as EvalProgressFn
from .report import build_report
from .train_state import saved_step
from .training import (
    Progress,
    ProgressFn,
    TrainConfig,
    TrainingCancelled,
    cpu_threads,
    fit,
    select_device,
    split_indices,
)

__all__ = [
    "COLLAPSE_NATS",
    "CONFIG_FILE",
    "HUMANOID_BONES",
    "HUMANOID_POINTS",
    "WEIGHTS_FILE",
    "Attribute",
    "AttributeSpec",
    "CheckpointError",
    "ConfigError",
    "DataSpec",
    "Dataset",
    "DatasetInfo",
    "DiagonalGaussian",
    "DimFactorInformation",
    "EvalConfig",
    "EvalProgressFn",
    "FactorisedPosterior",
    "FactorisedPrior",
    "FamilySpec",
    "FitProgress",
    "Grouped",
    "HasParent",
    "HasPrior",
    "LabelError",
    "LabelSet",
    "LatentModel",
    "Lens",
    "LossOutput",
    "LpNested",
    "MissingExtraError",
    "NotGaussianError",
    "ParentRef",
    "Posterior",
    "PredictsAttributes",
    "Prior",
    "Progress",
    "ProgressFn",
    "StandardNormal",
    "TrainConfig",
    "TrainingCancelled",
    "UnknownDatasetError",
    "UnknownFamilyError",
    "attach",
    "bald",
    "build_model",
    "build_report",
    "categorical_entropy",
    "choose_batch",
    "collapse_warning",
    "config_from_dict",
    "cpu_threads",
    "dataset_names",
    "dim_factor_information",
    "factor_mutual_information",
    "factor_table",
    "factor_table_warnings",
    "families",
    "field_bounds",
    "field_docs",
    "fit",
    "fit_lens",
    "gaussian_bald",
    "gaussian_max_entropy",
    "gaussian_params",
    "get_dataset",
    "get_family",
    "humanoid_joint_positions",
    "interpretability",
    "load_model",
    "max_entropy",
    "model_header",
    "nested_configs",
    "parse_label_rows",
    "quantile_classes",
    "random_scores",
    "read_json",
    "register_family",
    "reveal",
    "save_model",
    "saved_step",
    "select_device",
    "sha256_file",
    "split_indices",
    "write_json",
]
