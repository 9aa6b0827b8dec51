"""Signed reply addresses: they name their ticket, survive a lower-cased local part, and nothing
else verifies."""

from __future__ import annotations

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from steward.desk.mail import tokens


@given(st.integers(min_value=1, max_value=10**12))
def test_an_address_names_its_ticket_even_lower_or_upper_cased(ticket_id):
    address = tokens.reply_address(ticket_id, mailbox="support@steward.test")
    assert tokens.verified_ticket_id(address) == ticket_id
    assert tokens.verified_ticket_id(address.upper()) == ticket_id
    local = address.partition("@")[0]
    assert len(local) <= 64 and local.startswith("support+")


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=25),
    st.sampled_from("a2z7q"),
)
def test_any_change_to_the_signature_fails(ticket_id, position, char):
    token = tokens.reply_token(ticket_id)
    number, signature = token.split("-")
    changed = signature[:position] + char + signature[position + 1 :]
    if changed != signature:
        assert tokens.verified_ticket_id(f"support+{number}-{changed}@steward.test") is None


def test_another_tickets_id_with_this_signature_fails():
    _number, signature = tokens.reply_token(41).split("-")
    assert tokens.verified_ticket_id(f"support+42-{signature}@steward.test") is None
    assert tokens.verified_ticket_id("support+41@steward.test") is None
    assert tokens.verified_ticket_id("") is None


def test_the_signature_depends_on_the_secret_and_the_salt(settings):
    address = tokens.reply_address(7, mailbox="support@steward.test")
    other_salt = signing.Signer(salt="another.purpose", algorithm="sha256").signature("7")
    assert other_salt not in address
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-test-only-0123456789"
    assert tokens.verified_ticket_id(address) is None


@pytest.mark.parametrize("address", ["support+12-@x", "support+x-abcdefghijklmnopqrstuvwxyz@x", "nobody@x"])
def test_malformed_addresses_name_nothing(address):
    assert tokens.verified_ticket_id(address) is None


def test_the_first_genuine_token_among_recipients():
    good = tokens.reply_address(9, mailbox="support@steward.test")
    assert (
        tokens.ticket_id_from_addresses(
            ["x@y.example", "support+3-aaaaaaaaaaaaaaaaaaaaaaaaaa@steward.test", good]
        )
        == 9
    )
    assert tokens.ticket_id_from_addresses([]) is None
