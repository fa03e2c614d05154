"""``text_of``: the text a Dash component tree shows, for tests that read what a page says."""

from __future__ import annotations

from typing import Any


def text_of(component: Any) -> str:
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    return text_of(children) if children is not None else ""
