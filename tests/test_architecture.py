"""DESIGN.md section 1's import rules, read from the source (AST), so a broken rule fails CI."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
# models/: the ML stack only. safetensors (pickle-free weights), PIL (rendering bundled glyphs and sprites)
# and pybullet_data (the optional `mocap` extra's motion-clip files) are the additions to DESIGN.md's list;
# the last two only in models/datasets.
ALLOWED = {
    "models": STDLIB | {"models", "torch", "numpy", "scipy", "sklearn", "safetensors"},
    "models/datasets": STDLIB | {"models", "numpy", "scipy", "sklearn", "PIL", "pybullet_data"},
    "frontend": STDLIB | {"frontend", "dash", "dash_bootstrap_components", "plotly", "httpx", "pydantic",
                          "pydantic_settings", "flask", "numpy", "gunicorn"},
}
BANNED = {"models": {"backend", "frontend"}, "frontend": {"torch", "models", "backend"}, "backend": {"frontend"}}


def imports(path: Path) -> set[str]:
    """Top-level module names imported by ``path`` (relative imports count as the package itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["models", "frontend", "backend"])
def test_banned_imports(package: str) -> None:
    bad = {str(f.relative_to(ROOT)): sorted(imports(f) & BANNED[package]) for f in sources(package)}
    assert not {f: b for f, b in bad.items() if b}


def test_models_imports_only_the_ml_stack() -> None:
    for f in sources("models"):
        rel = f.relative_to(ROOT).as_posix()
        allowed = ALLOWED["models/datasets"] if rel.startswith("models/datasets/") else ALLOWED["models"]
        assert imports(f) <= allowed, (rel, sorted(imports(f) - allowed))


def test_frontend_imports_only_the_web_stack() -> None:
    for f in sources("frontend"):
        assert imports(f) <= ALLOWED["frontend"], (f, sorted(imports(f) - ALLOWED["frontend"]))


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import torch\nfrom backend.config import Settings\nfrom models.runs import x\n")
    assert {"torch", "backend"} <= imports(bad)
    assert submodule_imports(bad, "models") == ["models.runs"]


def submodule_imports(path: Path, package: str) -> list[str]:
    """The modules under ``package`` (not the package itself) that ``path`` imports, e.g. "models.training"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    found += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0]
    return [m for m in found if m.startswith(f"{package}.")]


def test_backend_uses_only_the_public_surface_of_models() -> None:
    """``models/__init__`` is the library's public surface: the backend imports ``from models import ...`` only."""
    bad = {str(f.relative_to(ROOT)): submodule_imports(f, "models") for f in sources("backend")}
    assert not {f: m for f, m in bad.items() if m}


# The public surface of ``models``: a name added to or removed from ``models.__all__`` is a deliberate change of the
# library's API, made here too.
PUBLIC = {
    "CONFIG_FILE", "WEIGHTS_FILE", "Attribute", "CheckpointError", "ConfigError", "DataSpec", "Dataset", "DatasetInfo",
    "DiagonalGaussian", "EvalConfig", "EvalProgressFn", "FactorisedPosterior", "FactorisedPrior", "FamilySpec",
    "Grouped", "HUMANOID_BONES", "HUMANOID_POINTS", "HasParent", "HasPrior", "LabelError", "LabelSet",
    "LatentModel", "LossOutput", "LpNested", "MissingExtraError", "NotGaussianError", "ParentRef", "Posterior", "Prior",
    "Progress", "ProgressFn", "StandardNormal", "TrainConfig", "TrainingCancelled", "UnknownDatasetError",
    "UnknownFamilyError", "attach", "build_model", "build_report", "config_from_dict", "dataset_names",
    "factor_mutual_information", "factor_table", "families", "field_docs", "fit", "gaussian_params", "get_dataset",
    "get_family", "humanoid_joint_positions", "load_model", "model_header", "nested_configs", "parse_label_rows",
    "read_json", "register_family", "reveal", "save_model", "saved_step", "select_device", "split_indices",
    "sha256_file", "write_json", "AttributeSpec", "FitProgress", "Lens", "fit_lens", "interpretability",
    "quantile_classes",
    "bald", "categorical_entropy", "choose_batch", "gaussian_bald", "gaussian_max_entropy", "max_entropy",
    "random_scores", "PredictsAttributes", "cpu_threads", "DimFactorInformation", "dim_factor_information",
    "COLLAPSE_NATS", "collapse_warning", "factor_table_warnings",
    "field_bounds",
}


def test_the_public_surface_of_models_is_deliberate() -> None:
    import models

    assert set(models.__all__) == PUBLIC and len(models.__all__) == len(PUBLIC)
    assert all(hasattr(models, name) for name in models.__all__)


def test_families_are_never_listed_by_hand() -> None:
    """Only the registry discovers families: no module outside a family folder names one."""
    for f in sources("models") + sources("backend"):
        if "families" in f.parts:
            continue
        text = f.read_text()
        assert "families.vae" not in text and "families.beta_tcvae" not in text, f
