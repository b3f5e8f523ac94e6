"""A busy account, for the PDF report's benchmark and tests: one agency with hundreds of lists
and campaigns (500 of each by default, about 45 pages of report), named as people name them:
short and long names, in many scripts, some with emoji, each name once. `seed_busy` adds it to
a database (seeding the plans if needed) and leaves everything else as it is."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.platform.db import Database
from core.platform.models import Campaign, Influencer, InfluencerList, User
from core.rules import billing

from .names import CULTURE_WEIGHTS, CULTURES, draw_person, slug
from .plans import CURRENCY, ensure_plans, enterprise_customer
from .pools import CATEGORIES, EMAIL_DOMAINS, EMOJI, LIST_NAMES, PLATFORM_WEIGHTS, PLATFORMS
from .seeding import DEFAULT_SEED, reference_time
from .writer import (
    INFLUENCER_COLUMNS,
    PERFORMANCE_COLUMNS,
    bulk,
    lock_for_seeding,
    stamp,
    sync_sequences,
)

BUSY_CUSTOMER_EMAIL = "busy@demo.test"
BUSY_CUSTOMER_PASSWORD = "demo-busy"
BUSY_COMPANY = "Caravella Social — 多言語 Agency ✨"
BUSY_LISTS = 500
BUSY_CAMPAIGNS = 500
BUSY_INFLUENCERS = 2_000

# What lists and campaigns are about, in the languages agencies work in (each name is one of
# these with a qualifier, and a number when it would repeat).
TOPICS = (
    *(name.format(season="Spring", year=2026) for name in LIST_NAMES),
    "Creator beauty Milano", "Viaggi e lifestyle", "Influencers de moda", "Créatrices mode Paris",
    "Fitness-Influencer München", "Influenciadores de comida", "Блогеры о красоте",
    "Ελληνικοί δημιουργοί", "美妆达人", "ゲーム実況者", "뷰티 크리에이터", "مؤثرو الموضة",
    "יוצרי תוכן בתל אביב", "सौंदर्य क्रिएटर्स", "ครีเอเตอร์สายท่องเที่ยว", "Người sáng tạo Hà Nội",
    "🌸 Spring picks ✨", "Gamers 🎮🔥", "Foodies 🍝", "Family creators 👩‍👩‍👧",
    "Nordic outdoor 🇳🇴", "Coffee lovers ☕",
)  # fmt: skip
QUALIFIERS = (
    "2026", "Q3", "— shortlist", "(da confermare)", "Tier A", "nano", "IT/ES", "東京", "서울",
    "الرياض", "v2", "✅",
)  # fmt: skip
# Long names, as a brief pasted into the name field: wrapped in the report, never cut.
LONG_TOPICS = (
    "Shortlist for the autumn/winter collection launch across Italy, Spain and Portugal with "
    "micro and mid-tier creators who already worked with us and delivered on time",
    "Influencer selezionati per la campagna natalizia 2026 — budget approvato dal cliente, "
    "contratti in revisione legale, consegna dei contenuti entro il 10 dicembre",
    "日本とアジア太平洋地域のビューティー・ライフスタイル系クリエイター候補リスト（第二四半期キャンペーン用）",
    "Супер-длинное название списка блогеров для осенней кампании в Москве и Санкт-Петербурге "
    "с бюджетом на три месяца 🚀",
    "VeryLongUnbrokenCampaignCodeNameFromTheClientBriefWithoutAnySpacesAtAll_2026_Q4_EMEA_Final",
)  # fmt: skip
_THEMES = (
    "Spring Launch", "Summer Glow", "Back to School", "Black Friday", "Holiday Gifting",
    "Lancio Primavera", "Rebajas de Verano", "Rentrée", "Weihnachtsaktion", "Lançamento",
    "新品发布", "夏のキャンペーン", "겨울 세일", "حملة رمضان", "מבצע קיץ", "दिवाली ऑफ़र",
    "Чёрная пятница", "Brand Awareness 📣", "Product Seeding 🌱", "Always-on ✨",
)  # fmt: skip


@dataclass(frozen=True)
class BusySummary:
    account_id: int
    email: str
    influencers: int
    lists: int
    campaigns: int
    list_members: int
    campaign_members: int


def busy_names(count: int, topics: tuple[str, ...], rng: random.Random) -> list[str]:
    """`count` different names: topics with a qualifier, now and then a long one."""
    names: list[str] = []
    seen: set[str] = set()
    for n in range(count):
        if n % 50 == 7:
            name = LONG_TOPICS[(n // 50) % len(LONG_TOPICS)]
        else:
            name = f"{rng.choice(topics)} {rng.choice(QUALIFIERS)}"
        if name in seen:
            name = f"{name} #{n + 1}"
        seen.add(name)
        names.append(name[:200])
    return names


def seed_busy(
    db: Database,
    *,
    email: str = BUSY_CUSTOMER_EMAIL,
    lists: int = BUSY_LISTS,
    campaigns: int = BUSY_CAMPAIGNS,
    influencers: int = BUSY_INFLUENCERS,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
) -> BusySummary:
    """Add an agency (sign-in `email`, password `demo-busy`) with `influencers` influencers,
    `lists` lists of up to 40 of them and `campaigns` campaigns of up to 12, in one
    transaction. Raises ValueError when `email` is already there."""
    if min(lists, campaigns, influencers) < 0:
        raise ValueError("sizes must not be negative")
    now = reference_time(now)
    rng = random.Random(f"busy:{seed}")
    with db.transaction(write=True) as session:
        lock_for_seeding(session)
        if session.scalar(select(User.id).where(User.email == email)):
            raise ValueError(f"{email} is already there")
        account_id = _account(session, email, now)
        stamp_of = stamp(session.get_bind().dialect.name)
        ids = _influencers(session, account_id, influencers, rng, now, stamp_of)
        members = _lists(session, account_id, lists, ids, rng, now, stamp_of)
        performers = _campaigns(session, account_id, campaigns, ids, rng, now)
        if session.get_bind().dialect.name == "postgresql":
            sync_sequences(session, ("influencers", "lists", "campaigns"))
    return BusySummary(account_id, email, len(ids), lists, campaigns, members, performers)


def _account(session: Session, email: str, now: dt.datetime) -> int:
    today = now.date()
    anchor = billing.add_months(today, -26)
    account = enterprise_customer(
        session,
        ensure_plans(session)["enterprise"],
        company=BUSY_COMPANY,
        email=email,
        full_name="Elena Caravella",
        password=BUSY_CUSTOMER_PASSWORD,
        created_at=dt.datetime.combine(anchor, dt.time(9, 0), dt.UTC),
        period=billing.period_containing(anchor, billing.MONTH, today),
    )
    return account.id


def _next_id(session: Session, model: type) -> int:
    return (session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def _influencers(
    session: Session, account_id: int, count: int, rng: random.Random, now: dt.datetime,
    stamp_of: Callable[[float], str],
) -> list[int]:  # fmt: skip
    first = _next_id(session, Influencer)
    rows = []
    for i in range(first, first + count):
        person = draw_person(rng, rng.choices(CULTURES, CULTURE_WEIGHTS)[0])
        name = person.name if rng.random() > 0.08 else f"{person.name} {rng.choice(EMOJI)}"
        followers = min(5_000_000, max(1_000, int(math.exp(rng.gauss(math.log(25_000), 1.6)))))
        rate = round(min(12.0, max(0.5, 7.5 * (followers / 5_000) ** -0.22)), 2)
        handle = f"{slug(person.first_roman)}.{person.last_roman}"[:20] + str(i)
        rows.append(
            (i, account_id, handle, name, rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0], followers,
             rate, "IT", rng.choice(CATEGORIES), f"{handle}@{rng.choice(EMAIL_DOMAINS)}", "",
             stamp_of(now.timestamp() - rng.randint(86400, 700 * 86400)))
        )  # fmt: skip
    bulk(session, "influencers", INFLUENCER_COLUMNS, rows)
    return [row[0] for row in rows]


def _lists(
    session: Session, account_id: int, count: int, ids: list[int], rng: random.Random,
    now: dt.datetime, stamp_of: Callable[[float], str],
) -> int:  # fmt: skip
    first = _next_id(session, InfluencerList)
    rows, members = [], []
    for k, name in enumerate(busy_names(count, TOPICS, rng)):
        created = now.timestamp() - rng.randint(86400, 700 * 86400)
        rows.append((first + k, account_id, name, stamp_of(created)))
        for influencer in rng.sample(ids, min(len(ids), rng.randint(0, 40))):
            members.append((first + k, influencer, stamp_of(created + 3600)))
    bulk(session, "lists", ("id", "account_id", "name", "created_at"), rows)
    bulk(session, "list_members", ("list_id", "influencer_id", "added_at"), members)
    return len(members)


def _campaigns(
    session: Session, account_id: int, count: int, ids: list[int], rng: random.Random,
    now: dt.datetime,
) -> int:  # fmt: skip
    first = _next_id(session, Campaign)
    rows, performance = [], []
    today = now.date()
    for k, name in enumerate(busy_names(count, _THEMES, rng)):
        start = today + dt.timedelta(days=rng.randint(-900, 60))
        end = start + dt.timedelta(days=rng.randint(14, 75))
        status = "planned" if start > today else "active" if end >= today else "completed"
        rows.append(
            (first + k, account_id, name, status, start.isoformat(), end.isoformat(),
             rng.randint(5, 500) * 10_000, CURRENCY)
        )  # fmt: skip
        if status == "planned":
            continue
        for influencer in rng.sample(ids, min(len(ids), rng.randint(0, 12))):
            reach = rng.randint(1_000, 400_000)
            performance.append(
                (first + k, influencer, rng.randint(1, 4), reach, int(reach * 1.8),
                 int(reach * 0.05), int(reach * 0.004), int(reach * 0.0002),
                 rng.randint(100, 2_000) * 100)
            )  # fmt: skip
    columns = ("id", "account_id", "name", "status", "start_date", "end_date", "budget_cents")
    bulk(session, "campaigns", (*columns, "currency"), rows)
    bulk(session, "campaign_influencers", PERFORMANCE_COLUMNS, performance)
    return len(performance)
