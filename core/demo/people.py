"""The demo's people: the users who sign in (the demo logins and each account's one to three
colleagues), and the handles and display names of influencers."""

from __future__ import annotations

import datetime as dt
import secrets

from core.identity.passwords import hash_password
from core.platform.models import User
from core.rules.vocabulary import ROLE_ADMIN, ROLE_CUSTOMER

from .draft import Draft, Row
from .logins import DEMO_ADMIN_EMAIL, DEMO_ADMIN_NAME, DEMO_ADMIN_PASSWORD
from .names import CULTURE_BY_KEY, Culture, Person, draw_person, slug
from .pools import EMOJI, EMOJI_SHARE


class People:
    """Builds user rows and draws people, handles and display names from the draft's generator."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.rng = draft.rng
        # Every generated user shares one password nobody knows; hashed once, cheaply.
        self.bulk_password_hash = hash_password(secrets.token_urlsafe(24), fast=True)

    def admin(self) -> None:
        """The demo admin, unless it exists already; support requests are handled by it."""
        if DEMO_ADMIN_EMAIL in self.draft.emails:
            return
        admin = self.user(
            None,
            DEMO_ADMIN_NAME,
            DEMO_ADMIN_EMAIL,
            None,
            self.draft.now - dt.timedelta(days=3 * 365 + 30),
            password_hash=hash_password(DEMO_ADMIN_PASSWORD),
            role=ROLE_ADMIN,
        )
        self.draft.admin_id = admin["id"]

    def user(
        self,
        account_id: int | None,
        full_name: str,
        email: str,
        language: str | None,
        created_at: dt.datetime,
        password_hash: str | None = None,
        role: str = ROLE_CUSTOMER,
    ) -> Row:
        user = self.draft.add(
            User,
            {
                "id": self.draft.new_id(User),
                "account_id": account_id,
                "email": email,
                "full_name": full_name,
                "password_hash": password_hash or self.bulk_password_hash,
                "role": role,
                "language": language,
                "created_at": created_at,
            },
        )
        self.draft.emails.add(email)
        return user

    def account_users(
        self,
        account_id: int,
        home: str | None,
        domain: str,
        country: str,
        seats: int,
        created_at: dt.datetime,
        data_end: dt.datetime,
    ) -> list[Row]:
        """1-3 customer users (never more than `seats`) at `domain`; the first is the owner,
        who signed up when the account was created."""
        rng = self.rng
        count = min(seats, rng.choices((1, 2, 3), (55, 30, 15))[0])
        culture = CULTURE_BY_KEY[home or "english"]
        users: list[Row] = []
        taken: set[str] = set()
        for n in range(count):
            person = self.person(culture)
            local = f"{slug(person.first_roman)}.{person.last_roman}"
            while local in taken or f"{local}@{domain}" in self.draft.emails:
                local += str(n + 1)
            taken.add(local)
            joined = self.draft.between(created_at, data_end) if n else created_at
            language = "it" if country == "IT" else rng.choice((None, "en"))
            users.append(self.user(account_id, person.name, f"{local}@{domain}", language, joined))
        return users

    def person(self, culture: Culture) -> Person:
        return draw_person(self.rng, culture)

    def handle(self, person: Person, category: str, taken: set[str]) -> str:
        """A handle unique within `taken` (an account's influencers), at most 28 characters."""
        rng = self.rng
        first, last = slug(person.first_roman), person.last_roman
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

    def display_name(self, person: Person) -> str:
        """The person's name, now and then with an emoji or two."""
        rng = self.rng
        if rng.random() >= EMOJI_SHARE:
            return person.name
        if rng.random() < 0.5:
            return f"{person.first} {''.join(rng.sample(EMOJI, 2))}"
        return f"{person.name} {rng.choice(EMOJI)}"
