"""The insights' filters in a link: to the query parameters of the page's URL and back, with
every value checked (a reversed, unreadable or out-of-range date, an unknown plan, country or
band is dropped and named, so the page can say so and use its defaults)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.insights.filters import FilterOptions, Filters


@dataclass(frozen=True)
class FromUrl:
    filters: Filters | None  # None: the URL named no filter at all
    problems: tuple[str, ...]  # i18n keys of what was wrong and left out, in order


def query_of(filters: Filters) -> dict[str, str]:
    """The query parameters that name the filters (none for an empty choice)."""
    raise NotImplementedError


def filters_from_query(
    params: Mapping[str, str | Sequence[str]], options: FilterOptions, today: dt.date
) -> FromUrl:
    raise NotImplementedError
