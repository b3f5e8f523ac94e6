"""Rich, realistic demo data: one call fills an empty database.

Everything is drawn from a seeded `random.Random` and derived from a reference time `now`, so
the same seed, sizes and `now` always give the same data, and the dates always look current.
The data covers every screen: customer accounts with subscriptions, invoices, influencers in
many scripts, saved searches, lists, campaigns and reports, plus twelve months of cancellation
flows (survey answers, retention offers, support requests, audit entries) for the insights.

Rows are built in memory with their ids assigned here, then written with one bulk INSERT per
table; on PostgreSQL the id sequences are moved past the seeded rows afterwards.

The package: `seeding` (the entry points), `builder` (one seeding's rows, in order) with its
collaborators `people`, `accounts` (subscriptions and invoices), `content`, `flows` and
`records` (what a flow leaves in the support queue and the audit log), sharing a `draft`;
`playbook` (the retention playbook's versions, experiment and how saved customers fare);
the pools they draw from (`names`, `pools`, `answers`, `plans`); `writer` (bulk writes, locks,
sequences); `large` and `large_content` (the benchmarks' agency); `logins`.
"""

from .builder import SeedSummary
from .large import LARGE_ANSWERS, LARGE_INFLUENCERS, LargeSummary, seed_large
from .logins import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_COMPANY,
    DEMO_CUSTOMER_EMAIL,
    DEMO_CUSTOMER_PASSWORD,
    LARGE_COMPANY,
    LARGE_CUSTOMER_EMAIL,
    LARGE_CUSTOMER_PASSWORD,
)
from .plans import CURRENCY, PLANS, PlanSpec, ensure_plans
from .seeding import (
    DEFAULT_ACCOUNTS,
    DEFAULT_INFLUENCERS_PER_ACCOUNT,
    DEFAULT_SEED,
    is_seeded,
    seed,
    seed_if_empty,
)

__all__ = [
    "CURRENCY",
    "DEFAULT_ACCOUNTS",
    "DEFAULT_INFLUENCERS_PER_ACCOUNT",
    "DEFAULT_SEED",
    "DEMO_ADMIN_EMAIL",
    "DEMO_ADMIN_PASSWORD",
    "DEMO_COMPANY",
    "DEMO_CUSTOMER_EMAIL",
    "DEMO_CUSTOMER_PASSWORD",
    "LARGE_ANSWERS",
    "LARGE_COMPANY",
    "LARGE_CUSTOMER_EMAIL",
    "LARGE_CUSTOMER_PASSWORD",
    "LARGE_INFLUENCERS",
    "PLANS",
    "LargeSummary",
    "PlanSpec",
    "SeedSummary",
    "ensure_plans",
    "is_seeded",
    "seed",
    "seed_if_empty",
    "seed_large",
]
