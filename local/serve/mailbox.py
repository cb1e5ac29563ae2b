"""The mail the system sent, read back from the outbox folder (``FolderMailer``'s .eml files).

Only reading: the agency page shows each message's headers and its HTML part in
a sandboxed frame (never with scripts), as the client's mail program would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

_NAME = re.compile(r"[A-Za-z0-9._@+=%-]{1,200}\.eml")  # what FolderMailer writes


@dataclass(frozen=True)
class Letter:
    name: str  # the .eml file's name: the letter's address on the agency page
    subject: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None
    html: str | None
    text: str | None


def _addresses(message: EmailMessage, header: str) -> tuple[str, ...]:
    value = message[header]
    return tuple(str(a) for a in value.addresses) if value is not None else ()


def parse(name: str, data: bytes) -> Letter:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    return Letter(
        name=name,
        subject=str(message["Subject"] or ""),
        sender=str(message["From"] or ""),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        date=date,
        html=_content(html),
        text=_content(text),
    )


def _content(part: object) -> str | None:
    """A part's text; a charset Python does not know is read as UTF-8 with replacements, so
    one odd letter in the folder never takes the mailbox down."""
    if not isinstance(part, EmailMessage):
        return None
    try:
        return part.get_content()
    except LookupError:
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def letter(folder: Path, name: str) -> Letter | None:
    """One letter by file name; None for a name FolderMailer would not write, or none there."""
    if not _NAME.fullmatch(name) or name.startswith("."):
        return None
    try:
        return parse(name, (folder / name).read_bytes())
    except OSError:
        return None


def letters(folder: Path, limit: int = 100) -> list[Letter]:
    """The newest ``limit`` letters, newest first."""
    if not folder.is_dir():
        return []
    found = [
        one
        for path in folder.iterdir()
        if path.is_file() and (one := letter(folder, path.name)) is not None
    ]
    found.sort(key=lambda one: (one.date.timestamp() if one.date else 0.0, one.name), reverse=True)
    return found[:limit]
