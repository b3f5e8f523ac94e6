"""Formula protection (CSV and XLSX only): a text cell whose first character is one of
``= + - @``, tab, carriage return, line feed or an apostrophe ``'`` gets one apostrophe put in
front of it, so no spreadsheet ever reads it as a formula (OWASP, "CSV injection"; the
apostrophe itself is in the list so the rule can be undone exactly: `unprotect`). Numbers are
never prefixed; JSON is never prefixed. `protect` is the rule for one cell, `protect_array` the
same rule on a whole Arrow column at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from core.exports.request import FLOAT, INT, Column

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")


def protect(text: str) -> str:
    """The text as a CSV/XLSX cell: with one apostrophe in front when it starts with a
    character a spreadsheet could read as the start of a formula (see the module doc)."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def unprotect(cell: str) -> str:
    """The inverse of `protect`: the stored text of a CSV/XLSX text cell."""
    return cell[1:] if cell.startswith("'") else cell


_TRIGGER_BYTE = np.zeros(256, dtype=bool)
_TRIGGER_BYTE[[ord(c) for c in FORMULA_TRIGGERS]] = True  # every trigger is one ASCII byte
_APOSTROPHE = ord("'")


def protect_array(array: pa.Array) -> pa.Array:
    """`protect` applied to every string of an Arrow array at once: the first byte of each
    value is looked up in a table of the trigger bytes, and one apostrophe is inserted in
    front of those that match (no Python per cell). Nulls stay null."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    n = len(array)
    if n == 0:
        return array
    if array.offset:  # a slice: copy it so that it starts at zero
        array = array.take(pa.array(np.arange(n)))
    validity, offsets_buffer, data_buffer = array.buffers()
    if data_buffer is None or data_buffer.size == 0:
        return array
    wide = pa.types.is_large_string(array.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32, count=n + 1)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    first = data[np.minimum(starts, data.size - 1)]
    hit = nonempty & _TRIGGER_BYTE[first]
    if not hit.any():
        return array
    base = int(offsets[0])
    body = np.insert(data[base : int(offsets[-1])], starts[hit] - base, _APOSTROPHE)
    shift = np.concatenate(([0], np.cumsum(hit, dtype=np.int64)))
    new_offsets = offsets.astype(np.int64) - base + shift
    if not wide and new_offsets[-1] > np.iinfo(np.int32).max:
        return protect_array(array.cast(pa.large_string()))
    return pa.Array.from_buffers(
        array.type,
        n,
        [
            validity,
            pa.py_buffer(new_offsets.astype(np.int64 if wide else np.int32)),
            pa.py_buffer(body),
        ],
        null_count=array.null_count,
    )


def _file_batch(batch: pa.RecordBatch, columns: Sequence[Column], protect_text: bool) -> list:
    """The batch's columns as the file holds them: text formula-protected (CSV and XLSX)."""
    arrays = []
    for column, array in zip(columns, batch.columns, strict=True):
        if column.kind in (INT, FLOAT):
            arrays.append(array)
        elif protect_text:
            arrays.append(protect_array(array))
        else:
            arrays.append(array if pa.types.is_string(array.type) else array.cast(pa.string()))
    return arrays
