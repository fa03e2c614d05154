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
                          "pydantic_settings", "flask", "numpy"},
}
BANNED = {"models": {"backend", "frontend"}, "frontend": {"torch", "models", "backend"}}


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


@pytest.mark.parametrize("package", ["models", "frontend"])
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
    bad.write_text("import torch\nfrom backend.config import Settings\n")
    assert {"torch", "backend"} <= imports(bad)


def test_families_are_never_listed_by_hand() -> None:
    """Only the registry discovers families: no module outside a family folder names one."""
    for f in sources("models") + sources("backend"):
        if "families" in f.parts:
            continue
        text = f.read_text()
        assert "families.vae" not in text and "families.beta_tcvae" not in text, f
