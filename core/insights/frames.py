"""Small tables as pandas DataFrames: a chart's numbers written as a formula-safe CSV file.

A chart's frame has a few dozen rows at most, so pandas is the natural tool here; the exports
of whole accounts and of every survey answer (up to a million rows) stay on Arrow
(`core.exports`) and on the streaming writer of `core.insights.analytics`.
"""

from __future__ import annotations

import datetime as dt
import numbers
from typing import Any

import pandas as pd

from core.exports import protect


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as a CSV file, written as `analytics.csv_bytes` writes rows: UTF-8 with a BOM,
    CRLF line ends, the column names as the header and no index. A column name or text cell
    that starts with = + - @, tab, CR, LF or an apostrophe gets one apostrophe in front
    (`core.exports.protect`), so no spreadsheet reads it as a formula; numbers stay numbers
    (written as Python writes them), dates are ISO 8601, booleans true/false, missing values
    (None, NaN, NaT) empty cells."""
    cells = pd.DataFrame({i: _column(frame.iloc[:, i]) for i in range(frame.shape[1])})
    cells.columns = [protect(str(name)) for name in frame.columns]
    text = cells.to_csv(index=False, lineterminator="\r\n", na_rep="")
    return text.encode("utf-8-sig")


def _column(column: pd.Series) -> pd.Series:
    """One column as the cells to write: a numeric column as it is, any other cell by cell
    (`_cell`, kept as Python objects: 2 stays "2", not "2.0" beside a missing value)."""
    column = column.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column
    return pd.Series([_cell(v) for v in column.astype(object)], dtype=object)


def _cell(value: Any) -> Any:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, bool) or pd.api.types.is_bool(value):
        return "true" if value else "false"
    if isinstance(value, numbers.Number):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return protect(str(value))
