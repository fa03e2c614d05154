"""Every third-party module the code imports is declared in pyproject.toml (base, extra or dev requirement), so an
install from it has what the code needs, whatever its requirements' own requirements become. A module that is part of
a declared framework (starlette of FastAPI, flask of Dash) is named in ``BROUGHT`` with that requirement, and the test
checks that the requirement brings it. Modules are matched to distributions through the installed metadata
(``importlib.metadata.packages_distributions``); one not installed here (an optional extra) is not checked."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import metadata

import pytest
from test_architecture import ROOT, STDLIB, imports, sources

OWN = {"backend", "models", "frontend"}
# module -> the declared requirement whose own requirements bring it (the frameworks' parts the code uses directly)
BROUGHT = {"starlette": "fastapi", "anyio": "fastapi", "flask": "dash", "plotly": "dash"}


def normalized(name: str) -> str:
    """PEP 503's normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalized(re.split(r"[\s<>=!~\[;(]", requirement.strip(), maxsplit=1)[0])


def declared() -> set[str]:
    """The distributions pyproject.toml names: dependencies and every optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return {requirement_name(r) for r in listed if not r.startswith("factorscope")}


def brought_by(distribution: str) -> set[str]:
    """``distribution`` and everything its installed metadata requires, recursively (extras' requirements left out)."""
    seen, todo = set(), [normalized(distribution)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [requirement_name(r) for r in requires if "extra ==" not in r]
    return seen


@cache
def installed() -> Mapping[str, list[str]]:
    """Top-level module -> the installed distributions that provide it (scanning them all takes a while)."""
    return metadata.packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {normalized(d) for d in installed().get(module, [])}


@pytest.mark.parametrize("package", sorted(OWN))
def test_every_imported_module_is_declared(package: str) -> None:
    modules = set().union(*(imports(f) for f in sources(package))) - STDLIB - OWN - set(BROUGHT)
    missing = {m: sorted(d) for m in modules if (d := distributions_of(m)) and not d & declared()}
    assert not missing, f"imported by {package}/ but not declared in pyproject.toml: {missing}"


@pytest.mark.parametrize(("module", "via"), sorted(BROUGHT.items()))
def test_what_is_left_to_a_declared_requirement_comes_with_it(module: str, via: str) -> None:
    assert normalized(via) in declared()
    assert distributions_of(module) & brought_by(via), f"{via} does not bring {module}: declare it"

