"""The XLSX file as a spreadsheet reads it back: what the writer (`core.exports.xlsx`) is given
in Arrow record batches comes back from openpyxl (and LibreOffice, where it is installed)
exactly, after the documented formula protection: text as text cells, never formulas; numbers
as numbers, to the last digit; missing values as empty cells in their own column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pyarrow as pa
import pytest

from core.exports import writers, xlsx
from core.exports.protection import protect, unprotect
from core.exports.request import XLSX_MAX_CELL, Column, ExportTooLargeForExcel

EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
COLUMNS = [
    Column("name", "text"),
    Column("followers", "int"),
    Column("engagement_rate", "float"),
    Column("unlocked_at", "time"),
    Column("lists", "names"),
]
TEXTS = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1:A2)",
    "0001",
    "1E2",
    "TRUE",
    "👩‍👩‍👧 🇮🇹",
    "ليلى \u202eRTL",
    "".join(chr(c) for c in range(32)) + "end",
    "x" * XLSX_MAX_CELL,
    "_x0041_ is not an A",
    "non-characters \ufffe\uffff",
    'a & b <c> "q" \'s',
    " leading space",
    "trailing space ",
    "\r\nCRLF",
    "line one\nline two",
    "",
    None,
]
INTS = [2**53 + 1, -5, 0, 2**63 - 1, -(2**63), None, *range(len(TEXTS) - 6)]
FLOATS = [0.1, 0.1 + 0.2, 5e-324, 1e300, 12.345678901234567, -0.0, 1 / 3, None]
FLOATS += [float(i) + 0.5 for i in range(len(TEXTS) - len(FLOATS))]
TIMES = ["2026-01-02 03:04:05.123456"] * (len(TEXTS) - 1) + [None]
NAMES = ['["Spring launch", "Shortlist"]'] * (len(TEXTS) - 2) + ["[]", None]
META = writers._Meta(1, "Hostile & <Co>", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "en")


def batch(texts=TEXTS, ints=INTS, floats=FLOATS) -> pa.RecordBatch:
    arrays = [
        pa.array(texts, pa.string()),
        pa.array(ints, pa.int64()),
        pa.array(floats, pa.float64()),
        pa.array(TIMES[: len(texts)], pa.string()),
        pa.array(NAMES[: len(texts)], pa.string()),
    ]
    return pa.record_batch(arrays, names=[c.key for c in COLUMNS])


def write(batches: list[pa.RecordBatch]) -> bytes:
    out = io.BytesIO()
    rows = writers._write_xlsx(out, COLUMNS, batches, META, "influencers")
    assert rows == sum(b.num_rows for b in batches)
    return out.getvalue()


def expected_rows(b: pa.RecordBatch) -> list[list]:
    """The rows as openpyxl gives them: text protected, an empty text an empty cell."""
    return [
        [(protect(v) if v else None) if isinstance(v, str) else v for v in row]
        for row in zip(*(c.to_pylist() for c in b.columns), strict=True)
    ]


def read_back(content: bytes) -> list[list]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            assert cell.data_type != "f"
            value = cell.value
            if isinstance(value, str):
                value = EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), value)
            cells.append(value)
        rows.append(cells + [None] * (len(COLUMNS) - len(cells)))
    return rows


def test_every_value_comes_back_exactly_across_batches():
    whole = batch()
    content = write([whole.slice(0, 7), whole.slice(7, 0), whole.slice(7)])
    rows = read_back(content)
    assert rows[0] == [c.key for c in COLUMNS]
    assert rows[1:] == expected_rows(whole)
    # numbers are numbers, to the last digit; -0.0 keeps its sign
    followers = [r[1] for r in rows[1:]]
    assert 2**53 + 1 in followers and 2**63 - 1 in followers and -(2**63) in followers
    assert all(type(v) is int for v in followers if v is not None)
    rates = [r[2] for r in rows[1:]]
    assert 0.1 + 0.2 in rates and 5e-324 in rates and 12.345678901234567 in rates
    assert math.copysign(1, rates[5]) == -1
    # text that looks like a formula, a number or a boolean stays text, with its apostrophe
    names = [r[0] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names and "0001" in names and "TRUE" in names
    assert [unprotect(n) for n in names[:3]] == TEXTS[:3]


def test_nan_and_infinity_are_error_cells_and_the_row_stays_in_place():
    b = batch(["a", "b", "c"], [1, 2, 3], [math.nan, math.inf, -math.inf])
    content = write([b])
    rows = read_back(content)
    assert [r[2] for r in rows[1:]] == ["#NUM!"] * 3
    assert [r[0] for r in rows[1:]] == ["a", "b", "c"] and [r[1] for r in rows[1:]] == [1, 2, 3]


def test_a_cell_too_long_for_excel_and_too_many_rows_are_refused(monkeypatch):
    with pytest.raises(ExportTooLargeForExcel) as exc:
        write([batch(["y" * (XLSX_MAX_CELL + 1)], [1], [1.0])])
    assert exc.value.key == "export.error.xlsx_cell"
    write([batch(["é" * XLSX_MAX_CELL], [1], [1.0])])  # characters are counted, not bytes
    monkeypatch.setattr(xlsx, "XLSX_MAX_ROWS", 25)
    with pytest.raises(ExportTooLargeForExcel) as exc:
        write([batch(), batch()])
    assert exc.value.key == "export.error.xlsx_rows"


def test_the_workbook_has_a_bold_frozen_header_and_the_title():
    book = openpyxl.load_workbook(io.BytesIO(write([batch()])))
    sheet = book.worksheets[0]
    assert sheet.title == "influencers"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert book.properties.title == "Hostile & <Co> - influencers"
    assert book.properties.created == dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.mark.skipif(
    not shutil.which("libreoffice") and not os.environ.get("REQUIRE_LIBREOFFICE"),
    reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui; CI does)",
)
def test_libreoffice_reads_every_text_back(tmp_path):
    whole = batch()
    path = tmp_path / "export.xlsx"
    path.write_bytes(write([whole]))
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            "libreoffice",
            profile,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    with (tmp_path / "export.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [c.key for c in COLUMNS]
    for row, want in zip(rows[1:], expected_rows(whole), strict=True):
        text = (want[0] or "").replace("\r\n", "\n").replace("\r", "\n")
        assert row[0] == text  # LibreOffice keeps a line break as one line feed
        # LibreOffice prints at most 15 significant digits: the numbers that fit them
        if want[1] is not None and abs(want[1]) < 10**15:
            assert int(row[1]) == want[1]
        if want[2] is not None:
            assert float(row[2]) == float(f"{want[2]:.15g}")
