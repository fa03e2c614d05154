"""The artifact store's runs: ``FACTORSCOPE_HOME/runs/<run_id>/`` folders and their ids (``folders``), what a run
is as listed (``records``), making (``create``), training (``train``), loading (``load``), evaluating
(``evaluate``) and deleting (``delete``) runs, which job owns a run (``ownership``), and runs built on other
runs (``parents``). The model library only saves and loads a model's files (``models.checkpoint``)."""

from .create import ModelLimits, ModelTooLarge, check_run_size, create_run
from .delete import delete_run, purge_deleted
from .evaluate import evaluate_run
from .folders import (
    MAX_CONFIG_BYTES,
    TRASH_PREFIX,
    RunNotFoundError,
    checked_record,
    list_runs,
    read_config,
    read_record,
    run_dir,
)
from .load import load_run
from .ownership import RunGone, owner_check, run_nonce
from .parents import StaleParent, children_of, descendants, pinned_parent
from .records import RunRecord, record_of
from .train import resume_step, train_run
from .versions import archived_dir, keep_version

__all__ = [
    "MAX_CONFIG_BYTES",
    "TRASH_PREFIX",
    "ModelLimits",
    "ModelTooLarge",
    "RunGone",
    "RunNotFoundError",
    "RunRecord",
    "StaleParent",
    "archived_dir",
    "check_run_size",
    "checked_record",
    "children_of",
    "create_run",
    "delete_run",
    "descendants",
    "evaluate_run",
    "keep_version",
    "list_runs",
    "load_run",
    "owner_check",
    "pinned_parent",
    "purge_deleted",
    "read_config",
    "read_record",
    "record_of",
    "resume_step",
    "run_dir",
    "run_nonce",
    "train_run",
]
