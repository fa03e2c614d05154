"""Lenses (issue 16): interpretable lens runs built on a base run, their label sets (``labels``), making
(``create``), fitting and refitting as a ``lens_fit`` job (``fit``, ``job``), the score table (``score``) and the
views the API serves (``views``)."""
