"""Small tables as pandas DataFrames: a chart's numbers written as a formula-safe CSV file.

A chart's frame has a few dozen rows at most, so it is written row by row by the insights'
small-table writer (`analytics.csv_bytes`); the exports of whole accounts and the file of every
survey answer (up to a million rows) are written by Arrow (`core.exports`,
`core.insights.answer_files`). All of them quote every text value, numbers never.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.insights import answer_files


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as a CSV file, written by `analytics.csv_bytes` (every text value quoted,
    numbers and true/false not, formula-safe): the column names as the header, no index;
    numbers as Python writes them, dates ISO 8601, missing values (None, NaN, NaT) empty."""
    columns = [_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = zip(*columns, strict=True) if columns else iter(())
    return answer_files.csv_bytes([str(name) for name in frame.columns], rows)


def _column(column: pd.Series) -> list[Any]:
    """One column's cells as Python values: a numeric column's numbers (2 stays 2, not 2.0
    beside a missing value), anything else cell by cell; missing values None."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return [None if pd.isna(v) else v for v in column.astype(object)]
    return [_cell(v) for v in column.astype(object)]


def _cell(value: Any) -> Any:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, bool) or pd.api.types.is_bool(value):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
