"""The hostile corpus, stored in an account's influencer data, out again through every export
format: CSV, Excel and JSON give back exactly what is stored (after the documented formula
protection), and the PDF report renders. Every storable entry of the corpus is one influencer
(its name, categories and notes); lone surrogates cannot be stored, and PostgreSQL refuses NUL.

The exports themselves are the `core.exports` package (the writers in `core/exports/writers.py`,
the formula protection in `core/exports/protection.py`); this file only reads them back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.exports import access, services
from core.exports.protection import unprotect
from core.exports.request import INFLUENCERS, REPORT, XLSX_MAX_CELL, ExportRequest
from core.platform.db import Database
from core.platform.models import Influencer
from tests.support import factories
from tests.support.env import NOW
from tests.support.hostile import CORPUS

COLUMNS = ("id", "name", "categories", "notes")
EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def storable(db: Database) -> list[str]:
    out = []
    for entry in CORPUS:
        if entry.has_surrogate or (db.dialect == "postgresql" and "\x00" in entry.text):
            continue
        out.append(entry.text)
    return out


@pytest.fixture
def hostile_account(db):
    plan_id = factories.plan(db)
    made = factories.customer(db, "alice@example.com", plan_id, now=NOW, company="Hostile & Co")
    texts = storable(db)
    with db.transaction() as s:
        for i, text in enumerate(texts):
            s.add(
                Influencer(
                    account_id=made.account_id,
                    handle=f"h{i}",
                    name=text[:200],
                    platform="instagram",
                    followers=i,
                    engagement_rate=1.5,
                    country="IT",
                    categories=text[:300],
                    contact_email="",
                    notes=text,
                    unlocked_at=NOW,
                )
            )
    actor = access.actor_for_email(db, "alice@example.com")
    with db.transaction() as s:
        stored = {
            row.id: {
                "id": row.id,
                "name": row.name,
                "categories": row.categories,
                "notes": row.notes,
            }
            for row in s.scalars(select(Influencer).where(Influencer.account_id == made.account_id))
        }
    return actor, stored


def request(fmt: str) -> ExportRequest:
    return ExportRequest(INFLUENCERS, fmt, columns=COLUMNS)


def text_cell(cell: str) -> str:
    assert not cell.startswith(TRIGGERS), f"an unprotected formula trigger: {cell[:20]!r}"
    return unprotect(cell)


def test_csv_gives_back_every_hostile_value(db, hostile_account):
    actor, stored = hostile_account
    content, result = services.export_bytes(db, actor, request("csv"), now=NOW)
    assert content.startswith(b"\xef\xbb\xbf")
    csv.field_size_limit(1 << 30)  # 1 MB cells
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(COLUMNS)
    back = {
        int(r[0]): {
            "id": int(r[0]),
            **{k: text_cell(v) for k, v in zip(COLUMNS[1:], r[1:], strict=True)},
        }
        for r in rows[1:]
    }
    assert result.rows == len(stored) == len(back)
    wrong = [i for i in stored if back.get(i) != stored[i]]
    assert not wrong, [
        (stored[i]["notes"][:30], back.get(i, {}).get("notes", "")[:30]) for i in wrong[:5]
    ]


def test_json_gives_back_every_hostile_value_exactly(db, hostile_account):
    actor, stored = hostile_account
    content, _result = services.export_bytes(db, actor, request("json"), now=NOW)
    rows = json.loads(content.decode("utf-8"))["rows"]
    back = {r["id"]: {k: r[k] for k in COLUMNS} for r in rows}
    assert back == stored


def test_excel_gives_back_every_hostile_value_that_fits_a_cell(db, hostile_account):
    """Excel holds 32,767 characters in a cell: with the 1 MB entries the export refuses Excel
    and says so (the page offers CSV and JSON); without them every value comes back."""
    actor, stored = hostile_account
    assert services.xlsx_problem(db, actor, request("xlsx")) == "export.error.xlsx_cell"
    with db.transaction() as s:
        for row in s.scalars(select(Influencer)):
            if len(row.notes) + 1 > XLSX_MAX_CELL:
                s.delete(row)
                stored.pop(row.id)
    assert services.xlsx_problem(db, actor, request("xlsx")) is None
    content, _result = services.export_bytes(db, actor, request("xlsx"), now=NOW)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == list(COLUMNS)

    def value(cell):
        if cell is None:
            return ""
        return text_cell(EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), cell))

    back = {
        int(r[0]): {
            "id": int(r[0]),
            **{k: value(v) for k, v in zip(COLUMNS[1:], r[1:], strict=True)},
        }
        for r in rows[1:]
    }
    wrong = [i for i in stored if back.get(i) != stored[i]]
    assert not wrong, [
        (stored[i]["notes"][:30], back.get(i, {}).get("notes", "")[:30]) for i in wrong[:5]
    ]


def test_the_pdf_report_renders_hostile_names(db, hostile_account):
    actor, _stored = hostile_account
    content, result = services.export_bytes(db, actor, ExportRequest(REPORT, "pdf"), now=NOW)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == result.pages >= 1
