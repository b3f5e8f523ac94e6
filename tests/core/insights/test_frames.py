"""A small DataFrame written as CSV (`core.insights.frames.csv_bytes`): byte for byte what the
row writer of the insights (`analytics.csv_bytes`) writes for the same cells, formula-safe
whatever the text, numbers written exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from core.exports import unprotect
from core.insights import analytics, frames
from tests.support.hostile import CORPUS, ids

HEADER = ["=label", "n", "x", "share"]
ROWS = [
    ["+1", -5, 1, 0.5],
    ["@SUM(1)", 2, None, 0.3333],
    ["\tx", 0, "a", 1e-05],
    ["-3", 7, True, None],
    ["ok", 12345678901, dt.date(2026, 1, 2), 0.1],
    [None, 1, dt.datetime(2026, 1, 5, 10, 1, tzinfo=dt.UTC), 98.0],
    ['=HYPERLINK("http://evil.example","x")', 3, "'quoted", 2.5],
]


def read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_frame_is_written_as_the_row_writer_writes_its_rows():
    frame = pd.DataFrame(ROWS, columns=HEADER)
    assert frames.csv_bytes(frame) == analytics.csv_bytes(HEADER, ROWS)


def test_text_is_protected_and_numbers_stay_exact():
    frame = pd.DataFrame(ROWS, columns=HEADER)
    rows = read(frames.csv_bytes(frame))
    assert rows[0] == ["'=label", "n", "x", "share"]
    assert [r[0] for r in rows[1:]] == [
        "'+1",
        "'@SUM(1)",
        "'\tx",
        "'-3",
        "ok",
        "",
        '\'=HYPERLINK("http://evil.example","x")',
    ]
    assert [r[1] for r in rows[1:]] == ["-5", "2", "0", "7", "12345678901", "1", "3"]
    assert [r[2] for r in rows[1:]] == [
        "1",
        "",
        "a",
        "true",
        "2026-01-02",
        "2026-01-05T10:01:00+00:00",
        "''quoted",
    ]
    assert [r[3] for r in rows[1:]] == ["0.5", "0.3333", "1e-05", "", "0.1", "98.0", "2.5"]
    lines = frames.csv_bytes(frame).decode("utf-8-sig").split("\r\n")
    # every text value quoted (a date too), numbers, true/false and missing values not
    assert lines[0] == "'=label,n,x,share"
    assert lines[1] == '"\'+1",-5,1,0.5'
    assert lines[4] == '"\'-3",7,true,'
    assert lines[5] == '"ok",12345678901,"2026-01-02",0.1'
    assert lines[6] == ',1,"2026-01-05T10:01:00+00:00",98.0'


def test_typed_columns_numeric_boolean_missing_and_the_index_left_out():
    frame = pd.DataFrame(
        {
            "int": np.array([-1, 2], dtype="int64"),
            "nullable": pd.array([3, None], dtype="Int64"),
            "float": [0.25, np.nan],
            "bool": [True, False],
            "when": pd.to_datetime(["2026-03-01T12:00:00Z", None]),
            "text": pd.array(["-x", None], dtype="str"),
        },
        index=["a", "a"],  # not unique, and never written
    )
    assert read(frames.csv_bytes(frame)) == [
        ["int", "nullable", "float", "bool", "when", "text"],
        ["-1", "3", "0.25", "true", "2026-03-01T12:00:00+00:00", "'-x"],
        ["2", "", "", "false", "", ""],
    ]


def test_an_empty_frame_is_its_header():
    frame = pd.DataFrame([], columns=["@a", "b"])
    assert frames.csv_bytes(frame) == "\ufeff'@a,b\r\n".encode()


SAFE = tuple(e for e in CORPUS if not e.has_surrogate and not e.huge)  # UTF-8 writes the rest


@pytest.mark.parametrize("entry", SAFE, ids=ids(SAFE))
def test_hostile_text_reads_back_exactly_and_never_as_a_formula(entry):
    frame = pd.DataFrame({entry.text: [entry.text, "plain"], "n": [-1, 2]})
    data = frames.csv_bytes(frame)
    assert data == analytics.csv_bytes([entry.text, "n"], [[entry.text, -1], ["plain", 2]])
    header, first, _second = read(data)
    for cell in (header[0], first[0]):
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n")
        assert unprotect(cell) == entry.text
    assert first[1] == "-1"
