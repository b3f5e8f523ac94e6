"""The ZIP archive of everything an account holds: the search results and influencers as CSV
and JSON, `account.json` (the account, plan, subscription, users, invoices, searches, lists,
campaigns and reports), the PDF report, every invoice as a PDF, and a README in the reader's
language.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.documents import invoices, report, report_data
from core.exports.request import (
    INFLUENCER_DEFAULT_COLUMNS,
    INFLUENCERS,
    JSON_FORMAT,
    SEARCH_RESULTS,
    ExportRequest,
    Progress,
    _validate,
)
from core.exports.sql import _stream
from core.exports.writers import _Meta, _write_dataset
from core.platform.i18n import fmt_number, t
from core.platform.models import (
    Account,
    Campaign,
    CampaignInfluencer,
    InfluencerList,
    Invoice,
    ListMember,
    Plan,
    Report,
    SavedSearch,
    SearchResult,
    Subscription,
    User,
)

ARCHIVE_FILES = (
    ("search_results.csv", ExportRequest(SEARCH_RESULTS, "csv")),
    ("search_results.json", ExportRequest(SEARCH_RESULTS, "json")),
    ("influencers.csv", ExportRequest(INFLUENCERS, "csv", columns=INFLUENCER_DEFAULT_COLUMNS)),
    ("influencers.json", ExportRequest(INFLUENCERS, "json", columns=INFLUENCER_DEFAULT_COLUMNS)),
)
ARCHIVE_REPORT = "report.pdf"
ARCHIVE_INVOICES = "invoices/"  # one PDF per invoice: invoices/<number>.pdf
ARCHIVE_ACCOUNT = "account.json"
ARCHIVE_README = "README.txt"


def _write_archive(s: Session, meta: _Meta, out: Any, progress: Progress) -> tuple[int, int]:
    counts: list[tuple[str, int]] = []
    steps = len(ARCHIVE_FILES) + 2
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for i, (member, request) in enumerate(ARCHIVE_FILES):
            request = _validate(request)
            info = _zip_info(member, meta.now)
            with archive.open(info, "w", force_zip64=True) as stream:
                n = _write_dataset(
                    s,
                    meta,
                    request,
                    request.fmt,
                    stream,
                    progress,
                    span=(i / steps, (i + 1) / steps),
                )
            counts.append((member, n))
        progress(len(ARCHIVE_FILES) / steps, "export.step.account")
        with archive.open(_zip_info(ARCHIVE_ACCOUNT, meta.now), "w", force_zip64=True) as stream:
            _write_account_json(s, meta, stream)
        progress((len(ARCHIVE_FILES) + 1) / steps, "export.step.report")
        data = report_data.collect_in(s, meta.account_id, now=meta.now)
        pdf = report.render(data, meta.lang)
        archive.writestr(_zip_info(ARCHIVE_REPORT, meta.now), pdf.content)
        invoice_files = _write_invoices(s, meta, archive)
        readme = _readme(meta, counts, pdf.pages, invoice_files)
        archive.writestr(_zip_info(ARCHIVE_README, meta.now), readme.encode("utf-8"))
    return counts[0][1] + counts[2][1], pdf.pages


def _write_invoices(s: Session, meta: _Meta, archive: zipfile.ZipFile) -> list[str]:
    """Every invoice of the account as `invoices/<number>.pdf`, in the archive's language."""
    sub = s.scalar(select(Subscription).where(Subscription.account_id == meta.account_id))
    names = []
    for row in s.scalars(
        select(Invoice)
        .where(Invoice.account_id == meta.account_id)
        .order_by(Invoice.issued_on, Invoice.id)
    ):
        doc = invoices.document(row, meta.company, sub.plan.name, sub.billing_interval)
        name = ARCHIVE_INVOICES + invoices.file_name(row.number)
        archive.writestr(_zip_info(name, meta.now), invoices.render(doc, meta.lang))
        names.append(name)
    return names


def _zip_info(name: str, now: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _write_account_json(s: Session, meta: _Meta, out: Any) -> None:
    """The account, plan, subscription, users and their settings, invoices, searches, lists
    (with members), campaigns (with each influencer's figures) and reports, as JSON."""
    account_id = meta.account_id
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    plan = s.get(Plan, sub.plan_id)
    head: dict[str, Any] = {
        "format": JSON_FORMAT,
        "what": "account",
        "exported_at": meta.now.isoformat(),
        "account": {
            "id": account.id,
            "company": account.company,
            "country": account.country,
            "created_at": _iso(account.created_at),
        },
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "monthly_price_cents": plan.monthly_price_cents,
            "currency": plan.currency,
            "limits": {
                "searches": plan.searches_limit,
                "unlocks": plan.unlocks_limit,
                "seats": plan.seats_limit,
                "campaigns": plan.campaigns_limit,
                "lists": plan.lists_limit,
            },
        },
        "subscription": {
            "status": sub.status,
            "billing_interval": sub.billing_interval,
            "price_cents": sub.price_cents,
            "currency": sub.currency,
            "started_at": _iso(sub.started_at),
            "current_period_start": _iso(sub.current_period_start),
            "current_period_end": _iso(sub.current_period_end),
            "cancel_requested_at": _iso(sub.cancel_requested_at),
            "ended_on": _iso(sub.ended_on),
        },
        "users": [
            {
                "email": u.email,
                "full_name": u.full_name,
                "role": u.role,
                "settings": {"language": u.language},
                "created_at": _iso(u.created_at),
            }
            for u in s.scalars(select(User).where(User.account_id == account_id).order_by(User.id))
        ],
        "invoices": [
            {
                "number": i.number,
                "issued_on": _iso(i.issued_on),
                "period_start": _iso(i.period_start),
                "period_end": _iso(i.period_end),
                "amount_cents": i.amount_cents,
                "currency": i.currency,
                "status": i.status,
            }
            for i in s.scalars(
                select(Invoice)
                .where(Invoice.account_id == account_id)
                .order_by(Invoice.issued_on, Invoice.id)
            )
        ],
        "searches": [
            {
                "id": row.id,
                "name": row.name,
                "query": row.query,
                "created_at": _iso(row.created_at),
                "results": row.n,
            }
            for row in s.execute(
                select(
                    SavedSearch.id,
                    SavedSearch.name,
                    SavedSearch.query,
                    SavedSearch.created_at,
                    func.count(SearchResult.id).label("n"),
                )
                .outerjoin(SearchResult, SearchResult.search_id == SavedSearch.id)
                .where(SavedSearch.account_id == account_id)
                .group_by(
                    SavedSearch.id, SavedSearch.name, SavedSearch.query, SavedSearch.created_at
                )
                .order_by(SavedSearch.id)
            )
        ],
        "reports": [
            {
                "id": r.id,
                "title": r.title,
                "kind": r.kind,
                "campaign_id": r.campaign_id,
                "created_at": _iso(r.created_at),
            }
            for r in s.scalars(
                select(Report).where(Report.account_id == account_id).order_by(Report.id)
            )
        ],
    }
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
    try:
        text.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2])
        # Lists and campaigns carry their members: written one at a time, as they are read.
        text.write(',\n  "lists": [')
        members = _stream(
            s,
            select(
                InfluencerList.id,
                InfluencerList.name,
                InfluencerList.created_at,
                ListMember.influencer_id,
                ListMember.added_at,
            )
            .outerjoin(ListMember, ListMember.list_id == InfluencerList.id)
            .where(InfluencerList.account_id == account_id)
            .order_by(InfluencerList.id, ListMember.influencer_id),
        )
        for n, (_id, group) in enumerate(groupby(members, key=lambda row: row[0])):
            rows = list(group)
            record = {
                "id": rows[0][0],
                "name": rows[0][1],
                "created_at": _iso(rows[0][2]),
                "members": [
                    {"influencer_id": r[3], "added_at": _iso(r[4])}
                    for r in rows
                    if r[3] is not None
                ],
            }
            text.write(("\n    " if n == 0 else ",\n    ") + json.dumps(record, ensure_ascii=False))
        text.write('\n  ],\n  "campaigns": [')
        figures = _stream(
            s,
            select(Campaign, CampaignInfluencer)
            .outerjoin(CampaignInfluencer, CampaignInfluencer.campaign_id == Campaign.id)
            .where(Campaign.account_id == account_id)
            .order_by(Campaign.id, CampaignInfluencer.influencer_id),
        )
        for n, (_id, group) in enumerate(groupby(figures, key=lambda row: row[0].id)):
            rows = list(group)
            c = rows[0][0]
            record = {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "start_date": _iso(c.start_date),
                "end_date": _iso(c.end_date),
                "budget_cents": c.budget_cents,
                "currency": c.currency,
                "influencers": [
                    {
                        "influencer_id": f.influencer_id,
                        "posts": f.posts,
                        "reach": f.reach,
                        "impressions": f.impressions,
                        "engagements": f.engagements,
                        "clicks": f.clicks,
                        "conversions": f.conversions,
                        "cost_cents": f.cost_cents,
                    }
                    for _c, f in rows
                    if f is not None
                ],
            }
            text.write(("\n    " if n == 0 else ",\n    ") + json.dumps(record, ensure_ascii=False))
        text.write("\n  ]\n}\n")
        text.flush()
    finally:
        text.detach()


def _readme(
    meta: _Meta, counts: list[tuple[str, int]], pages: int, invoice_files: Sequence[str] = ()
) -> str:
    lang = meta.lang
    rows = dict(counts)

    def n(value: int) -> str:
        return fmt_number(value, lang)

    lines = [
        t("export.readme.title", lang, company=meta.company),
        t("export.readme.date", lang, date=meta.now.date()),
        "",
        t("export.readme.files", lang),
        "",
    ]
    for member, key in (
        ("search_results.csv", "export.readme.search_results_csv"),
        ("search_results.json", "export.readme.search_results_json"),
        ("influencers.csv", "export.readme.influencers_csv"),
        ("influencers.json", "export.readme.influencers_json"),
    ):
        lines.append(f"- {member}: {t(key, lang, rows=n(rows[member]))}")
    lines.append(f"- {ARCHIVE_REPORT}: {t('export.readme.report', lang, pages=n(pages))}")
    for name in invoice_files:
        number = name.removeprefix(ARCHIVE_INVOICES).removesuffix(".pdf")
        lines.append(f"- {name}: {t('export.readme.invoice', lang, number=number)}")
    lines.append(f"- {ARCHIVE_ACCOUNT}: {t('export.readme.account', lang)}")
    lines.append(f"- {ARCHIVE_README}: {t('export.readme.readme', lang)}")
    lines += ["", t("export.readme.formats", lang), "", t("export.readme.protection", lang), ""]
    return "\r\n".join(lines)
