"""Rich, realistic demo data: one call fills an empty database.

Everything is drawn from a seeded `random.Random` and derived from a reference time `now`, so
the same seed, sizes and `now` always give the same data, and the dates always look current.
The data covers every screen: customer accounts with subscriptions, invoices, influencers in
many scripts, saved searches, lists, campaigns and reports, plus twelve months of cancellation
flows (survey answers, retention offers, support requests, audit entries) for the insights.

Rows are built in memory with their ids assigned here, then written with one bulk INSERT per
table; on PostgreSQL the id sequences are moved past the seeded rows afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import secrets
import string
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.identity.passwords import hash_password
from core.platform.db import Database
from core.platform.errors import DatabaseUnavailable
from core.platform.models import (
    OFFER_NONE,
    ROLE_ADMIN,
    ROLE_CUSTOMER,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PURGED,
    STATUS_SCHEDULED,
    SURVEY_ANSWERED,
    SURVEY_NONE,
    SURVEY_SKIPPED,
    Account,
    AuditEntry,
    Base,
    Campaign,
    CampaignInfluencer,
    CancellationFlow,
    FlowStep,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    Plan,
    Report,
    RetentionOffer,
    SavedSearch,
    SearchResult,
    Subscription,
    SupportRequest,
    SurveyAnswer,
    User,
    offer_state,
    stage_bit,
)
from core.rules import billing

DEMO_CUSTOMER_EMAIL = "customer@demo.test"
DEMO_CUSTOMER_PASSWORD = "demo-customer"
DEMO_ADMIN_EMAIL = "admin@demo.test"
DEMO_ADMIN_PASSWORD = "demo-admin"

DEMO_COMPANY = "Lumière & Co. Agency"
CURRENCY = "USD"

DEFAULT_SEED = 42
DEFAULT_ACCOUNTS = 300
DEFAULT_INFLUENCERS_PER_ACCOUNT = 20

Row = dict[str, Any]


@dataclass(frozen=True)
class SeedSummary:
    """How many rows of each kind one seeding wrote."""

    accounts: int
    users: int
    influencers: int
    searches: int
    lists: int
    campaigns: int
    reports: int
    invoices: int
    flows: int
    survey_answers: int


@dataclass(frozen=True)
class PlanSpec:
    """One plan of the catalogue: monthly price in cents and the limits per billing cycle."""

    code: str
    name: str
    monthly_price_cents: int
    searches_limit: int
    unlocks_limit: int
    seats_limit: int
    campaigns_limit: int
    lists_limit: int


PLANS = (
    PlanSpec("starter", "Starter", 9800, 100, 50, 1, 2, 5),
    PlanSpec("growth", "Growth", 24900, 500, 300, 3, 5, 20),
    PlanSpec("pro", "Pro", 49900, 2000, 1000, 10, 20, 100),
    PlanSpec("enterprise", "Enterprise", 129900, 10000, 5000, 50, 100, 500),
)


# --- Public API --------------------------------------------------------------------------


def ensure_plans(session: Session) -> dict[str, Plan]:
    """Insert the plans of the catalogue that are missing; return every plan by code."""
    existing = {plan.code: plan for plan in session.scalars(select(Plan))}
    for spec in PLANS:
        if spec.code not in existing:
            plan = Plan(**asdict(spec), currency=CURRENCY, is_custom=False)
            session.add(plan)
            existing[spec.code] = plan
    session.flush()
    return existing


def is_seeded(db: Database) -> bool:
    """True once any account exists."""
    with db.transaction() as session:
        return session.scalar(select(Account.id).limit(1)) is not None


def seed(
    db: Database,
    *,
    seed: int = DEFAULT_SEED,
    accounts: int = DEFAULT_ACCOUNTS,
    influencers_per_account: int = DEFAULT_INFLUENCERS_PER_ACCOUNT,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Write the demo data in one transaction; meant for an empty database.

    `accounts` customer accounts are generated besides the demo customer's; those whose data was
    already purged by `now` leave only their anonymised cancellation flow, so the summary counts
    fewer stored accounts. On a database that already holds data it adds more: the demo logins
    and their account are kept as they are, and no name or number collides with a stored one.
    """
    with db.transaction() as session:
        _lock_for_seeding(session)
        return _seed_session(session, seed, accounts, influencers_per_account, _utc(now))


def seed_if_empty(db: Database, *, now: dt.datetime | None = None) -> SeedSummary | None:
    """Seed with the defaults unless an account exists; None when nothing was written.

    Safe when several processes start at once: the check and the seeding share one transaction
    that first takes a lock (a PostgreSQL advisory lock, SQLite's write lock), so the others wait
    and then find the data there.
    """
    reference = _utc(now)
    for attempt in range(_SQLITE_LOCK_ATTEMPTS):
        try:
            with db.transaction() as session:
                _lock_for_seeding(session)
                if session.scalar(select(Account.id).limit(1)) is not None:
                    return None
                return _seed_session(
                    session,
                    DEFAULT_SEED,
                    DEFAULT_ACCOUNTS,
                    DEFAULT_INFLUENCERS_PER_ACCOUNT,
                    reference,
                )
        except IntegrityError:
            return None  # a concurrent seeder got there first
        except DatabaseUnavailable as exc:
            busy = db.dialect == "sqlite" and "locked" in str(exc.__cause__)
            if not busy or attempt == _SQLITE_LOCK_ATTEMPTS - 1:
                raise
    return None  # pragma: no cover - the loop always returns or raises


# --- Seeding machinery -------------------------------------------------------------------

_ADVISORY_LOCK_KEY = 7302  # core.platform.db.migrate uses 7301
_SQLITE_LOCK_ATTEMPTS = 6  # each waits SQLite's busy_timeout (10 s) for the write lock

# Tables whose ids other rows refer to: the builder assigns their ids itself.
_ID_TABLES: tuple[type[Base], ...] = (
    Account,
    User,
    Subscription,
    Influencer,
    SavedSearch,
    InfluencerList,
    Campaign,
)
_INSERT_ORDER: tuple[type[Base], ...] = (
    Account,
    User,
    Subscription,
    Invoice,
    Influencer,
    SavedSearch,
    SearchResult,
    InfluencerList,
    ListMember,
    Campaign,
    CampaignInfluencer,
    Report,
    CancellationFlow,
    FlowStep,
    SurveyAnswer,
    RetentionOffer,
    SupportRequest,
    AuditEntry,
)


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def _lock_for_seeding(session: Session) -> None:
    """Serialise seeders: whoever holds this lock sees the others' committed work."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    else:  # SQLite: a write statement takes the database's write lock until commit
        session.execute(text("UPDATE plans SET code = code WHERE 1 = 0"))


def _seed_session(
    session: Session, seed: int, accounts: int, influencers_per_account: int, now: dt.datetime
) -> SeedSummary:
    if accounts < 0 or influencers_per_account < 0:
        raise ValueError("sizes must not be negative")
    plans = ensure_plans(session)
    existing = _Existing.load(session)
    builder = _Builder(random.Random(seed), now, plans, existing, influencers_per_account)
    builder.build(accounts)
    for model in _INSERT_ORDER:
        rows = builder.rows.get(model)
        if rows:
            session.execute(insert(model), rows)
    if session.get_bind().dialect.name == "postgresql":
        _sync_sequences(session)
    return builder.summary()


def _sync_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past the ids the builder assigned."""
    for model in _ID_TABLES:
        table = model.__tablename__  # our own table names, not user input
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


@dataclass
class _Existing:
    """What the database already holds, so that seeding more data collides with none of it."""

    next_ids: dict[type[Base], int]
    admin_id: int | None
    emails: set[str]
    companies: set[str]
    flow_ids: set[str]
    confirmations: set[str]
    invoices_per_year: dict[int, int]

    @classmethod
    def load(cls, session: Session) -> _Existing:
        next_ids = {
            model: (session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
            for model in _ID_TABLES
        }
        invoices_per_year: dict[int, int] = defaultdict(int)
        for number in session.scalars(select(Invoice.number)):
            if match := re.fullmatch(r"INV-(\d{4})-(\d+)", number):
                year, n = int(match[1]), int(match[2])
                invoices_per_year[year] = max(invoices_per_year[year], n)
        flows = session.execute(select(CancellationFlow.id, CancellationFlow.confirmation_number))
        flow_ids, confirmations = set(), set()
        for flow_id, confirmation in flows:
            flow_ids.add(flow_id)
            confirmations.add(confirmation)
        return cls(
            next_ids=next_ids,
            admin_id=session.scalar(select(User.id).where(User.email == DEMO_ADMIN_EMAIL)),
            emails=set(session.scalars(select(User.email))),
            companies=set(session.scalars(select(Account.company))),
            flow_ids=flow_ids,
            confirmations=confirmations,
            invoices_per_year=invoices_per_year,
        )


# --- Name pools ----------------------------------------------------------------------------
# Entries in a non-Latin script are written "native/roman"; the roman part builds handles and
# email addresses. Latin entries are folded to ASCII for that.


@dataclass(frozen=True)
class _Culture:
    key: str
    weight: int
    countries: tuple[str, ...]
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    male_surnames: tuple[str, ...] = ()  # when surnames differ by gender
    family_first: bool = False
    joiner: str = " "


_CULTURES = (
    _Culture(
        "italian",
        14,
        ("IT",),
        ("Chiara", "Giulia", "Francesca", "Sofia", "Aurora", "Martina", "Beatrice", "Noemi"),
        ("Luca", "Matteo", "Niccolò", "Lorenzo", "Gabriele", "Tommaso", "Davide", "Federico"),
        ("Bianchi", "Rossi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino",
         "Greco", "Bruno", "Conti", "De Luca", "Mancini", "Giordano", "Moretti", "D'Angelo"),
    ),
    _Culture(
        "spanish",
        11,
        ("ES", "MX", "AR", "CO"),
        ("María", "Lucía", "Sofía", "Valentina", "Inés", "Ximena", "Begoña", "Paula"),
        ("José", "Alejandro", "Íñigo", "Andrés", "Sebastián", "Diego", "Jesús", "Álvaro"),
        ("Núñez", "García", "Martínez", "López", "Fernández", "González", "Rodríguez",
         "Sánchez", "Pérez", "Gómez", "Díaz", "Muñoz", "Jiménez", "Hernández", "Peña"),
    ),
    _Culture(
        "french",
        8,
        ("FR", "BE", "CA"),
        ("Zoé", "Léa", "Chloé", "Camille", "Inès", "Manon", "Éloïse", "Océane", "Clémence"),
        ("François", "Théo", "Hugo", "Maël", "Jérôme", "Noé", "Benoît", "Raphaël", "Étienne"),
        ("Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Rousseau", "Mercier", "Fontaine",
         "Chevalier", "Lemaître", "Gauthier", "Pélissier"),
    ),
    _Culture(
        "german",
        6,
        ("DE", "AT", "CH"),
        ("Zoë", "Lena", "Jana", "Mia", "Leonie", "Hannah", "Käthe", "Marlene"),
        ("Jürgen", "Lukas", "Jonas", "Felix", "Björn", "Maximilian", "Sören", "Moritz"),
        ("Müller", "Schröder", "Groß", "Weiß", "Schäfer", "Krüger", "Köhler", "Fischer",
         "Wagner", "Becker", "Hoffmann", "Böhm", "Jäger"),
    ),
    _Culture(
        "portuguese",
        8,
        ("PT", "BR"),
        ("Conceição", "Beatriz", "Inês", "Mariana", "Letícia", "Júlia", "Luísa", "Fernanda"),
        ("João", "Tomás", "Gonçalo", "Luís", "Sebastião", "Thiago", "Caio", "Antônio"),
        ("Gonçalves", "Araújo", "Simões", "Magalhães", "Silva", "Santos", "Ferreira",
         "Pereira", "Oliveira", "Costa", "Rodrigues", "Almeida"),
    ),
    _Culture(
        "english",
        12,
        ("US", "GB", "IE", "AU", "CA"),
        ("Emma", "Olivia", "Ava", "Charlotte", "Amelia", "Grace", "Harper", "Maya"),
        ("James", "Oliver", "Liam", "Noah", "Ethan", "Jack", "Harry", "Samuel"),
        ("Johnson", "Smith", "Williams", "Brown", "Taylor", "Davies", "Evans", "Walker",
         "Wright", "Thompson", "Robinson", "Clarke", "Hughes", "Murphy", "O'Brien"),
    ),
    _Culture(
        "dutch",
        3,
        ("NL", "BE"),
        ("Sanne", "Fleur", "Lotte", "Noor", "Anouk", "Eva"),
        ("Daan", "Bram", "Sem", "Jesse", "Thijs", "Ruben"),
        ("de Vries", "van Dijk", "Bakker", "Jansen", "Visser", "Smit", "de Jong", "Mulder"),
    ),
    _Culture(
        "nordic",
        2,
        ("SE", "DK", "NO"),
        ("Åsa", "Linnéa", "Freja", "Maja", "Ingrid"),
        ("Björn", "Søren", "Anders", "Mikkel", "Oskar"),
        ("Andersson", "Johansson", "Nielsen", "Jørgensen", "Lindqvist", "Sjöberg"),
    ),
    _Culture(
        "polish",
        2,
        ("PL",),
        ("Zofia", "Małgorzata", "Agnieszka", "Katarzyna"),
        ("Łukasz", "Paweł", "Michał", "Wojciech"),
        ("Kowalska", "Wiśniewska", "Wójcik", "Nowak", "Lewandowska"),
        ("Kowalski", "Wiśniewski", "Wójcik", "Nowak", "Lewandowski"),
    ),
    _Culture(
        "turkish",
        4,
        ("TR",),
        ("Elif", "Çağla", "Zeynep", "Ayşe", "Büşra", "Gülşen", "İrem", "Ece"),
        ("Emre", "Mehmet", "Oğuz", "Barış", "Burak", "Çağrı", "Kerem", "İbrahim"),
        ("Yılmaz", "Öztürk", "Şahin", "Çelik", "Aydın", "Kaya", "Demir", "Güneş", "Arslan"),
    ),
    _Culture(
        "vietnamese",
        2,
        ("VN",),
        ("Lan", "Hương", "Thảo", "Ngọc", "Linh"),
        ("Minh", "Dũng", "Tuấn", "Quang", "Huy"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"),
        family_first=True,
    ),
    _Culture(
        "russian",
        7,
        ("RU", "KZ", "UA"),
        ("Анна/anna", "Мария/maria", "Екатерина/ekaterina", "Ольга/olga", "Дарья/darya",
         "Алина/alina", "Полина/polina", "Ксения/ksenia"),
        ("Дмитрий/dmitry", "Алексей/alexey", "Иван/ivan", "Сергей/sergey", "Никита/nikita",
         "Артём/artyom", "Максим/maxim", "Михаил/mikhail"),
        ("Иванова/ivanova", "Смирнова/smirnova", "Кузнецова/kuznetsova", "Попова/popova",
         "Соколова/sokolova", "Волкова/volkova", "Морозова/morozova", "Лебедева/lebedeva"),
        ("Иванов/ivanov", "Смирнов/smirnov", "Кузнецов/kuznetsov", "Попов/popov",
         "Соколов/sokolov", "Волков/volkov", "Морозов/morozov", "Лебедев/lebedev"),
    ),
    _Culture(
        "greek",
        3,
        ("GR", "CY"),
        ("Μαρία/maria", "Ελένη/eleni", "Κατερίνα/katerina", "Σοφία/sofia", "Δήμητρα/dimitra"),
        ("Νίκος/nikos", "Γιώργος/giorgos", "Κώστας/kostas", "Δημήτρης/dimitris",
         "Γιάννης/giannis"),
        ("Παπαδοπούλου/papadopoulou", "Παπαδάκη/papadaki", "Γεωργίου/georgiou",
         "Οικονόμου/oikonomou", "Βλάχου/vlachou"),
        ("Παπαδόπουλος/papadopoulos", "Παπαδάκης/papadakis", "Γεωργίου/georgiou",
         "Οικονόμου/oikonomou", "Βλάχος/vlachos"),
    ),
    _Culture(
        "japanese",
        6,
        ("JP",),
        ("花子/hanako", "陽菜/hina", "さくら/sakura", "美咲/misaki", "結衣/yui", "葵/aoi"),
        ("翔太/shota", "大翔/hiroto", "蓮/ren", "悠真/yuma", "健太/kenta", "拓海/takumi"),
        ("佐藤/sato", "鈴木/suzuki", "高橋/takahashi", "田中/tanaka", "伊藤/ito",
         "渡辺/watanabe", "山本/yamamoto", "中村/nakamura", "小林/kobayashi"),
        family_first=True,
    ),
    _Culture(
        "chinese",
        5,
        ("CN", "TW", "SG", "HK"),
        ("芳/fang", "静/jing", "丽/li", "敏/min", "婷/ting", "欣怡/xinyi", "雨桐/yutong"),
        ("伟/wei", "强/qiang", "磊/lei", "洋/yang", "浩然/haoran", "子轩/zixuan", "俊杰/junjie"),
        ("王/wang", "李/li", "张/zhang", "刘/liu", "陈/chen", "杨/yang", "黄/huang", "赵/zhao"),
        family_first=True,
        joiner="",
    ),
    _Culture(
        "korean",
        5,
        ("KR",),
        ("민지/minji", "서연/seoyeon", "지우/jiwoo", "하은/haeun", "수아/sua", "예린/yerin"),
        ("민준/minjun", "서준/seojun", "도윤/doyun", "하준/hajun", "지호/jiho", "현우/hyunwoo"),
        ("김/kim", "이/lee", "박/park", "최/choi", "정/jung", "강/kang", "조/cho", "윤/yoon"),
        family_first=True,
        joiner="",
    ),
    _Culture(
        "arabic",
        6,
        ("AE", "SA", "EG", "MA", "JO", "LB"),
        ("ليلى/layla", "فاطمة/fatima", "نور/nour", "مريم/mariam", "سارة/sara",
         "ياسمين/yasmin", "هدى/huda", "رنا/rana"),
        ("أحمد/ahmed", "محمد/mohamed", "عمر/omar", "يوسف/youssef", "خالد/khaled",
         "كريم/karim", "علي/ali", "حسن/hassan"),
        ("حسن/hassan", "منصور/mansour", "خليل/khalil", "سعيد/saeed", "عبدالله/abdullah",
         "نصار/nassar", "حداد/haddad"),
    ),
    _Culture(
        "hebrew",
        2,
        ("IL",),
        ("נועה/noa", "מאיה/maya", "תמר/tamar", "שירה/shira", "יעל/yael"),
        ("איתי/itai", "יונתן/yonatan", "אורי/ori", "דניאל/daniel", "עומר/omer"),
        ("כהן/cohen", "לוי/levi", "מזרחי/mizrahi", "פרץ/peretz", "ביטון/biton"),
    ),
    _Culture(
        "hindi",
        5,
        ("IN",),
        ("प्रिया/priya", "अनन्या/ananya", "दिव्या/divya", "नेहा/neha", "पूजा/pooja"),
        ("राहुल/rahul", "अर्जुन/arjun", "विक्रम/vikram", "रोहन/rohan", "आदित्य/aditya"),
        ("शर्मा/sharma", "वर्मा/verma", "गुप्ता/gupta", "पटेल/patel", "सिंह/singh", "मेहता/mehta"),
    ),
)  # fmt: skip
_CULTURE_BY_KEY = {culture.key: culture for culture in _CULTURES}
_CULTURE_WEIGHTS = tuple(culture.weight for culture in _CULTURES)

# Account countries (the demo's main markets first) and the culture their people come from.
_ACCOUNT_COUNTRIES = (
    ("IT", 18), ("US", 14), ("ES", 10), ("GB", 9), ("FR", 8), ("DE", 8), ("BR", 5), ("PT", 4),
    ("NL", 4), ("MX", 4), ("JP", 4), ("CA", 2), ("AU", 2), ("SE", 1), ("CH", 1), ("BE", 1),
    ("AT", 1), ("IE", 1), ("AR", 1), ("CO", 1), ("PL", 1), ("DK", 1), ("AE", 1), ("KR", 1),
)  # fmt: skip
_HOME_CULTURE = {
    "IT": "italian", "ES": "spanish", "MX": "spanish", "AR": "spanish", "CO": "spanish",
    "FR": "french", "BE": "french", "DE": "german", "AT": "german", "CH": "german",
    "PT": "portuguese", "BR": "portuguese", "NL": "dutch", "SE": "nordic", "DK": "nordic",
    "PL": "polish", "JP": "japanese", "KR": "korean", "AE": "arabic",
}  # fmt: skip
_COMPANY_LANGUAGE = {
    "IT": "it", "ES": "es", "MX": "es", "AR": "es", "CO": "es", "FR": "fr", "BE": "fr",
    "DE": "de", "AT": "de", "CH": "de", "PT": "pt", "BR": "pt", "NL": "nl", "JP": "ja",
}  # fmt: skip
_COMPANY_ROOTS = {
    "it": ("Riflesso", "Bottega Luce", "Nuvola", "Gioia", "Fiordaliso", "Vela", "Colle Verde",
           "Dolce Forma", "Aurora", "Stella Marina", "Ca' Rossa", "Solaria"),
    "es": ("Núcleo", "Brisa", "Alma", "Solera", "Marea", "Pura Vida", "Azahar", "Cumbre",
           "Jazmín", "Olivar"),
    "fr": ("Céleste", "Belle Époque", "Atelier Noé", "Maison Élise", "Côte Sauvage",
           "Papillon", "Bohème", "Rivière"),
    "de": ("Nordlicht", "Blütezeit", "Wunderkammer", "Grünwald", "Sonnenschein", "Fernweh",
           "Bergkristall", "Glückspilz"),
    "pt": ("Maré", "Saudade", "Açaí", "Ipê", "Sol Nascente", "Brisa do Mar", "Jabuticaba",
           "Cais"),
    "nl": ("Tulp", "Gracht", "Vonk", "Polder", "Zeewind", "Molen"),
    "ja": ("Sakura", "Kumo", "Hoshi", "Midori", "Tsuki", "Hanabi"),
    "en": ("Brightside", "Northstar", "Bluebird", "Kindred", "Oakwood", "Silverline",
           "Wildflower", "Harbor & Vine", "Golden Hour", "Maple Street", "Ember", "Tidewater",
           "Fernhill", "Copperleaf", "Moonrise", "Little Fox"),
}  # fmt: skip
_BRAND_FORMS = (
    "{} Cosmetics", "{} Skincare", "{} Apparel", "{} Coffee", "{} Outdoor", "{} Swimwear",
    "{} Beauty", "{} Foods", "{} Games", "{} Fitness", "{} Travel", "{} Home", "{} Jewelry",
    "{} Pet Co.", "{} Eyewear", "{} Organics",
)  # fmt: skip
_AGENCY_FORMS = {
    "it": ("Agenzia {}", "{} Comunicazione", "{} Digital"),
    "es": ("Estudio {}", "{} Agencia", "{} Social"),
    "fr": ("Agence {}", "{} Studio"),
    "de": ("{} Media GmbH", "{} Agentur"),
    "pt": ("Agência {}", "{} Digital"),
    "nl": ("{} Media B.V.", "Bureau {}"),
    "ja": ("{} Creative", "{} Media"),
    "en": ("{} Social Agency", "{} Media", "{} Talent Agency", "{} & Partners", "{} Creative Co."),
}

_PLATFORMS = ("instagram", "tiktok", "youtube", "twitch", "x", "facebook")
_PLATFORM_WEIGHTS = (35, 25, 18, 6, 8, 8)
_PLATFORM_ENGAGEMENT = {
    "instagram": 1.0, "tiktok": 1.35, "youtube": 0.8, "twitch": 0.9, "x": 0.5, "facebook": 0.5,
}  # fmt: skip
_CATEGORIES = (
    "beauty", "fashion", "travel", "food", "fitness", "gaming", "tech", "music", "parenting",
    "sports", "lifestyle", "wellness", "pets", "home", "education", "comedy",
)  # fmt: skip
_FOLLOWER_TIERS = (
    (1_000_000, "mega"), (250_000, "macro"), (50_000, "mid-tier"), (10_000, "micro"),
    (1_000, "nano"),
)  # fmt: skip
_EMOJI = ("✨", "🌸", "🌿", "🔥", "💄", "🎮", "✈️", "🍝", "💪", "🎧", "📸", "🌍", "☕", "🐾", "🌙")
_EMOJI_SHARE = 0.08
_HOME_SHARE = 0.35  # share of an account's influencers from its own country's culture
_EMAIL_DOMAINS = ("talent.example", "mail.example", "creators.example", "studio.example")
_INFLUENCER_NOTES = (
    "Great fit for the spring launch.",
    "Ha già lavorato con noi — ottimi risultati 👍",
    "Prefers contact via DM.",
    "Tarifa: 450 € por publicación.",
    "Audience mostly 18-24, female.",
    "Chiedere media kit aggiornato.",
    "Exclusive with a competitor until Q3.",
    "+39 347 555 0199 (agent)",
    "=Top performer in Q1",
    "@manager handles all contracts",
    "Very responsive; sends drafts on time.",
    "Répond en français et en anglais.",
    "Needs product samples shipped to Lisbon.",
    "日本語と英語で対応可能",
    "Не работает с алкогольными брендами.",
    "Vegan products only 🌱",
    "Rate card: $1,200 per Reel, $800 per TikTok.",
    "Sehr professionell, liefert pünktlich.",
)
_LIST_NAMES = (
    "Shortlist {season} {year}", "Top micro-influencers", "Beauty creators", "Gaming streamers",
    "Travel & lifestyle", "Brand ambassadors", "Da contattare", "Favoritos", "Già collaborato",
    "Do not contact", "UGC creators", "TikTok rising stars", "Foodies {year}",
)  # fmt: skip
_CAMPAIGN_THEMES = (  # by the month a campaign starts in; "any" fits every month
    ((3, 4, 5), ("Spring Launch", "Lancio Primavera", "Easter Treats", "Spring Refresh")),
    ((6, 7, 8), ("Summer Glow", "Saldi Estivi", "Rebajas de Verano", "Festival Season")),
    ((9, 10), ("Back to School", "Vuelta al Cole", "Autumn Drop", "Rientro")),
    ((11,), ("Black Friday", "Singles' Day", "Holiday Gifting")),
    ((12, 1, 2), ("Holiday Gifting", "Natale", "New Year, New You", "Winter Sale")),
    ((), ("Brand Awareness", "Product Seeding", "Always-on Ambassadors", "New Collection")),
)
_PLATFORM_LABELS = {
    "instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube", "twitch": "Twitch",
    "x": "X", "facebook": "Facebook",
}  # fmt: skip
_COMPETITOR_BRANDS = (
    "Glowhaus", "Velluto Beauty", "Trailmark Outdoor", "Nova Sips", "PixelPeak Games",
    "Maison Verte", "Kumo Tea", "Brisa Swim",
)  # fmt: skip
_SEASONS = ("Spring", "Summer", "Autumn", "Winter")

# --- Cancellation flows -------------------------------------------------------------------

_FLOW_SHARE = 0.30
_MONTH_DAYS = 365.25 / 12
_OUTCOMES = ("completed", "saved_kept", "saved_offer", "abandoned")
_OUTCOME_WEIGHTS = (45, 15, 12, 28)
_SURVEY_SKIP_SHARE = 0.20
_CONFIGURATOR_SHARE = 0.30  # of flows that see the offer and are not saved by it
_STEP_DELAYS = {  # seconds after the previous step
    "survey_answered": (25, 240),
    "survey_skipped": (4, 30),
    "offer_shown": (2, 15),
    "configurator_opened": (8, 120),
    "plan_requested": (40, 420),
    "kept": (5, 90),
    "continued": (5, 120),
    "consents_given": (15, 150),
    "completed": (1, 6),
    "abandoned": (600, 3600),  # marked abandoned after a while without activity
}
_ABANDON_AFTER = {  # weight of abandoning right after each step
    "started": 20,
    "survey_answered": 25,
    "survey_skipped": 25,
    "offer_shown": 18,
    "configurator_opened": 10,
    "continued": 15,
    "consents_given": 4,
}
_REASONS = (
    "too_expensive",
    "missing_features",
    "not_using",
    "switching_tool",
    "one_campaign",
    "technical_issues",
    "other",
)
_REASON_WEIGHTS_YEAR_AGO = (32, 19, 14, 9, 10, 9, 7)
_REASON_WEIGHTS_NOW = (42, 12, 15, 14, 7, 4, 6)
_SATISFACTION_WEIGHTS = {  # for scores 1..5
    "too_expensive": (5, 15, 35, 30, 15),
    "missing_features": (10, 25, 35, 20, 10),
    "not_using": (5, 10, 35, 30, 20),
    "switching_tool": (15, 25, 30, 20, 10),
    "one_campaign": (2, 5, 25, 40, 28),
    "technical_issues": (30, 30, 25, 10, 5),
    "other": (10, 15, 35, 25, 15),
}
_FOLLOW_UPS = {
    "too_expensive": (
        "Budget cut for next quarter",
        "Renewal price too high for a small team",
        "Only need it a few months a year",
        "Costo troppo alto per una piccola agenzia",
        "El precio subió en la renovación",
        "Would stay at around $100/month",
    ),
    "missing_features": (
        "TikTok audience demographics",
        "Shopify integration",
        "Affiliate link tracking",
        "Bulk email outreach",
        "Public API access",
        "YouTube Shorts metrics",
        "Instagram Stories tracking",
        "Payments to creators",
    ),
    "not_using": (
        "Team too small to use it every week",
        "Only a few searches in the last months",
        "Our marketing lead left",
        "Campagne sospese fino a settembre",
        "Seasonal business: back next year",
    ),
    "switching_tool": (
        "Upfluence",
        "Aspire",
        "HypeAuditor",
        "Modash",
        "GRIN",
        "Klear",
        "Heepsy",
        "Traackr",
        "CreatorIQ",
    ),
    "one_campaign": (
        "Product launch is over",
        "Only needed it for the Christmas campaign",
        "Campagna di Natale conclusa",
        "Campaña de verano terminada",
        "Event campaign finished",
    ),
    "technical_issues": (
        "Exports time out on large lists",
        "Search results load slowly",
        "Login problems with our company SSO",
        "Metrics out of date for some profiles",
        "Il report PDF non si scarica",
    ),
    "other": (
        "Company is closing",
        "Merged with another agency",
        "Moving influencer marketing in-house",
        "Client contract ended",
        "Preferisco non dirlo",
    ),
}
_COMMENT_SHARE = 0.60
_COMMENTS = {
    "too_expensive": (
        "Il servizio è ottimo ma il prezzo è alto per noi.",
        "Demasiado caro para una agencia pequeña.",
        "Would love a cheaper plan with fewer searches.",
        "Needed more seats without jumping to the next plan.",
        "Budget is frozen until next year.",
    ),
    "missing_features": (
        "Please add TikTok audience data!",
        "Ci manca l'integrazione con Shopify.",
        "We need to track affiliate sales per creator.",
    ),
    "not_using": (
        "La herramienta es buena pero no la usamos lo suficiente.",
        "Too many features we never used.",
        "We'll be back for the autumn campaigns.",
    ),
    "switching_tool": (
        "Nos cambiamos a otra plataforma por las integraciones.",
        "The other tool came bundled with our CRM.",
        "Peccato, la ricerca funziona molto bene.",
    ),
    "one_campaign": (
        "Ci serviva solo per una campagna.",
        "No tenemos campañas previstas este año.",
        "Great for the launch, nothing planned after it.",
    ),
    "technical_issues": (
        "Exports were slow with big lists.",
        "The engagement numbers didn't always match Instagram's.",
        "Data on smaller creators was sometimes outdated.",
    ),
    "other": (
        "Our client paused all influencer work.",
        "Funziona bene, ma abbiamo cambiato strategia.",
    ),
    "generic": (
        "Great tool, just not for us right now.",
        "Support was always quick and kind.",
        "The reports were the best part 👍",
        "Grazie di tutto!",
        "Gracias por todo 🙏",
        "Ottimo per trovare micro-influencer in Italia.",
        "Interface is clean, but the learning curve was steep for the team.",
        "Keep up the good work ✨",
    ),
}
_UNDO_MESSAGES = (
    "Please undo my cancellation: we found budget for another quarter.",
    "Possiamo annullare la disdetta? Abbiamo un nuovo cliente.",
    "¿Podéis deshacer la cancelación? Fue un error.",
    "Clicked through by mistake, we want to keep the account.",
)
_CONFIRMATION_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


# --- Small helpers -------------------------------------------------------------------------

_ASCII_FOLD = str.maketrans(
    {"ı": "i", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "æ": "ae"}
)


def _ascii(value: str) -> str:
    """Latin text without accents: "Núñez" -> "Nunez", "Groß" -> "Gross"."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _slug(value: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits, other runs replaced by `sep`."""
    words = "".join(c if c.isalnum() else " " for c in _ascii(value).lower()).split()
    return sep.join(words)


def _split(entry: str) -> tuple[str, str]:
    """A pool entry as (native, roman)."""
    native, _, roman = entry.partition("/")
    return native, roman or _slug(native)


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def _tenure_band(created_at: dt.datetime, at: dt.datetime) -> str:
    days = (at - created_at).days
    if days < 183:
        return "<6m"
    if days < 365:
        return "6-12m"
    if days < 730:
        return "1-2y"
    return "2y+"


def _custom_plan_price(config: dict[str, int]) -> int:
    """A plausible monthly price for a configured plan, from $98/month, whole dollars."""
    cents = (
        9800
        + max(0, config["searches"] - 100) * 8
        + max(0, config["unlocks"] - 50) * 20
        + max(0, config["seats"] - 1) * 2500
        + max(0, config["campaigns"] - 2) * 400
    )
    return round(cents, -2)


def _matches(influencer: Row, query: dict[str, Any]) -> bool:
    return (
        influencer["platform"] == query["platform"]
        and influencer["country"] == query["country"]
        and influencer["followers"] >= query["min_followers"]
        and query["categories"][0] in influencer["categories"].split("; ")
    )


@dataclass(frozen=True)
class _Person:
    name: str
    first: str
    first_roman: str
    last_roman: str


@dataclass
class _AccountFacts:
    """What is decided about an account before any of its rows is built."""

    company: str
    slug: str
    country: str
    created_at: dt.datetime
    plan: Plan
    interval: str

    @property
    def started_at(self) -> dt.datetime:  # the subscription starts right after sign-up
        return self.created_at + dt.timedelta(minutes=17)

    @property
    def anchor(self) -> dt.date:
        return self.started_at.date()

    @property
    def price_cents(self) -> int:
        return billing.interval_price_cents(self.plan.monthly_price_cents, self.interval)


@dataclass(frozen=True)
class _Fate:
    """Where the subscription stands at `now`."""

    status: str
    period: tuple[dt.date, dt.date]
    effective_on: dt.date | None = None  # the end of access, for completed cancellations


@dataclass(frozen=True)
class _FlowFacts:
    id: str
    outcome: str
    months_ago: int
    steps: tuple[tuple[str, dt.datetime], ...]

    @property
    def started_at(self) -> dt.datetime:
        return self.steps[0][1]

    @property
    def finished_at(self) -> dt.datetime:
        return self.steps[-1][1]


@dataclass
class _AccountContext:
    """An account being filled with data."""

    id: int
    home: str | None  # the culture most of its people come from
    created_at: dt.datetime
    data_end: dt.datetime  # nothing happens after this (now, or the end of access)
    period_start: dt.date | None  # of the current billing cycle; None once ended
    subscription: Row
    influencers: list[Row] = field(default_factory=list)
    lists: list[Row] = field(default_factory=list)
    campaigns: list[Row] = field(default_factory=list)


# --- The builder ---------------------------------------------------------------------------


class _Builder:
    """Builds every row in memory, from one random generator, in a fixed order."""

    def __init__(
        self,
        rng: random.Random,
        now: dt.datetime,
        plans: dict[str, Plan],
        existing: _Existing,
        influencers_per_account: int,
    ) -> None:
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.plans = plans
        self.existing = existing
        self.next_ids = dict(existing.next_ids)
        self.influencers_per_account = influencers_per_account
        self.rows: dict[type[Base], list[Row]] = defaultdict(list)
        self.emails = set(existing.emails)
        self.companies = existing.companies | {DEMO_COMPANY}
        self.slugs = {_slug(company, "-") for company in self.companies}
        self.confirmations = set(existing.confirmations)
        self.flow_ids = set(existing.flow_ids)
        self.flow_slots: list[int] = []
        # Every generated user shares one password nobody knows; hashed once, cheaply.
        self.bulk_password_hash = hash_password(secrets.token_urlsafe(24), fast=True)
        self.admin_id = existing.admin_id or 0

    # -- orchestration

    def build(self, accounts: int) -> None:
        """The demo logins (unless they exist already), then the generated accounts."""
        if DEMO_ADMIN_EMAIL not in self.emails:
            admin = self._user(
                None,
                "Demo Admin",
                DEMO_ADMIN_EMAIL,
                None,
                self.now - dt.timedelta(days=3 * 365 + 30),
                password_hash=hash_password(DEMO_ADMIN_PASSWORD),
                role=ROLE_ADMIN,
            )
            self.admin_id = admin["id"]
        if DEMO_CUSTOMER_EMAIL not in self.emails:
            self._demo_customer_account()
        for _ in range(accounts):
            self._generated_account()
        self._number_invoices()

    def summary(self) -> SeedSummary:
        def count(model: type[Base]) -> int:
            return len(self.rows.get(model, ()))

        return SeedSummary(
            accounts=count(Account),
            users=count(User),
            influencers=count(Influencer),
            searches=count(SavedSearch),
            lists=count(InfluencerList),
            campaigns=count(Campaign),
            reports=count(Report),
            invoices=count(Invoice),
            flows=count(CancellationFlow),
            survey_answers=count(SurveyAnswer),
        )

    def _id(self, model: type[Base]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def _between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        if end <= start:
            return start
        seconds = int((end - start).total_seconds() * self.rng.random())
        return start + dt.timedelta(seconds=seconds)

    def _day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    # -- accounts

    def _demo_customer_account(self) -> None:
        # The current cycle ends in about twelve days; the account is about fourteen months old.
        anchor = billing.add_months(self.today + dt.timedelta(days=12), -14)
        created_at = _at(anchor, 9, 13)
        facts = _AccountFacts(
            DEMO_COMPANY,
            "lumiere-co",
            "IT",
            created_at,
            self.plans["growth"],
            billing.MONTH,
        )
        fate = _Fate(STATUS_ACTIVE, billing.period_containing(anchor, billing.MONTH, self.today))
        ctx = self._account(facts, fate)
        password_hash = hash_password(DEMO_CUSTOMER_PASSWORD)
        self._user(ctx.id, "Giulia Rossi", DEMO_CUSTOMER_EMAIL, None, created_at, password_hash)
        colleague_since = created_at + dt.timedelta(days=40)
        self._user(ctx.id, "Luca Ferri", "luca.ferri@lumiere-co.example", "it", colleague_since)
        self._influencers(ctx, 160, every_culture=True)
        self._searches(ctx, 7, in_period=3)
        self._lists(ctx, 5)
        self._campaigns(ctx, ("completed", "completed", "active", "planned"))
        self._reports(ctx, ("campaign", "campaign", "audience", "audience", "competitor"))

    def _generated_account(self) -> None:
        rng = self.rng
        facts = self._account_facts()
        flow = self._flow_facts(facts) if rng.random() < _FLOW_SHARE else None
        fate = self._fate(facts, flow)
        if fate.status == STATUS_PURGED:  # only the anonymised flow is left
            if flow is not None:
                self._flow_rows(flow, facts, fate, None, None)
            return
        ctx = self._account(facts, fate)
        owner = self._account_users(ctx, facts)
        self._generated_content(ctx, facts)
        if flow is not None:
            self._flow_rows(flow, facts, fate, ctx, owner)

    def _account_users(self, ctx: _AccountContext, facts: _AccountFacts) -> Row:
        """1-3 customer users (never more than the plan's seats); returns the owner."""
        rng = self.rng
        count = min(facts.plan.seats_limit, rng.choices((1, 2, 3), (55, 30, 15))[0])
        culture = _CULTURE_BY_KEY[ctx.home or "english"]
        users: list[Row] = []
        taken: set[str] = set()
        for n in range(count):
            person = self._person(culture)
            local = f"{_slug(person.first_roman)}.{person.last_roman}"
            while local in taken or f"{local}@{facts.slug}.example" in self.emails:
                local += str(n + 1)
            taken.add(local)
            joined = self._between(facts.created_at, ctx.data_end) if n else facts.created_at
            language = "it" if facts.country == "IT" else rng.choice((None, "en"))
            email = f"{local}@{facts.slug}.example"
            users.append(self._user(ctx.id, person.name, email, language, joined))
        return users[0]

    def _generated_content(self, ctx: _AccountContext, facts: _AccountFacts) -> None:
        rng = self.rng
        size = {"starter": 0.6, "growth": 1.0, "pro": 1.4, "enterprise": 1.8}[facts.plan.code]
        count = round(self.influencers_per_account * size * rng.uniform(0.6, 1.4))
        if self.influencers_per_account:
            count = max(count, 5)
        self._influencers(ctx, count)
        if not ctx.influencers:
            return
        in_period = 1 if ctx.period_start is not None else 0
        self._searches(ctx, rng.randint(1, 6), in_period=in_period)
        self._lists(ctx, rng.randint(1, min(5, facts.plan.lists_limit)))
        n_campaigns = rng.randint(0, min(4, facts.plan.campaigns_limit))
        self._campaigns(ctx, tuple(self._campaign_status(ctx) for _ in range(n_campaigns)))
        kinds = ("campaign", "audience", "competitor")
        self._reports(ctx, tuple(rng.choice(kinds) for _ in range(rng.randint(0, 4))))

    def _account_facts(self) -> _AccountFacts:
        rng = self.rng
        countries, weights = zip(*_ACCOUNT_COUNTRIES, strict=True)
        country = rng.choices(countries, weights)[0]
        company, slug = self._company(country)
        age = dt.timedelta(days=rng.uniform(10, 3 * 365), seconds=rng.randint(0, 86399))
        created_at = (self.now - age).replace(microsecond=0)
        plan_code = rng.choices(("starter", "growth", "pro", "enterprise"), (35, 35, 22, 8))[0]
        interval = billing.YEAR if rng.random() < 0.25 else billing.MONTH
        return _AccountFacts(company, slug, country, created_at, self.plans[plan_code], interval)

    def _company(self, country: str) -> tuple[str, str]:
        rng = self.rng
        language = _COMPANY_LANGUAGE.get(country, "en")
        for attempt in range(60):
            if attempt == 20:  # this country's names are used up: borrow English ones
                language = "en"
            forms = _AGENCY_FORMS[language] if rng.random() < 0.45 else _BRAND_FORMS
            name = rng.choice(forms).format(rng.choice(_COMPANY_ROOTS[language]))
            if attempt >= 40:
                name = f"{name} {rng.randint(2, 99)}"
            slug = _slug(name, "-")
            if name not in self.companies and slug not in self.slugs:
                self.companies.add(name)
                self.slugs.add(slug)
                return name, slug
        raise RuntimeError("ran out of company names")  # pragma: no cover

    def _fate(self, facts: _AccountFacts, flow: _FlowFacts | None) -> _Fate:
        current = billing.period_containing(facts.anchor, facts.interval, self.today)
        if flow is None or flow.outcome != "completed":
            return _Fate(STATUS_ACTIVE, current)
        at_flow = billing.period_containing(facts.anchor, facts.interval, flow.finished_at.date())
        effective_on = at_flow[1]
        if effective_on > self.today:  # still inside the cycle in which they cancelled
            return _Fate(STATUS_SCHEDULED, current, effective_on)
        if self.today < billing.data_deletion_date(effective_on):
            return _Fate(STATUS_ENDED, at_flow, effective_on)
        return _Fate(STATUS_PURGED, at_flow, effective_on)

    def _account(self, facts: _AccountFacts, fate: _Fate) -> _AccountContext:
        account_id = self._id(Account)
        self.rows[Account].append(
            {
                "id": account_id,
                "company": facts.company,
                "country": facts.country,
                "created_at": facts.created_at,
            }
        )
        ended = fate.status == STATUS_ENDED
        sub = {
            "id": self._id(Subscription),
            "account_id": account_id,
            "plan_id": facts.plan.id,
            "billing_interval": facts.interval,
            "price_cents": facts.price_cents,
            "currency": CURRENCY,
            "status": fate.status,
            "started_at": facts.started_at,
            "current_period_start": fate.period[0],
            "current_period_end": fate.period[1],
            "cancel_requested_at": None,
            "ended_on": fate.effective_on if ended else None,
        }
        self.rows[Subscription].append(sub)
        self._invoices(account_id, facts, fate)
        data_end = min(self.now, _at(fate.period[1], 0)) if ended else self.now
        return _AccountContext(
            id=account_id,
            home=_HOME_CULTURE.get(facts.country),
            created_at=facts.created_at,
            data_end=data_end,
            period_start=None if ended else fate.period[0],
            subscription=sub,
        )

    def _user(
        self,
        account_id: int | None,
        full_name: str,
        email: str,
        language: str | None,
        created_at: dt.datetime,
        password_hash: str | None = None,
        role: str = ROLE_CUSTOMER,
    ) -> Row:
        user = {
            "id": self._id(User),
            "account_id": account_id,
            "email": email,
            "full_name": full_name,
            "password_hash": password_hash or self.bulk_password_hash,
            "role": role,
            "language": language,
            "created_at": created_at,
        }
        self.rows[User].append(user)
        self.emails.add(email)
        return user

    def _invoices(self, account_id: int, facts: _AccountFacts, fate: _Fate) -> None:
        """One invoice per billing cycle begun so far; numbers are given at the end."""
        months = billing.period_months(facts.interval)
        n = 0
        while (start := billing.add_months(facts.anchor, n * months)) <= fate.period[0]:
            end = billing.add_months(facts.anchor, (n + 1) * months)
            recent = start == fate.period[0] and (self.today - start).days < 4
            is_open = recent and fate.status == STATUS_ACTIVE
            self.rows[Invoice].append(
                {
                    "account_id": account_id,
                    "number": "",
                    "issued_on": start,
                    "period_start": start,
                    "period_end": end,
                    "amount_cents": facts.price_cents,
                    "currency": CURRENCY,
                    "status": "open" if is_open else "paid",
                }
            )
            n += 1

    def _number_invoices(self) -> None:
        """Number invoices in date order, one sequence per year: INV-2026-000123."""
        invoices = self.rows[Invoice]
        invoices.sort(key=lambda row: (row["issued_on"], row["account_id"]))
        per_year = defaultdict(int, self.existing.invoices_per_year)
        for row in invoices:
            year = row["issued_on"].year
            per_year[year] += 1
            row["number"] = f"INV-{year}-{per_year[year]:06d}"

    # -- people

    def _person(self, culture: _Culture) -> _Person:
        rng = self.rng
        female = rng.random() < 0.55
        first, first_roman = _split(rng.choice(culture.female if female else culture.male))
        surnames = culture.male_surnames if culture.male_surnames and not female else None
        last, last_roman = _split(rng.choice(surnames or culture.surnames))
        parts = (last, first) if culture.family_first else (first, last)
        return _Person(culture.joiner.join(parts), first, first_roman, _slug(last_roman))

    def _handle(self, person: _Person, category: str, taken: set[str]) -> str:
        rng = self.rng
        first, last = _slug(person.first_roman), person.last_roman
        patterns = (
            f"{first}.{last}",
            f"{first}_{last}",
            f"{first}{last}",
            f"{first}.{category}",
            f"the{first}{last[:1]}",
            f"{first}{last}{rng.randint(1, 99)}",
            f"{last}.{first}",
        )
        handle = rng.choice(patterns)[:28]
        while handle in taken:
            handle = f"{handle[:25]}{rng.randint(1, 999)}"
        taken.add(handle)
        return handle

    def _display_name(self, person: _Person) -> str:
        rng = self.rng
        if rng.random() >= _EMOJI_SHARE:
            return person.name
        if rng.random() < 0.5:
            return f"{person.first} {''.join(rng.sample(_EMOJI, 2))}"
        return f"{person.name} {rng.choice(_EMOJI)}"

    # -- influencers

    def _influencers(self, ctx: _AccountContext, count: int, every_culture: bool = False) -> None:
        rng = self.rng
        taken: set[str] = set()
        for n in range(count):
            if every_culture and n < len(_CULTURES):
                culture = _CULTURES[n]
            elif ctx.home and rng.random() < _HOME_SHARE:
                culture = _CULTURE_BY_KEY[ctx.home]
            else:
                culture = rng.choices(_CULTURES, _CULTURE_WEIGHTS)[0]
            ctx.influencers.append(self._influencer(ctx, culture, taken))
        self.rows[Influencer].extend(ctx.influencers)

    def _followers(self) -> int:
        """Long-tailed: most have tens of thousands, a few have millions (1k to 5M)."""
        while True:
            followers = int(math.exp(self.rng.gauss(math.log(25_000), 1.6)))
            if 1_000 <= followers <= 5_000_000:
                return followers

    def _influencer(self, ctx: _AccountContext, culture: _Culture, taken: set[str]) -> Row:
        rng = self.rng
        person = self._person(culture)
        platform = rng.choices(_PLATFORMS, _PLATFORM_WEIGHTS)[0]
        categories = rng.sample(_CATEGORIES, rng.choices((1, 2, 3), (40, 40, 20))[0])
        if platform == "twitch" and "gaming" not in categories:
            categories[0] = "gaming"
        followers = self._followers()
        engagement = 7.5 * (followers / 5_000) ** -0.22 * _PLATFORM_ENGAGEMENT[platform]
        engagement *= math.exp(rng.gauss(0, 0.35))
        if not 0.5 <= engagement <= 12.0:  # keep inside the range without piling up at its ends
            engagement = rng.uniform(10.0, 12.0) if engagement > 12 else rng.uniform(0.5, 0.9)
        handle = self._handle(person, categories[0], taken)
        email = ""
        if rng.random() < 0.8:
            email = f"{handle.replace('_', '.').strip('.')}@{rng.choice(_EMAIL_DOMAINS)}"
        if ctx.period_start is not None and rng.random() < 0.2:  # usage this billing cycle
            unlocked_at = self._between(max(_at(ctx.period_start, 0), ctx.created_at), ctx.data_end)
        else:
            unlocked_at = self._between(ctx.created_at, ctx.data_end)
        return {
            "id": self._id(Influencer),
            "account_id": ctx.id,
            "handle": handle,
            "name": self._display_name(person),
            "platform": platform,
            "followers": followers,
            "engagement_rate": round(engagement, 2),
            "country": rng.choice(culture.countries),
            "categories": "; ".join(categories),
            "contact_email": email,
            "notes": rng.choice(_INFLUENCER_NOTES) if rng.random() < 0.3 else "",
            "unlocked_at": unlocked_at,
        }

    # -- searches, lists, campaigns, reports

    def _searches(self, ctx: _AccountContext, count: int, in_period: int) -> None:
        for n in range(count):
            if n < in_period and ctx.period_start is not None:
                start = max(_at(ctx.period_start, 0), ctx.created_at)
            else:
                start = ctx.created_at
            self._search(ctx, self._between(start, ctx.data_end))

    def _search(self, ctx: _AccountContext, created_at: dt.datetime) -> None:
        rng = self.rng
        pivot = rng.choice(ctx.influencers)
        floor, tier = next(t for t in _FOLLOWER_TIERS if pivot["followers"] >= t[0])
        query: dict[str, Any] = {
            "platform": pivot["platform"],
            "country": pivot["country"],
            "min_followers": floor,
            "categories": [rng.choice(pivot["categories"].split("; "))],
        }
        if rng.random() < 0.25:
            query["min_engagement_rate"] = rng.choice((1.5, 2.0, 3.0, 4.0))
        search_id = self._id(SavedSearch)
        platform = _PLATFORM_LABELS[query["platform"]]
        name = f"{query['categories'][0].title()} {tier} · {platform} · {query['country']}"
        self.rows[SavedSearch].append(
            {
                "id": search_id,
                "account_id": ctx.id,
                "name": name,
                "query": json.dumps(query, ensure_ascii=False),
                "created_at": created_at,
            }
        )
        matching = [i for i in ctx.influencers if _matches(i, query)]
        others = [i for i in ctx.influencers if not _matches(i, query)]
        rng.shuffle(matching)
        rng.shuffle(others)
        size = min(len(ctx.influencers), rng.randint(5, 30))
        score = rng.uniform(0.86, 0.99)
        for rank, influencer in enumerate((matching + others)[:size], start=1):
            self.rows[SearchResult].append(
                {
                    "search_id": search_id,
                    "influencer_id": influencer["id"],
                    "rank": rank,
                    "score": round(score, 4),
                }
            )
            score = max(0.05, score - rng.uniform(0.004, 0.04))

    def _lists(self, ctx: _AccountContext, count: int) -> None:
        rng = self.rng
        for name in rng.sample(_LIST_NAMES, min(count, len(_LIST_NAMES))):
            created_at = self._between(ctx.created_at, ctx.data_end)
            row = {
                "id": self._id(InfluencerList),
                "account_id": ctx.id,
                "name": name.format(
                    season=rng.choice(_SEASONS), year=created_at.year + rng.randint(0, 1)
                ),
                "created_at": created_at,
            }
            self.rows[InfluencerList].append(row)
            ctx.lists.append(row)
            size = min(len(ctx.influencers), rng.randint(3, 15))
            for influencer in rng.sample(ctx.influencers, size):
                since = max(created_at, influencer["unlocked_at"])
                added = since + dt.timedelta(seconds=rng.randint(60, 7 * 86400))
                self.rows[ListMember].append(
                    {
                        "list_id": row["id"],
                        "influencer_id": influencer["id"],
                        "added_at": min(added, ctx.data_end),
                    }
                )

    def _campaign_status(self, ctx: _AccountContext) -> str:
        if ctx.period_start is None:  # ended accounts only have finished campaigns
            return "completed"
        return self.rng.choices(("completed", "active", "planned"), (55, 25, 20))[0]

    def _campaign_dates(self, ctx: _AccountContext, status: str) -> tuple[dt.date, dt.date] | None:
        rng = self.rng
        first = ctx.created_at.date() + dt.timedelta(days=7)
        day = dt.timedelta(days=1)
        if status == "completed":
            last_end = min(self.today - day, ctx.data_end.date())
            if (last_end - first).days < 14:
                return None
            end = self._day_between(first + 14 * day, last_end)
            return max(first, end - rng.randint(14, 75) * day), end
        if status == "active":
            start = self._day_between(max(first, self.today - 60 * day), self.today)
            return start, self.today + rng.randint(7, 60) * day
        start = self.today + rng.randint(5, 60) * day
        return start, start + rng.randint(14, 60) * day

    def _campaigns(self, ctx: _AccountContext, statuses: tuple[str, ...]) -> None:
        rng = self.rng
        for status in statuses:
            dates = self._campaign_dates(ctx, status)
            if dates is None:
                continue
            campaign_id = self._id(Campaign)
            size = min(len(ctx.influencers), rng.randint(2, 8))
            figures = [
                self._performance(campaign_id, influencer, status)
                for influencer in rng.sample(ctx.influencers, size)
            ]
            spend = sum(row["cost_cents"] for row in figures)
            budget = max(50_000, math.ceil(spend * rng.uniform(1.05, 1.5) / 10_000) * 10_000)
            row = {
                "id": campaign_id,
                "account_id": ctx.id,
                "name": self._campaign_name(dates[0]),
                "status": status,
                "start_date": dates[0],
                "end_date": dates[1],
                "budget_cents": budget,
                "currency": CURRENCY,
            }
            self.rows[Campaign].append(row)
            self.rows[CampaignInfluencer].extend(figures)
            ctx.campaigns.append(row)

    def _campaign_name(self, start: dt.date) -> str:
        seasonal = next(names for months, names in _CAMPAIGN_THEMES if start.month in months)
        anytime = _CAMPAIGN_THEMES[-1][1]
        return f"{self.rng.choice(seasonal + anytime)} {start.year}"

    def _performance(self, campaign_id: int, influencer: Row, status: str) -> Row:
        """Figures that hang together: clicks <= engagements <= impressions, reach <= them."""
        rng = self.rng
        followers = influencer["followers"]
        planned_posts = rng.randint(1, 6)
        fee = max(5_000, round(followers * rng.uniform(0.6, 1.6) / 100) * 100)
        posts = {"planned": 0, "active": rng.randint(0, planned_posts)}.get(status, planned_posts)
        row = {
            "campaign_id": campaign_id,
            "influencer_id": influencer["id"],
            "posts": posts,
            "reach": 0,
            "impressions": 0,
            "engagements": 0,
            "clicks": 0,
            "conversions": 0,
            "cost_cents": fee * planned_posts,
        }
        if posts:
            reach = int(followers * rng.uniform(0.12, 0.4) * (1 + 0.35 * (posts - 1)))
            impressions = int(reach * rng.uniform(1.15, 2.4))
            rate = influencer["engagement_rate"] / 100 * rng.uniform(0.7, 1.3)
            engagements = min(impressions, int(impressions * rate))
            clicks = int(engagements * rng.uniform(0.02, 0.12))
            conversions = int(clicks * rng.uniform(0.01, 0.09))
            row.update(
                reach=reach,
                impressions=impressions,
                engagements=engagements,
                clicks=clicks,
                conversions=conversions,
            )
        return row

    def _reports(self, ctx: _AccountContext, kinds: tuple[str, ...]) -> None:
        rng = self.rng
        campaigns = [c for c in ctx.campaigns if c["status"] != "planned"]
        for kind in kinds:
            campaign = None
            if kind == "campaign" and campaigns:
                campaign = campaigns.pop(0)
                start = max(_at(campaign["start_date"]), ctx.created_at)
                title = f"{campaign['name']} — performance report"
            elif kind == "competitor":
                start = ctx.created_at
                title = f"Competitor benchmark: {rng.choice(_COMPETITOR_BRANDS)}"
            else:
                kind, start = "audience", ctx.created_at
                topic = rng.choice(ctx.lists)["name"] if ctx.lists else rng.choice(_CATEGORIES)
                title = f"Audience analysis: {topic}"
            self.rows[Report].append(
                {
                    "account_id": ctx.id,
                    "campaign_id": campaign["id"] if campaign else None,
                    "title": title,
                    "kind": kind,
                    "created_at": self._between(min(start, ctx.data_end), ctx.data_end),
                }
            )

    # -- cancellation flows

    def _next_flow_slot(self) -> int:
        """Months ago (0-11) for the next flow: spread evenly over the last twelve months."""
        if not self.flow_slots:
            self.flow_slots = list(range(12))
            self.rng.shuffle(self.flow_slots)
        return self.flow_slots.pop()

    def _flow_facts(self, facts: _AccountFacts) -> _FlowFacts:
        """Pick when the flow happened and how it went; an account is older than its flow."""
        rng = self.rng
        months_ago = self._next_flow_slot()
        ago = dt.timedelta(days=(months_ago + rng.random()) * _MONTH_DAYS)
        started_at = (self.now - max(ago, dt.timedelta(hours=3))).replace(microsecond=0)
        if (started_at - facts.created_at).days < 21:
            facts.created_at = started_at - dt.timedelta(days=rng.uniform(21, 700))
            facts.created_at = facts.created_at.replace(microsecond=0)
        outcome = rng.choices(_OUTCOMES, _OUTCOME_WEIGHTS)[0]
        steps = [("started", started_at)]
        at = started_at
        for name in self._step_names(outcome):
            low, high = _STEP_DELAYS[name]
            at += dt.timedelta(seconds=rng.randint(low, high))
            steps.append((name, at))
        flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        while flow_id in self.flow_ids:  # only when seeding more into a seeded database
            flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.flow_ids.add(flow_id)
        return _FlowFacts(flow_id, outcome, months_ago, tuple(steps))

    def _step_names(self, outcome: str) -> list[str]:
        """The steps after "started", in order, for a flow with this outcome."""
        rng = self.rng
        survey = "survey_skipped" if rng.random() < _SURVEY_SKIP_SHARE else "survey_answered"
        names = [survey, "offer_shown"]
        if outcome == "saved_offer":
            return [*names, "configurator_opened", "plan_requested"]
        if rng.random() < _CONFIGURATOR_SHARE:
            names.append("configurator_opened")
        if outcome == "saved_kept":
            return [*names, "kept"]
        names += ["continued", "consents_given"]
        if outcome == "completed":
            return [*names, "completed"]
        reached = ["started", *names]  # abandoned: leave after one of these
        last = rng.choices(reached, [_ABANDON_AFTER[name] for name in reached])[0]
        return [*reached[1 : reached.index(last) + 1], "abandoned"]

    def _flow_rows(
        self,
        flow: _FlowFacts,
        facts: _AccountFacts,
        fate: _Fate,
        ctx: _AccountContext | None,
        owner: Row | None,
    ) -> None:
        """The flow's rows; without an account (purged) they are anonymous."""
        completed = flow.outcome == "completed"
        band = _tenure_band(facts.created_at, flow.started_at)
        common = {"plan_code": facts.plan.code, "country": facts.country, "tenure_band": band}
        self.rows[CancellationFlow].append(
            {
                "id": flow.id,
                "account_id": ctx.id if ctx else None,
                "user_id": owner["id"] if ctx and owner else None,
                "open_subscription_id": (
                    ctx.subscription["id"] if ctx and fate.status == STATUS_SCHEDULED else None
                ),
                "started_at": flow.started_at,
                "finished_at": flow.finished_at,
                "outcome": flow.outcome,
                "confirmation_number": self._confirmation_number() if completed else None,
                "effective_on": fate.effective_on if completed else None,
                "monthly_revenue_cents": billing.monthly_equivalent_cents(
                    facts.price_cents, facts.interval
                ),
                **common,
            }
        )
        answer = self._survey(flow, common)
        reason = answer["reason"] if answer else None
        offer = self._offer(flow)
        self.rows[CancellationFlow][-1].update(_flow_facts(flow.steps, answer, offer))
        for name, at in flow.steps:
            detail = ""
            if name == "survey_answered":
                detail = json.dumps({"reason": reason})
            elif name == "plan_requested" and offer:
                detail = json.dumps({"monthly_price_cents": offer["monthly_price_cents"]})
            elif name == "completed":
                detail = json.dumps({"effective_on": str(fate.effective_on)})
            self.rows[FlowStep].append(
                {"flow_id": flow.id, "step": name, "at": at, "detail": detail}
            )
        if ctx is None or owner is None:
            return  # purged: nothing personal is left
        if offer and offer["requested_at"]:
            self._custom_plan_request(flow, ctx.id, owner["id"], offer)
        if completed and fate.effective_on is not None:
            self._cancellation_records(flow, fate.effective_on, fate.status, ctx, owner)

    def _survey(self, flow: _FlowFacts, common: Row) -> Row | None:
        rng = self.rng
        step = next(((n, at) for n, at in flow.steps if n.startswith("survey_")), None)
        if step is None:
            return None
        row: Row = {
            "flow_id": flow.id,
            "answered_at": step[1],
            "skipped": step[0] == "survey_skipped",
            "reason": None,
            "follow_up": "",
            "comment": "",
            "satisfaction": None,
            "flow_started_at": flow.started_at,
            **common,
        }
        if not row["skipped"]:
            recent = 1 - flow.months_ago / 11
            weights = [
                old + (new - old) * recent
                for old, new in zip(_REASON_WEIGHTS_YEAR_AGO, _REASON_WEIGHTS_NOW, strict=True)
            ]
            reason = rng.choices(_REASONS, weights)[0]
            comment = ""
            if rng.random() < _COMMENT_SHARE:
                comment = rng.choice(_COMMENTS[reason] + _COMMENTS["generic"])
            row.update(
                reason=reason,
                follow_up=rng.choice(_FOLLOW_UPS[reason]) if rng.random() < 0.85 else "",
                comment=comment,
                satisfaction=rng.choices((1, 2, 3, 4, 5), _SATISFACTION_WEIGHTS[reason])[0],
            )
        self.rows[SurveyAnswer].append(row)
        return row

    def _offer(self, flow: _FlowFacts) -> Row | None:
        rng = self.rng
        times = dict(flow.steps)
        if "offer_shown" not in times:
            return None
        row: Row = {
            "flow_id": flow.id,
            "kind": "custom_plan",
            "shown_at": times["offer_shown"],
            "opened_at": times.get("configurator_opened"),
            "requested_at": times.get("plan_requested"),
            "configuration": "",
            "monthly_price_cents": None,
        }
        if row["requested_at"]:
            config = {
                "searches": rng.choice((100, 150, 200, 300, 500, 750)),
                "unlocks": rng.choice((50, 75, 100, 150, 200, 300)),
                "seats": rng.randint(1, 5),
                "campaigns": rng.choice((2, 3, 5, 8)),
            }
            row.update(
                configuration=json.dumps(config), monthly_price_cents=_custom_plan_price(config)
            )
        self.rows[RetentionOffer].append(row)
        return row

    def _custom_plan_request(
        self, flow: _FlowFacts, account_id: int, user_id: int, offer: Row
    ) -> None:
        rng = self.rng
        config = json.loads(offer["configuration"])
        created_at = offer["requested_at"] + dt.timedelta(seconds=rng.randint(1, 5))
        handled_at = created_at + dt.timedelta(seconds=rng.randint(2 * 3600, 72 * 3600))
        handled = rng.random() < 0.8 and handled_at <= self.now
        message = (
            f"Custom plan request: {config['searches']} searches, {config['unlocks']} unlocks, "
            f"{config['seats']} seats, {config['campaigns']} campaigns at "
            f"${offer['monthly_price_cents'] // 100}/month."
        )
        self._support_request(
            flow.id, account_id, user_id, "custom_plan", message, created_at, handled_at, handled
        )

    def _cancellation_records(
        self, flow: _FlowFacts, effective_on: dt.date, status: str, ctx: _AccountContext, user: Row
    ) -> None:
        """The request time on the subscription, audit entries, maybe an undo request."""
        rng = self.rng
        account_id = ctx.id
        ctx.subscription["cancel_requested_at"] = flow.finished_at
        self._audit(
            flow.finished_at,
            user["email"],
            user["id"],
            "cancellation_scheduled",
            account_id,
            {"status": STATUS_ACTIVE},
            {"status": STATUS_SCHEDULED, "effective_on": str(effective_on)},
        )
        ended = status == STATUS_ENDED
        if ended:
            at = min(self.now, _at(effective_on, 2, 5))
            self._audit(
                at,
                "lifecycle",
                None,
                "subscription_ended",
                account_id,
                {"status": STATUS_SCHEDULED},
                {"status": STATUS_ENDED, "ended_on": str(effective_on)},
            )
        if rng.random() < 0.25:
            access_end = _at(effective_on, 0)
            created_at = self._between(flow.finished_at, min(self.now, access_end))
            handled_at = created_at + dt.timedelta(seconds=rng.randint(3600, 48 * 3600))
            handled = ended and handled_at <= self.now  # scheduled ones wait for support
            message = rng.choice(_UNDO_MESSAGES)
            kind = "undo_cancellation"
            self._support_request(
                flow.id, account_id, user["id"], kind, message, created_at, handled_at, handled
            )

    def _support_request(
        self,
        flow_id: str,
        account_id: int,
        user_id: int,
        kind: str,
        message: str,
        created_at: dt.datetime,
        handled_at: dt.datetime,
        handled: bool,
    ) -> None:
        """A request in the support queue; a handled one was handled by the demo admin."""
        self.rows[SupportRequest].append(
            {
                "account_id": account_id,
                "user_id": user_id,
                "flow_id": flow_id,
                "kind": kind,
                "message": message,
                "created_at": created_at,
                "status": "handled" if handled else "open",
                "handled_by": self.admin_id if handled else None,
                "handled_at": handled_at if handled else None,
            }
        )

    def _audit(
        self,
        at: dt.datetime,
        actor: str,
        actor_user_id: int | None,
        action: str,
        account_id: int,
        before: Row,
        after: Row,
    ) -> None:
        self.rows[AuditEntry].append(
            {
                "at": at,
                "actor_user_id": actor_user_id,
                "actor": actor,
                "action": action,
                "account_id": account_id,
                "before": json.dumps(before),
                "after": json.dumps(after),
            }
        )

    def _confirmation_number(self) -> str:
        while True:
            number = "CX-" + "".join(self.rng.choices(_CONFIRMATION_ALPHABET, k=8))
            if number not in self.confirmations:
                self.confirmations.add(number)
                return number


# --- A large agency, for the benchmarks ---------------------------------------------------------
# `seed_large` adds one agency account with a million influencers (and a million anonymous
# cancellation flows with their survey answers) to a database, for `bench/`. It is separate from
# `seed`, whose data it leaves exactly as it is. Numbers are drawn with numpy from the seed, rows
# go in with the driver's bulk path (executemany on SQLite, COPY on PostgreSQL), in chunks, so
# neither the time nor the memory of seeding grows out of hand.

LARGE_COMPANY = "Megastar Talent Agency"
LARGE_CUSTOMER_EMAIL = "agency@demo.test"
LARGE_CUSTOMER_PASSWORD = "demo-agency"
LARGE_INFLUENCERS = 1_000_000
LARGE_ANSWERS = 1_000_000
_LARGE_CHUNK = 50_000
_LARGE_HOSTILE_NOTES = (
    '=HYPERLINK("http://evil.example","click")',
    "+39 02 555 0100, ask for Marta",
    "-20% if booked before March",
    '@agency: "exclusive"; renew yearly',
    "\tindented note",
    "'quoted' in the brief",
    "line one\nline two",
)


@dataclass(frozen=True)
class LargeSummary:
    account_id: int
    email: str
    influencers: int
    search_results: int
    list_members: int
    campaign_members: int
    flows: int
    survey_answers: int
    flow_steps: int
    retention_offers: int


def seed_large(
    db: Database,
    *,
    influencers: int = LARGE_INFLUENCERS,
    answers: int = LARGE_ANSWERS,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    email: str = LARGE_CUSTOMER_EMAIL,
) -> LargeSummary:
    """Add a large agency (by default `agency@demo.test`, password `demo-agency`) with
    `influencers` influencers, and `answers` anonymous cancellation flows with a survey answer
    each. Another `email` adds another agency (its company name carries the address's name)."""
    import numpy as np

    if influencers < 0 or answers < 0:
        raise ValueError("sizes must not be negative")
    now = _utc(now)
    rng = np.random.default_rng(seed)
    py = random.Random(f"large:{seed}")  # not the demo's stream: no flow id repeats
    with db.transaction(write=True) as session:
        _lock_for_seeding(session)
        if session.scalar(select(User.id).where(User.email == email)):
            raise ValueError(f"{email} is already there")
        plans = ensure_plans(session)
        account_id, first_influencer = _large_account(session, plans, email, now)
        counts = _large_influencers(session, account_id, first_influencer, influencers, rng, now)
        flows = _large_flows(session, answers, plans, py, now)
        if session.get_bind().dialect.name == "postgresql":
            _sync_sequences(session)
            for table in ("survey_answers", "flow_steps", "retention_offers", "invoices"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    )
                )
        session.execute(text("ANALYZE"))  # fresh statistics, so the planner uses the indexes
    return LargeSummary(account_id, email, influencers, *counts, *flows)


def _large_account(
    session: Session, plans: dict[str, Plan], email: str, now: dt.datetime
) -> tuple[int, int]:
    today = now.date()
    anchor = billing.add_months(today + dt.timedelta(days=20), -30)
    period = billing.period_containing(anchor, billing.MONTH, today)
    created_at = _at(anchor, 8, 30)
    plan = plans["enterprise"]
    company = LARGE_COMPANY
    if email != LARGE_CUSTOMER_EMAIL:
        company = f"{LARGE_COMPANY} ({email.split('@')[0]})"
    account = Account(company=company, country="IT", created_at=created_at)
    session.add(account)
    session.flush()
    session.add(
        Subscription(
            account_id=account.id,
            plan_id=plan.id,
            billing_interval=billing.MONTH,
            price_cents=plan.monthly_price_cents,
            currency=CURRENCY,
            status=STATUS_ACTIVE,
            started_at=created_at,
            current_period_start=period[0],
            current_period_end=period[1],
        )
    )
    session.add(
        User(
            account_id=account.id,
            email=email,
            full_name="Marta Conti",
            password_hash=hash_password(LARGE_CUSTOMER_PASSWORD),
            role=ROLE_CUSTOMER,
            language=None,
            created_at=created_at,
        )
    )
    day = anchor
    while day <= period[0]:
        session.add(
            Invoice(
                account_id=account.id,
                number=f"INV-LARGE-{account.id}-{day:%Y%m}",
                issued_on=day,
                period_start=day,
                period_end=billing.add_months(day, 1),
                amount_cents=plan.monthly_price_cents,
                currency=CURRENCY,
                status="paid",
            )
        )
        day = billing.add_months(day, 1)
    session.flush()
    first = (session.scalar(select(func.coalesce(func.max(Influencer.id), 0))) or 0) + 1
    return account.id, first


def _flow_facts(
    steps: Iterable[tuple[str, Any]], answer: Row | None, offer: Row | None
) -> dict[str, Any]:
    """The insights facts of a generated flow (see `CancellationFlow.survey` and the next
    columns), as `core.retention.cancellation` keeps them on a flow it writes."""
    stages = 0
    for name, _at in steps:
        stages |= stage_bit(name)
    survey, reason, satisfaction = SURVEY_NONE, None, None
    if answer is not None:
        survey = SURVEY_SKIPPED if answer["skipped"] else SURVEY_ANSWERED
        reason, satisfaction = answer["reason"], answer["satisfaction"]
    state, price = OFFER_NONE, None
    if offer is not None:
        state = offer_state(offer["opened_at"], offer["requested_at"])
        price = offer["monthly_price_cents"] if offer["requested_at"] else None
    return {
        "survey": survey,
        "reason": reason,
        "satisfaction": satisfaction,
        "stages": stages,
        "offer": state,
        "offer_price_cents": price,
    }


def _stamp(dialect: str) -> Any:
    """Timestamps (seconds since the epoch, UTC) as text the database stores them as."""
    epoch = dt.datetime(1970, 1, 1)
    suffix = "+00:00" if dialect == "postgresql" else ""

    def stamp(seconds: float) -> str:
        moment = epoch + dt.timedelta(seconds=float(seconds))
        return f"{moment:%Y-%m-%d %H:%M:%S.%f}{suffix}"

    return stamp


def _bulk(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain tuples through the driver's fastest path (our own table and column names)."""
    if not rows:
        return
    raw = session.connection().connection.dbapi_connection
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    cursor = raw.cursor()
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    cursor.close()


def _large_influencers(
    session: Session, account_id: int, first_id: int, count: int, rng: Any, now: dt.datetime
) -> tuple[int, int, int]:
    import numpy as np

    dialect = session.get_bind().dialect.name
    stamp = _stamp(dialect)
    py = random.Random(int(rng.integers(1 << 30)))
    people: list[tuple[str, str, str]] = []  # name, handle stem, country
    for culture in _CULTURES:
        for _ in range(culture.weight * 40):
            female = py.random() < 0.55
            first, first_roman = _split(py.choice(culture.female if female else culture.male))
            surnames = culture.male_surnames if culture.male_surnames and not female else None
            last, last_roman = _split(py.choice(surnames or culture.surnames))
            parts = (last, first) if culture.family_first else (first, last)
            name = culture.joiner.join(parts)
            if py.random() < _EMOJI_SHARE:
                name = f"{name} {py.choice(_EMOJI)}"
            stem = f"{_slug(first_roman)}.{_slug(last_roman)}"[:20]
            people.append((name, stem, py.choice(culture.countries)))
    categories = ["; ".join(py.sample(_CATEGORIES, py.randint(1, 3))) for _ in range(400)]
    notes = list(_INFLUENCER_NOTES) + list(_LARGE_HOSTILE_NOTES)
    columns = (
        "id", "account_id", "handle", "name", "platform", "followers", "engagement_rate",
        "country", "categories", "contact_email", "notes", "unlocked_at",
    )  # fmt: skip
    start = (now - dt.timedelta(days=900)).timestamp()
    span = now.timestamp() - 3600 - start
    for low in range(0, count, _LARGE_CHUNK):
        n = min(_LARGE_CHUNK, count - low)
        who = rng.integers(len(people), size=n)
        platform = rng.choice(len(_PLATFORMS), size=n, p=np.array(_PLATFORM_WEIGHTS) / 100)
        followers = np.clip(np.exp(rng.normal(np.log(25_000), 1.6, size=n)), 1_000, 5_000_000)
        rate = 7.5 * (followers / 5_000) ** -0.22 * np.exp(rng.normal(0, 0.35, size=n))
        rate = np.round(np.clip(rate, 0.5, 12.0), 2)
        category = rng.integers(len(categories), size=n)
        email = rng.random(n) < 0.8
        note_pick = rng.integers(len(notes), size=n)
        note_on = rng.random(n) < 0.3
        seconds = np.floor(start + rng.random(n) * span)
        micros = np.where(rng.random(n) < 0.1, rng.integers(1, 1_000_000, size=n), 0)
        rows = []
        for j in range(n):
            i = first_id + low + j
            name, stem, country = people[who[j]]
            handle = f"{stem}{i}"
            rows.append(
                (
                    i,
                    account_id,
                    handle,
                    name,
                    _PLATFORMS[platform[j]],
                    int(followers[j]),
                    float(rate[j]),
                    country,
                    categories[category[j]],
                    f"{handle}@{_EMAIL_DOMAINS[i % len(_EMAIL_DOMAINS)]}" if email[j] else "",
                    notes[note_pick[j]] if note_on[j] else "",
                    stamp(seconds[j] + micros[j] / 1e6),
                )
            )
        _bulk(session, "influencers", columns, rows)
    if not count:
        return 0, 0, 0
    ids = np.arange(first_id, first_id + count)
    created = stamp(now.timestamp() - 86400 * 30)
    n_searches, per_search = 25, min(count, 4_000)
    n_lists, per_list = 40, min(count, 2_500)
    n_campaigns, per_campaign = 12, min(count, 800)
    results = members = performers = 0
    for k in range(n_searches):
        search = SavedSearch(
            account_id=account_id,
            name=f"{py.choice(_CATEGORIES).title()} · {py.choice(('IT', 'ES', 'US'))} #{k + 1}",
            query=json.dumps({"categories": [py.choice(_CATEGORIES)], "min_followers": 1000}),
            created_at=now - dt.timedelta(days=py.randint(1, 700)),
        )
        session.add(search)
        session.flush()
        chosen = rng.choice(ids, size=per_search, replace=False)
        score = np.round(np.sort(rng.random(per_search))[::-1], 4)
        _bulk(
            session,
            "search_results",
            ("search_id", "influencer_id", "rank", "score"),
            [(search.id, int(chosen[r]), r + 1, float(score[r])) for r in range(per_search)],
        )
        results += per_search
    for k in range(n_lists):
        lst = InfluencerList(
            account_id=account_id,
            name=py.choice(_LIST_NAMES).format(season=py.choice(_SEASONS), year=now.year)
            + f" #{k + 1}",
            created_at=now - dt.timedelta(days=py.randint(1, 700)),
        )
        session.add(lst)
        session.flush()
        chosen = rng.choice(ids, size=per_list, replace=False)
        _bulk(
            session,
            "list_members",
            ("list_id", "influencer_id", "added_at"),
            [(lst.id, int(i), created) for i in chosen],
        )
        members += per_list
    for k in range(n_campaigns):
        start_day = now.date() - dt.timedelta(days=30 * (k + 1))
        campaign = Campaign(
            account_id=account_id,
            name=f"{py.choice(_SEASONS)} push {now.year - k // 4} #{k + 1}",
            status="completed" if k else "active",
            start_date=start_day,
            end_date=start_day + dt.timedelta(days=45),
            budget_cents=py.randint(50, 500) * 100_000,
            currency=CURRENCY,
        )
        session.add(campaign)
        session.flush()
        chosen = rng.choice(ids, size=per_campaign, replace=False)
        reach = rng.integers(1_000, 400_000, size=per_campaign)
        _bulk(
            session,
            "campaign_influencers",
            (
                "campaign_id",
                "influencer_id",
                "posts",
                "reach",
                "impressions",
                "engagements",
                "clicks",
                "conversions",
                "cost_cents",
            ),
            [
                (
                    campaign.id,
                    int(i),
                    2,
                    int(r),
                    int(r * 1.8),
                    int(r * 0.05),
                    int(r * 0.004),
                    int(r * 0.0002),
                    50_000,
                )
                for i, r in zip(chosen, reach, strict=True)
            ],
        )
        performers += per_campaign
    for kind in ("campaign", "audience", "audience", "competitor", "campaign", "audience"):
        session.add(
            Report(
                account_id=account_id,
                title=f"{kind.title()} report {py.randint(1, 99)}",
                kind=kind,
                created_at=now - dt.timedelta(days=py.randint(1, 400)),
            )
        )
    session.flush()
    return results, members, performers


def _large_flows(
    session: Session, count: int, plans: dict[str, Plan], py: random.Random, now: dt.datetime
) -> tuple[int, int, int, int]:
    """`count` anonymous flows over the last two years, each with a survey answer."""
    stamp = _stamp(session.get_bind().dialect.name)
    codes = ("starter", "growth", "pro", "enterprise")
    countries, country_weights = zip(*_ACCOUNT_COUNTRIES, strict=True)
    bands = ("<6m", "6-12m", "1-2y", "2y+")
    end = now.timestamp() - 3 * 3600
    start = end - 730 * 86400
    steps_total = offers_total = 0
    flow_cols = (
        "id", "account_id", "user_id", "open_subscription_id", "started_at", "finished_at",
        "outcome", "confirmation_number", "effective_on", "plan_code", "country", "tenure_band",
        "monthly_revenue_cents", "survey", "reason", "satisfaction", "stages", "offer",
        "offer_price_cents",
    )  # fmt: skip
    answer_cols = (
        "flow_id", "answered_at", "skipped", "reason", "follow_up", "comment", "satisfaction",
        "plan_code", "country", "tenure_band", "flow_started_at",
    )  # fmt: skip
    offer_cols = (
        "flow_id", "kind", "shown_at", "opened_at", "requested_at", "configuration",
        "monthly_price_cents",
    )  # fmt: skip
    for low in range(0, count, _LARGE_CHUNK):
        flows, answers, steps, offers = [], [], [], []
        for _ in range(min(_LARGE_CHUNK, count - low)):
            flow_id = str(uuid.UUID(int=py.getrandbits(128), version=4))
            at = start + py.random() * (end - start)
            outcome = py.choices(_OUTCOMES, _OUTCOME_WEIGHTS)[0]
            survey = "survey_skipped" if py.random() < _SURVEY_SKIP_SHARE else "survey_answered"
            names = [survey, "offer_shown"]
            if outcome == "saved_offer":
                names += ["configurator_opened", "plan_requested"]
            elif outcome == "saved_kept":
                names.append("kept")
            else:
                names += ["continued", "consents_given"]
                names.append("completed" if outcome == "completed" else "abandoned")
            times = {"started": at}
            steps.append((flow_id, "started", stamp(at), ""))
            for name in names:
                low_s, high_s = _STEP_DELAYS[name]
                at += py.randint(low_s, high_s)
                times[name] = at
                steps.append((flow_id, name, stamp(at), ""))
            code = py.choices(codes, (35, 35, 22, 8))[0]
            country = py.choices(countries, country_weights)[0]
            band = py.choice(bands)
            flow = [
                flow_id,
                None,
                None,
                None,
                stamp(times["started"]),
                stamp(at),
                outcome,
                None,
                None,
                code,
                country,
                band,
                plans[code].monthly_price_cents,
            ]
            skipped = survey == "survey_skipped"
            reason = None if skipped else py.choices(_REASONS, _REASON_WEIGHTS_NOW)[0]
            answers.append(
                (
                    flow_id,
                    stamp(times[survey]),
                    skipped,
                    reason,
                    "" if skipped else py.choice(_FOLLOW_UPS[reason]),
                    "" if skipped or py.random() > _COMMENT_SHARE else py.choice(_COMMENTS[reason]),
                    None
                    if skipped
                    else py.choices((1, 2, 3, 4, 5), _SATISFACTION_WEIGHTS[reason])[0],
                    code,
                    country,
                    band,
                    flow[4],  # the flow's start
                )
            )
            requested = times.get("plan_requested")
            offers.append(
                (
                    flow_id,
                    "custom_plan",
                    stamp(times["offer_shown"]),
                    stamp(times["configurator_opened"]) if "configurator_opened" in times else None,
                    stamp(requested) if requested else None,
                    "",
                    py.randrange(9800, 60000, 100) if requested else None,
                )
            )
            facts = _flow_facts(
                times.items(),
                {"skipped": skipped, "reason": reason, "satisfaction": answers[-1][6]},
                {
                    "opened_at": offers[-1][3],
                    "requested_at": offers[-1][4],
                    "monthly_price_cents": offers[-1][6],
                },
            )
            flows.append((*flow, *facts.values()))
        _bulk(session, "cancellation_flows", flow_cols, flows)
        _bulk(session, "survey_answers", answer_cols, answers)
        _bulk(session, "flow_steps", ("flow_id", "step", "at", "detail"), steps)
        _bulk(session, "retention_offers", offer_cols, offers)
        steps_total += len(steps)
        offers_total += len(offers)
    return count, count, steps_total, offers_total
