"""The webhook URL an admin types: refused with a clear message in their language when it is
not http(s), too long, carries a password, or leads to an address webhooks must not reach.

There is no DNS server here: public targets are written as public IP addresses (looked up by
the real socket.getaddrinfo, which needs no server for them); "localhost" and the numeric
spellings of 127.0.0.1 are real look-ups too.
"""

from __future__ import annotations

import pytest

from core.outbox import webhooks
from core.platform.config import Settings
from core.platform.errors import InvalidInput
from core.platform.i18n import t

STRICT = Settings(webhooks_allow_private=False)
OPEN = Settings(webhooks_allow_private=True)
PUBLIC = "http://93.184.215.14/hooks"


def refused(url: str, settings: Settings = STRICT) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        webhooks.check_url(url, settings)
    return caught.value


def message(error: InvalidInput, lang: str = "en") -> str:
    return t(error.key, lang, **error.params)


def test_a_public_address_is_accepted_and_cleaned():
    assert webhooks.check_url(PUBLIC, STRICT) == PUBLIC
    assert webhooks.check_url("  HTTPS://93.184.215.14:8443  ", STRICT) == (
        "https://93.184.215.14:8443/"
    )
    # the fragment never reaches a server; a path that is not ASCII is percent-encoded
    assert webhooks.check_url("http://93.184.215.14/crème?a=ü#top", STRICT) == (
        "http://93.184.215.14/cr%C3%A8me?a=%C3%BC"
    )
    assert webhooks.check_url('http://93.184.215.14/a"b<c>{d}?q=%20&r=1', STRICT) == (
        "http://93.184.215.14/a%22b%3Cc%3E%7Bd%7D?q=%20&r=1"
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.215.14/hooks",
        "file:///etc/passwd",
        "gopher://93.184.215.14:70/_",
        "javascript:alert(1)",
        "93.184.215.14/hooks",
        "//93.184.215.14/hooks",
    ],
)
def test_only_http_and_https_are_accepted(url):
    error = refused(url)
    assert message(error) == "The URL must start with https:// or http://."
    assert message(error, "it") == "L'URL deve iniziare con https:// o http://."


def test_a_ten_thousand_character_url_is_refused_with_its_length():
    error = refused("https://93.184.215.14/" + "a" * (10_000 - 22))
    assert message(error) == "This URL is 10000 characters long: at most 2048 are allowed."
    assert "2048" in message(error, "it")
    assert webhooks.check_url("https://93.184.215.14/" + "a" * (2048 - 22), STRICT)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "Enter the endpoint's URL."),
        ("http://user:secret@93.184.215.14/", "cannot contain a user name or a password"),
        ("http://user@93.184.215.14/", "cannot contain a user name or a password"),
        ("http:///hooks", "no valid host name"),
        ("http://93.184.215.14:99999/", "port is not valid"),
        ("http://93.184.215.14:0/", "port is not valid"),
        ("http://93.184.215.14/a b", "spaces or control characters"),
        ("http://93.184.215.14/\r\nX-Injected: 1", "spaces or control characters"),
        ("http://bad host/", "spaces or control characters"),
        ("http://exa<mple.com/", "no valid host name"),
        ("http://nothing.invalid/hooks", "The host nothing.invalid could not be found"),
    ],
)
def test_broken_urls_are_refused_with_what_is_wrong(url, words):
    assert words in message(refused(url))


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://localhost:8080/hooks", "127.0.0.1"),  # a name that resolves to loopback
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),  # 127.0.0.1 written as one number
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://[::1]/", "::1"),
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://172.16.5.4/", "172.16.5.4"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://100.64.0.1/", "100.64.0.1"),  # carrier-grade NAT
        ("http://169.254.10.20/", "169.254.10.20"),  # link-local
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[fd12:3456::1]/", "fd12:3456::1"),  # unique local
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),  # IPv4-mapped
        ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1"),  # NAT64 of 10.0.0.1
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_unless_allowed(url, address):
    error = refused(url)
    assert error.key == "webhooks.error.url_private"
    assert message(error).startswith(f"This URL leads to {address}, a private")
    assert "PORTAL_WEBHOOKS_ALLOW_PRIVATE" in message(error, "it")
    assert webhooks.check_url(url, OPEN)  # the tests and the demo send to loopback


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the clouds' metadata service
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0:8080/",
        "http://224.0.0.1/",
    ],
)
def test_metadata_services_are_refused_even_when_private_targets_are_allowed(url):
    for settings in (STRICT, OPEN):
        error = refused(url, settings)
        assert error.key in ("webhooks.error.url_never", "webhooks.error.url_private")
    assert "never receives webhooks" in message(refused(url, OPEN))


def test_the_event_types_are_named_in_words_in_both_languages():
    assert webhooks.event_type_label("cancellation.scheduled", "en") == "Cancellation scheduled"
    assert webhooks.event_type_label("cancellation.undone", "it") == "Annullamento revocato"
    assert webhooks.event_type_label("subscription.paused", "it") == "Abbonamento sospeso"
    assert webhooks.event_type_label("something.else", "it") == "something.else"
    from core.rules.vocabulary import EVENT_TYPES

    for lang in ("en", "it"):
        labels = [webhooks.event_type_label(e, lang) for e in EVENT_TYPES]
        assert len(set(labels)) == len(EVENT_TYPES)
        assert not set(labels) & set(EVENT_TYPES)
