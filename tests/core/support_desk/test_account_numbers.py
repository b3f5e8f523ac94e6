"""An account's number as support types it (`support_desk.parse_account_number`)."""

from __future__ import annotations

import pytest

from core import support_desk
from core.platform.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "number"),
    [("42", 42), ("#42", 42), (" # 42 ", 42), ("0042", 42), ("9" * 12, 999_999_999_999)],
)
def test_a_number_with_or_without_its_hash_is_read(text, number):
    assert support_desk.parse_account_number(text) == number


@pytest.mark.parametrize(
    "text", ["", " ", "#", "##42", "acme", "4 2", "-1", "+1", "1.5", "²", "9" * 13, "42a"]
)
def test_anything_else_is_refused_with_a_reason(text):
    with pytest.raises(InvalidInput) as refused:
        support_desk.parse_account_number(text)
    assert refused.value.key == "support.audit.account_invalid"
