"""One sub-package per model family, discovered by ``models.registry.discover``.

To add a family: create ``families/<name>/`` with ``config.py`` (a frozen dataclass) and
``model.py`` (a ``LatentModel`` decorated with ``@register_family``), re-exported by ``__init__``.
"""
