from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

from models.registry import UnknownFamilyError, families, get_family, register_family


def test_discovers_every_family_folder() -> None:
    from pathlib import Path

    package = importlib.import_module("models.families")  # ``models.families`` itself is the function

    folders = {p.name for p in Path(str(package.__file__)).parent.iterdir()
               if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(families())
    assert {"vae", "beta_tcvae"} <= set(families())


def test_unknown_family_names_the_choices() -> None:
    with pytest.raises(UnknownFamilyError, match="expected one of .*'vae'"):
        get_family("nope")


def test_duplicate_registration_is_refused() -> None:
    @dataclass(frozen=True)
    class C:
        latent_dim: int = 2

    with pytest.raises(ValueError, match="registered twice"):
        register_family("vae", config=C, summary="x")(type("X", (), {}))


def test_config_must_be_a_dataclass() -> None:
    with pytest.raises(TypeError, match="must be a dataclass"):
        register_family("other", config=dict, summary="x")
