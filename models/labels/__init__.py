"""Label sets: side-information values for some items of a dataset, from the simulated oracle (``reveal``),
an upload (``parse_label_rows``) or any (item, attribute, value) rows (``LabelSet.from_rows``, e.g. the label
store's), each checked against the dataset's attribute schema (``LabelError`` names the row at fault)."""

from .errors import LabelError
from .label_set import LabelSet
from .oracle import reveal
from .uploads import MAX_BYTES, MAX_ROWS, LabelFormat, format_label_rows, parse_label_rows

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "LabelError",
    "LabelFormat",
    "LabelSet",
    "format_label_rows",
    "parse_label_rows",
    "reveal",
]
