"""Content problems as values: each names the file, the line and the field."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Shown escaped (\n, \u202e): a problem is one line of `portal check`, and a key, a value or
# a file name the message quotes must not break it or reorder it on the terminal.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


@dataclass(frozen=True)
class ContentError:
    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return _escaped(f"{where}:{field} {self.message}")


class ContentInvalid(Exception):
    """Raised when the content tree has problems; carries every one of them."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = sorted(set(errors), key=lambda e: (e.path, e.line or 0, e.field, e.message))
        super().__init__(f"{len(errors)} problem(s) in the content")
