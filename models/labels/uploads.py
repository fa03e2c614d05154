"""Label uploads: CSV, a JSON array, or JSON lines of ``item,attribute,value`` rows, read into a LabelSet
and written back out.

CSV: a header naming the columns item, attribute and value (in any order), then one label per line. JSON:
an array of objects with exactly the keys item, attribute and value. JSON lines: one such object per line.
A categorical value is a class name or a class index; a class name wins where text is both (so written
files, which use class names, always read back the same). Rows are numbered as LabelError explains.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from ..datasets import Dataset
from .errors import LabelError
from .label_set import LabelSet

LabelFormat = Literal["csv", "json", "jsonl"]
COLUMNS = ("item", "attribute", "value")
MAX_ROWS = 100_000  # default limits of one upload
MAX_BYTES = 8 * 2**20
Numbered = Iterator[tuple[int, object]]  # (row number, (item, attribute, value))


def parse_label_rows(text: str | bytes, format: LabelFormat, dataset: Dataset, *, max_rows: int = MAX_ROWS,
                     max_bytes: int = MAX_BYTES) -> LabelSet:
    """An upload -> its LabelSet, every row checked against ``dataset``'s attributes; LabelError naming the
    row for the first bad one, or the whole upload when it is over ``max_bytes`` or ``max_rows``."""
    if format not in READERS:
        raise ValueError(f"unknown label format {format!r}; expected one of {sorted(READERS)}")
    rows = READERS[format](_text(text, max_bytes))
    return LabelSet.from_numbered(_at_most(rows, max_rows), dataset)


def format_label_rows(labels: LabelSet, format: LabelFormat) -> str:
    """A LabelSet -> the text of an upload that reads back to it (categorical values as class names)."""
    rows = [(item, name, labels.attribute(name).format(value)) for item, name, value in labels.rows()]
    if format == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([COLUMNS, *rows])
        return out.getvalue()
    objects = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    if format == "json":
        return json.dumps(objects)
    if format == "jsonl":
        return "".join(json.dumps(o) + "\n" for o in objects)
    raise ValueError(f"unknown label format {format!r}; expected one of {sorted(READERS)}")


def _text(text: str | bytes, max_bytes: int) -> str:
    """The upload as text, after the size limit; bytes must be UTF-8 (a leading byte-order mark is dropped)."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8"))
    if size > max_bytes:
        raise LabelError(None, None, f"the upload is {size} bytes; expected at most {max_bytes} (max_bytes)")
    try:
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as err:
        raise LabelError(None, None, f"the upload is not UTF-8 text ({err.reason} at byte {err.start})") from None
    return decoded.removeprefix("\ufeff")


def _at_most(rows: Iterable[tuple[int, object]], max_rows: int) -> Numbered:
    for count, (row, fields) in enumerate(rows, start=1):
        if count > max_rows:
            raise LabelError(row, None, f"more than {max_rows} label rows; expected at most {max_rows} (max_rows)")
        yield row, fields


def _csv_rows(text: str) -> Numbered:
    """Row 1 is the header; blank lines are skipped but counted."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        if sorted(header) != sorted(COLUMNS):
            raise LabelError(1, "header", f"expected the columns item, attribute, value (any order), got {header}")
        order = [header.index(c) for c in COLUMNS]
        for row, fields in enumerate(reader, start=2):
            if fields and len(fields) != len(COLUMNS):
                raise LabelError(row, None, f"expected 3 fields (item, attribute, value), got {len(fields)}")
            if fields:
                yield row, tuple(fields[i] for i in order)
    except csv.Error as err:
        raise LabelError(reader.line_num, None, f"unreadable CSV: {err}") from None


def _json_rows(text: str) -> Numbered:
    """Element k of the array is row k."""
    document = _json(text, None)
    if not isinstance(document, list):
        raise LabelError(None, None, "expected a JSON array of {item, attribute, value} objects")
    for row, obj in enumerate(document, start=1):
        yield row, _fields(obj, row)


def _jsonl_rows(text: str) -> Numbered:
    """Line k is row k; blank lines are skipped but counted."""
    for row, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield row, _fields(_json(line, row), row)


def _json(text: str, row: int | None) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}" if row is None else f"column {err.colno}"
        raise LabelError(row, None, f"malformed JSON at {where}: {err.msg}") from None


def _fields(obj: object, row: int) -> tuple[object, object, object]:
    if not isinstance(obj, dict) or sorted(obj) != sorted(COLUMNS):
        shown = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise LabelError(row, None, f"expected an object with exactly the keys item, attribute, value, got {shown}")
    return obj["item"], obj["attribute"], obj["value"]


READERS: dict[str, Callable[[str], Numbered]] = {"csv": _csv_rows, "json": _json_rows, "jsonl": _jsonl_rows}
