"""The one error every label check raises: which row, which field, and what was expected."""

from __future__ import annotations


class LabelError(ValueError):
    """A label row that does not fit the dataset's attribute schema, or an upload that cannot be read.

    ``row`` is 1-based as a person counts the upload: in a CSV the header is row 1 and the first label row 2;
    in a JSON array, element k is row k; in JSON lines, line k. None when the fault is the whole upload (its
    size, malformed JSON). ``field`` is "item", "attribute", "value" or "header", or None for the whole row.
    """

    def __init__(self, row: int | None, field: str | None, message: str) -> None:
        self.row, self.field, self.message = row, field, message
        where = ", ".join(part for part in (f"row {row}" if row is not None else "", field or "") if part)
        super().__init__(f"{where}: {message}" if where else message)
