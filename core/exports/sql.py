"""The SQL of the exports, for SQLite and PostgreSQL: counts, the account's rows of each data file
as one SELECT whose columns are already in the file's form (times as ISO 8601 text, list and
campaign names as JSON text, made by the database), and that SELECT as plain SQL text for the
Arrow readers (`core.exports.readers`) and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, String, case, func, literal_column, select, type_coerce, union
from sqlalchemy.orm import Session

from core.exports.request import (
    INFLUENCER_COLUMNS,
    INFLUENCERS,
    NAMES,
    SCOPE_LISTED,
    SEARCH_RESULTS,
    TIME,
    Column,
    ExportRequest,
    _columns_for,
)
from core.platform.errors import InvalidInput, NotFound
from core.platform.models import (
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    SavedSearch,
    SearchResult,
)

BATCH = 1_000  # rows fetched from the database at a time


# Where each stored column comes from (lists and campaigns are merged in separately).
_SEARCH_SQL: dict[str, Any] = {
    "search_id": SavedSearch.id,
    "search_name": SavedSearch.name,
    "search_query": SavedSearch.query,
    "search_created_at": SavedSearch.created_at,
    "rank": SearchResult.rank,
    "score": SearchResult.score,
    "influencer_id": Influencer.id,
    "handle": Influencer.handle,
    "name": Influencer.name,
    "platform": Influencer.platform,
    "followers": Influencer.followers,
    "engagement_rate": Influencer.engagement_rate,
    "country": Influencer.country,
}
_INFLUENCER_SQL: dict[str, Any] = {
    c.key: getattr(Influencer, c.key) for c in INFLUENCER_COLUMNS if c.kind != NAMES
}


def _count(s: Session, model: Any, *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _memberships(account_id: int) -> Any:
    """SQL: the influencer ids of the account's lists and of its campaigns (one row per
    membership; an influencer in several lists or campaigns comes more than once)."""
    in_lists = (
        select(ListMember.influencer_id)
        .join(InfluencerList, InfluencerList.id == ListMember.list_id)
        .where(InfluencerList.account_id == account_id)
    )
    in_campaigns = (
        select(CampaignInfluencer.influencer_id)
        .join(Campaign, Campaign.id == CampaignInfluencer.campaign_id)
        .where(Campaign.account_id == account_id)
    )
    return union(in_lists, in_campaigns)


def _listed(account_id: int) -> Any:
    """SQL: the influencer is in at least one of the account's lists or campaigns. Written as
    `id IN (members of the lists UNION members of the campaigns)`, whose cost follows the number
    of memberships rather than the number of influencers (an EXISTS per influencer took 0.7 s
    on an account of a million)."""
    return Influencer.id.in_(_memberships(account_id))


def _count_listed(s: Session, account_id: int) -> int:
    """How many of the account's influencers are in at least one of its lists or campaigns:
    the distinct influencer ids of those memberships, counted without reading the influencers.
    It is the number of rows `_listed` selects, because a membership always names an existing
    influencer (the foreign keys, which delete an influencer's memberships with it) of the
    list's or campaign's own account (the only writers, the main application and the demo
    seed, add an account's influencers to its own lists and campaigns). Counting
    `influencers WHERE account_id AND id IN (...)` instead checked each member against the
    influencers table: 0.46 s of the Export data page for the agency of a million on
    PostgreSQL, whose planner expects a twentieth of the 104,000 members (its estimate of how
    many members an account's lists have averages over every account's lists)."""
    return s.scalar(select(func.count()).select_from(_memberships(account_id).subquery())) or 0


def _check_searches(s: Session, account_id: int, search_ids: tuple[int, ...] | None) -> None:
    if search_ids is None:
        return
    found = set(
        s.scalars(
            select(SavedSearch.id).where(
                SavedSearch.account_id == account_id, SavedSearch.id.in_(search_ids)
            )
        )
    )
    if found != set(search_ids):
        raise InvalidInput("export.error.unknown_search")


def _search_where(account_id: int, search_ids: tuple[int, ...] | None) -> list[Any]:
    where = [SavedSearch.account_id == account_id]
    if search_ids is not None:
        where.append(SavedSearch.id.in_(search_ids))
    return where


def _influencer_where(account_id: int, scope: str) -> list[Any]:
    where = [Influencer.account_id == account_id]
    if scope == SCOPE_LISTED:
        where.append(_listed(account_id))
    return where


def _rows_for(s: Session, account_id: int, request: ExportRequest) -> int:
    if request.what == SEARCH_RESULTS:
        return _count(
            s,
            SearchResult.__table__.join(SavedSearch.__table__),
            *_search_where(account_id, request.search_ids),
        )
    if request.what == INFLUENCERS and request.scope == SCOPE_LISTED:
        return _count_listed(s, account_id)
    if request.what == INFLUENCERS:
        return _count(s, Influencer, *_influencer_where(account_id, request.scope))
    return 0


def _invoice(s: Session, account_id: int, number: str | None) -> Invoice:
    """The account's own invoice of that number; another account's is not found."""
    row = s.scalar(
        select(Invoice).where(Invoice.account_id == account_id, Invoice.number == number)
    )
    if row is None:
        raise NotFound("invoice.error.not_found")
    return row


def _stream(s: Session, statement: Any) -> Iterator[Any]:
    """Rows in batches of BATCH (a server-side cursor on PostgreSQL)."""
    yield from s.execute(statement.execution_options(yield_per=BATCH))


# The names of an influencer's lists or campaigns, as the JSON array json.dumps writes
# (`["a", "b"]`, in list or campaign id order), made by the database. SQLite: an ordered
# subquery feeds group_concat (which SQLite 3.40, Debian's `sqlite3`, can also run); CROSS JOIN
# makes SQLite start from the influencer's memberships (an index lookup) rather than from every
# list of the account. PostgreSQL: json_agg, whose text has the same separators and escapes.
_NAMES_SQL = {
    "sqlite": (
        "coalesce((SELECT '[' || group_concat(json_quote(n), ', ') || ']' FROM "
        "(SELECT g.name AS n FROM {members} AS m CROSS JOIN {groups} AS g "
        "WHERE g.id = m.{group_id} AND m.influencer_id = influencers.id "
        "AND g.account_id = {account} ORDER BY g.id)), '[]')"
    ),
    "postgresql": (
        "coalesce((SELECT CAST(json_agg(g.name ORDER BY g.id) AS TEXT) FROM {members} AS m "
        "JOIN {groups} AS g ON g.id = m.{group_id} "
        "WHERE m.influencer_id = influencers.id AND g.account_id = {account}), '[]')"
    ),
}
_NAME_GROUPS = {
    "lists": ("list_members", "lists", "list_id"),
    "campaigns": ("campaign_influencers", "campaigns", "campaign_id"),
}


def _names_json(dialect: str, key: str, account_id: int) -> Any:
    members, groups, group_id = _NAME_GROUPS[key]
    sql = _NAMES_SQL[dialect].format(
        members=members, groups=groups, group_id=group_id, account=int(account_id)
    )
    return literal_column(sql, type_=String)


def _iso_text(dialect: str, column: Any) -> Any:
    """A UTC timestamp as the text `datetime.isoformat()` gives, made by the database:
    `2025-03-04T05:06:07+00:00`, with `.ffffff` only when there are microseconds."""
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        whole = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"), type_=String)
        micro = case(
            (func.date_trunc(literal_column("'second'"), column) == column, literal_column("''")),
            else_=func.to_char(utc, literal_column("'.US'"), type_=String),
        )
        return whole.concat(micro).concat(literal_column("'+00:00'"))
    # SQLite holds SQLAlchemy's text form 'YYYY-MM-DD HH:MM:SS.ffffff' (always six digits)
    text = func.replace(type_coerce(column, String), literal_column("' '"), literal_column("'T'"))
    text = func.replace(text, literal_column("'.000000'"), literal_column("''"), type_=String)
    return text.concat(literal_column("'+00:00'"))


def _export_column(dialect: str, column: Column, expression: Any) -> Any:
    if column.kind == TIME:
        expression = _iso_text(dialect, expression)
    return expression.label(column.key)


def _dataset_statement(dialect: str, account_id: int, request: ExportRequest) -> Any:
    """The one SELECT whose rows are the file: a column per file column, already in the file's
    form (numbers as numbers, times as ISO 8601 text, names as JSON text), in file order."""
    columns = _columns_for(request)
    if request.what == SEARCH_RESULTS:
        return (
            select(*(_export_column(dialect, c, _SEARCH_SQL[c.key]) for c in columns))
            .select_from(SavedSearch)
            .join(SearchResult, SearchResult.search_id == SavedSearch.id)
            .join(Influencer, Influencer.id == SearchResult.influencer_id)
            .where(*_search_where(account_id, request.search_ids))
            .order_by(SavedSearch.id, SearchResult.rank, SearchResult.id)
        )
    return (
        select(
            *(
                _names_json(dialect, c.key, account_id).label(c.key)
                if c.kind == NAMES
                else _export_column(dialect, c, _INFLUENCER_SQL[c.key])
                for c in columns
            )
        )
        .select_from(Influencer)
        .where(*_influencer_where(account_id, request.scope))
        .order_by(Influencer.id)
    )


def _sql_text(engine: Engine, statement: Any) -> str:
    """The statement as plain SQL with its values written in (ids and fixed texts only), for a
    driver other than SQLAlchemy's and for the database's own command-line tools."""
    dialect: Any = engine.dialect
    if dialect.name == "postgresql":  # named style: no "%" doubling, since no DBAPI reads it
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

        dialect = PGDialect_psycopg(paramstyle="named")
    compiled = statement.compile(
        dialect=dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
    )
    return str(compiled)
