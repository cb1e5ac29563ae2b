"""The command's counted nouns: "1 client", "2 clients", and a plural given for an odd noun."""

from __future__ import annotations

from portal.plural import plural


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert plural(1, "client") == "1 client"
    assert [plural(n, "invoice") for n in (0, 2, 10_000)] == [
        "0 invoices",
        "2 invoices",
        "10000 invoices",
    ]
    assert plural(2, "reminder email") == "2 reminder emails"  # the last word takes the s


def test_a_noun_with_its_own_plural() -> None:
    assert plural(1, "reply", "replies") == "1 reply"
    assert plural(3, "reply", "replies") == "3 replies"
