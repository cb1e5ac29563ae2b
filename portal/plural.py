"""Counted nouns for the command's messages, which are English only (the portals are translated)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``plural(1, "client")`` is "1 client", ``plural(2, "client")`` "2 clients".

    ``many`` is the plural of a noun that does not just take an "s" ("reply", "replies").
    """
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many if many is not None else noun + 's'}"
