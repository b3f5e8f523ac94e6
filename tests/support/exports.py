"""What the export tests share: a hostile data set, what the database holds (read without the
export code), the files read back as a spreadsheet or a program would, and one GET through the
portal's HTTP routes as a browser sends it."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl
from sqlalchemy import select
from starlette.applications import Starlette

from core.exports.request import (
    INFLUENCER_COLUMNS,
    INFLUENCER_DEFAULT_COLUMNS,
    SEARCH_RESULT_COLUMNS,
)
from core.platform.db import Database
from core.platform.models import (
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    ListMember,
    SavedSearch,
    SearchResult,
)
from core.web import http
from tests.support import factories
from tests.support.env import NOW

# --- The hostile data set -------------------------------------------------------------------

LONG = "Ω" + "x" * 9_998 + "∎"  # 10,000 characters
HOSTILE = (
    "=1+1",
    '=HYPERLINK("http://evil.example","click me")',
    "=cmd|' /C calc'!A0",
    "+39 347 555 0199",
    "-5% off",
    "-",
    "@SUM(A1:A9)",
    "\tleading tab",
    "\rleading carriage return",
    "\nleading line feed",
    "'already quoted",
    "''two apostrophes",
    'quotes "inside", commas, semicolons; and more',
    "line one\nline two\r\nline three",
    "tab\tinside",
    "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumb",
    "佐藤 花子 · 王芳",
    "김민지",
    "ليلى حسن",
    "נועה כהן",
    "Ελένη Παπαδάκη",
    "Анна Иванова",
    "Zoë Núñez-Groß",
    "प्रिया शर्मा",
    "",
    " leading space",
    "trailing space ",
    "_x0041_ looks like an Excel escape",
    "bell\x07 and form feed\x0c",
    LONG,
)
NUMBERS = (  # followers, engagement rate: a negative number is a number, not text
    (0, 0.0),
    (-5, -1.25),
    (2_147_483_647, 0.1 + 0.2),
    (1, 12.345678901234567),
    (42, 1e-07),
)
T0 = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Hostile:
    account_id: int
    email: str
    other_account_id: int
    other_email: str
    search_ids: tuple[int, ...]


def make_hostile(db: Database) -> Hostile:
    """A customer whose every text field is hostile, and a second customer beside it."""
    plan_id = factories.plan(db)
    made = factories.customer(db, "alice@example.com", plan_id, now=NOW, company='=Évil; Co, "Ltd"')
    other = factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    with db.transaction() as s:
        influencers = []
        for i, text in enumerate(HOSTILE):
            followers, rate = NUMBERS[i % len(NUMBERS)]
            row = Influencer(
                account_id=made.account_id,
                handle=(text[:90] if i % 3 else f"h{i}"),
                name=text[:200],  # a name holds 200 characters (notes hold any length)
                platform=("instagram", "=tiktok", "")[i % 3],
                followers=followers,
                engagement_rate=rate,
                country=("IT", "-1", "")[i % 3],
                categories="; ".join(HOSTILE[j][:40] for j in (i, (i + 7) % len(HOSTILE))),
                contact_email=("", "=evil@example.com", "a@b.example")[i % 3],
                notes=text,
                unlocked_at=T0 + dt.timedelta(seconds=i, microseconds=17 * i),
            )
            s.add(row)
            influencers.append(row)
        s.add(
            Influencer(
                account_id=other.account_id,
                handle="bobs.secret",
                name="Bob's secret influencer",
                platform="instagram",
                followers=1,
                engagement_rate=1.0,
                country="GB",
                unlocked_at=T0,
            )
        )
        s.flush()
        searches = []
        for i, text in enumerate(("=1+1", '@search; "quoted"', "👩‍👩‍👧 ليلى", "empty")):
            search = SavedSearch(
                account_id=made.account_id,
                name=text,
                query=json.dumps({"q": HOSTILE[i], "long": LONG if i == 0 else ""}),
                created_at=T0 + dt.timedelta(days=i),
            )
            s.add(search)
            s.flush()
            searches.append(search.id)
            if text == "empty":
                continue  # a saved search with no results
            for rank, inf in enumerate(influencers[i::2], start=1):
                s.add(
                    SearchResult(
                        search_id=search.id,
                        influencer_id=inf.id,
                        rank=rank,
                        score=(-0.5 if rank == 2 else 1 / (rank + 2)),
                    )
                )
        for i, text in enumerate(("=cmd|' /C calc'!A0", 'a, b; c "d"', "👩‍👩‍👧", "")):
            lst = InfluencerList(account_id=made.account_id, name=text, created_at=T0)
            s.add(lst)
            s.flush()
            for inf in influencers[i::5]:
                s.add(ListMember(list_id=lst.id, influencer_id=inf.id, added_at=T0))
        for i, text in enumerate(("+Summer 2026", "-Winter\n2026")):
            camp = Campaign(
                account_id=made.account_id,
                name=text,
                status=("completed", "active")[i],
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2026, 2, 1),
                budget_cents=100_000,
                currency="USD",
            )
            s.add(camp)
            s.flush()
            for inf in influencers[i::4]:
                s.add(
                    CampaignInfluencer(
                        campaign_id=camp.id,
                        influencer_id=inf.id,
                        posts=2,
                        reach=1000,
                        impressions=2000,
                        engagements=-3,
                        clicks=4,
                        conversions=1,
                        cost_cents=5000,
                    )
                )
    return Hostile(made.account_id, made.email, other.account_id, other.email, tuple(searches))


# --- What the database holds, read independently of the export code ------------------------


def stored_search_results(
    db: Database, account_id: int, search_ids: tuple[int, ...] | None = None
) -> list[dict[str, Any]]:
    rows = []
    with db.transaction() as s:
        query = (
            select(SavedSearch, SearchResult, Influencer)
            .join(SearchResult, SearchResult.search_id == SavedSearch.id)
            .join(Influencer, Influencer.id == SearchResult.influencer_id)
            .where(SavedSearch.account_id == account_id)
            .order_by(SavedSearch.id, SearchResult.rank, SearchResult.id)
        )
        if search_ids is not None:
            query = query.where(SavedSearch.id.in_(search_ids))
        for search, result, inf in s.execute(query):
            rows.append(
                {
                    "search_id": search.id,
                    "search_name": search.name,
                    "search_query": search.query,
                    "search_created_at": search.created_at,
                    "rank": result.rank,
                    "score": result.score,
                    "influencer_id": inf.id,
                    "handle": inf.handle,
                    "name": inf.name,
                    "platform": inf.platform,
                    "followers": inf.followers,
                    "engagement_rate": inf.engagement_rate,
                    "country": inf.country,
                }
            )
    return rows


def stored_influencers(
    db: Database, account_id: int, columns: tuple[str, ...] | None = None, scope: str = "all"
) -> list[dict[str, Any]]:
    columns = columns or INFLUENCER_DEFAULT_COLUMNS
    rows = []
    with db.transaction() as s:
        lists: dict[int, list[tuple[int, str]]] = {}
        for member, lst in s.execute(
            select(ListMember, InfluencerList).join(
                InfluencerList, InfluencerList.id == ListMember.list_id
            )
        ):
            lists.setdefault(member.influencer_id, []).append((lst.id, lst.name))
        campaigns: dict[int, list[tuple[int, str]]] = {}
        for ci, camp in s.execute(
            select(CampaignInfluencer, Campaign).join(
                Campaign, Campaign.id == CampaignInfluencer.campaign_id
            )
        ):
            campaigns.setdefault(ci.influencer_id, []).append((camp.id, camp.name))
        for inf in s.scalars(
            select(Influencer).where(Influencer.account_id == account_id).order_by(Influencer.id)
        ):
            if scope != "all" and inf.id not in lists and inf.id not in campaigns:
                continue
            full = {
                "id": inf.id,
                "name": inf.name,
                "handle": inf.handle,
                "platform": inf.platform,
                "followers": inf.followers,
                "engagement_rate": inf.engagement_rate,
                "country": inf.country,
                "categories": inf.categories,
                "contact_email": inf.contact_email,
                "notes": inf.notes,
                "unlocked_at": inf.unlocked_at,
                "lists": [name for _id, name in sorted(lists.get(inf.id, []))],
                "campaigns": [name for _id, name in sorted(campaigns.get(inf.id, []))],
            }
            rows.append({key: full[key] for key in columns})
    return rows


KINDS = {c.key: c.kind for c in (*SEARCH_RESULT_COLUMNS, *INFLUENCER_COLUMNS)}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


# --- Reading the files back, as a spreadsheet or a program would ---------------------------


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def read_xlsx(content: bytes) -> tuple[list[str], list[list[Any]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert "<f>" not in z.read(name).decode(), "no cell may be a formula"
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
        rows.append([cell.value for cell in row])
    width = len(rows[0])
    return rows[0], [r + [None] * (width - len(r)) for r in rows[1:]]


def excel_text(value: str) -> str:
    """What Excel shows for a stored string: OOXML escapes `_xHHHH_` are characters."""
    return EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), value)


def unprotect(cell: str) -> str:
    """The documented inverse of the formula protection: drop exactly one leading apostrophe."""
    return cell[1:] if cell.startswith("'") else cell


def csv_value(key: str, cell: str) -> Any:
    kind = KINDS[key]
    if kind == "int":
        return int(cell)
    if kind == "float":
        return float(cell)
    assert not cell.startswith(DANGEROUS), f"unprotected text cell {cell[:20]!r}"
    text = unprotect(cell)
    if kind == "time":
        return dt.datetime.fromisoformat(text)
    if kind == "names":
        return json.loads(text)
    return text


def xlsx_value(key: str, cell: Any) -> Any:
    kind = KINDS[key]
    if kind in ("int", "float"):
        assert isinstance(cell, int | float) and not isinstance(cell, bool), (key, cell)
        return cell
    if cell is None:
        return ""
    assert isinstance(cell, str), (key, cell)
    text = excel_text(cell)
    assert not text.startswith(DANGEROUS), f"unprotected text cell {text[:20]!r}"
    text = unprotect(text)
    if kind == "time":
        return dt.datetime.fromisoformat(text)
    if kind == "names":
        return json.loads(text)
    return text


def json_expected(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
        for row in rows
    ]


def parse(fmt: str, content: bytes) -> list[dict[str, Any]]:
    """The rows of an export file, with each value turned back into what was stored."""
    if fmt == "json":
        data = json.loads(content.decode("utf-8"))
        assert data["row_count"] == len(data["rows"])
        return data["rows"]
    header, rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    value = csv_value if fmt == "csv" else xlsx_value
    return [{k: value(k, cell) for k, cell in zip(header, row, strict=True)} for row in rows]


def expected_for(fmt: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json_expected(rows) if fmt == "json" else rows


# --- One GET through the portal's routes ---------------------------------------------------

APP = Starlette(routes=http.ROUTES)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def get(path: str, cookie: str | None = None, lang: str | None = None) -> Reply:
    """One GET through the ASGI app, as the browser sends it."""
    cookies = []
    if cookie:
        cookies.append(f"portal_session={cookie}")
    if lang:
        cookies.append(f"portal_lang={lang}")
    headers = [(b"cookie", "; ".join(cookies).encode())] if cookies else []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8501),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        asked = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not asked.is_set():
                asked.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the browser stays until the response is complete
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await APP(scope, receive, send)

    # in a thread of its own: a browser test may have left an event loop in this one
    worker = threading.Thread(target=lambda: asyncio.run(run()))
    worker.start()
    worker.join()
    start = sent[0]
    headers_out = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return Reply(start["status"], headers_out, body)
