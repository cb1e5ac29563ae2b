"""The message a backend sends, and its MIME form.

``to_mime`` builds a UTF-8 ``multipart/alternative`` (plain text first, then
HTML) with a stable ``Message-ID`` when one is given, so that a retried send is
recognisable as the same message. Every header value is checked: a CR or LF (or
any other line break) raises :class:`InvalidMailError`, a ``ValueError``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from functions.mailer.errors import InvalidMailError

MESSAGE_ID_DOMAIN = "clientportal"
# 7-bit bodies (quoted-printable or base64, whichever is shorter): safe through any relay,
# including servers without 8BITMIME.
_POLICY = policy.default.clone(cte_type="7bit")

# str.splitlines() breaks on all of these; a header value must contain none.
_LINE_BREAKS = re.compile("[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00]")
# RFC 5322 field-name: printable ASCII except ':' (and no space).
_FIELD_NAME = re.compile(r"[!-9;-~]+")
# Characters kept as they are in a Message-ID's left part (all RFC 5322 atext, and safe in
# a file name); anything else in ``Mail.message_id`` is %-encoded, '%' included.
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=-")
# Headers that to_mime sets itself: extra headers may not replace them.
_RESERVED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "sender",
        "return-path",
    }
)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail: the invoice's PDF, for one."""

    filename: str
    content_type: str  # "application/pdf"
    data: bytes

    def as_payload(self) -> dict[str, str]:
        data = base64.b64encode(self.data).decode("ascii")
        return {"filename": self.filename, "content_type": self.content_type, "data": data}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Attachment:
        data = base64.b64decode(payload["data"], validate=True)
        return cls(str(payload["filename"]), str(payload["content_type"]), data)


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    sender: str
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    message_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        # A bare string would otherwise be iterated character by character.
        for name in ("to", "cc"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"Mail.{name} must be a tuple of addresses, not a str")
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "headers", tuple((str(k), str(v)) for k, v in self.headers))

    def as_payload(self) -> dict[str, Any]:
        """Plain JSON for an outbox item: a mail decided now and sent by the drain later."""
        # shallow: every field is a str or a tuple of str (asdict's deep copy costs 70 µs)
        fields = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}
        return {
            **fields,
            "to": list(self.to),
            "cc": list(self.cc),
            "headers": [list(h) for h in self.headers],
            "attachments": [a.as_payload() for a in self.attachments],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Mail:
        fields = dict(payload)
        for name in ("to", "cc"):
            fields[name] = tuple(fields.get(name, ()))
        fields["headers"] = tuple(tuple(h) for h in fields.get("headers", ()))
        fields["attachments"] = tuple(
            Attachment.from_payload(a) for a in fields.get("attachments", ())
        )
        return cls(**fields)


def check_header_value(name: str, value: str) -> str:
    """Return ``value`` if it is safe as a header value; raise otherwise."""
    if not isinstance(value, str):
        raise InvalidMailError(f"{name}: header value must be a str, not {type(value).__name__}")
    if _LINE_BREAKS.search(value):
        raise InvalidMailError(f"{name}: line break in header value (header injection?)")
    return value


def parse_address(value: str, *, field: str = "address") -> Address:
    """One mailbox (``a@b`` or ``Name <a@b>``) as an ASCII-addressed ``Address``.

    Non-ASCII display names are fine (they are encoded on output); an
    internationalised domain is converted to its IDNA (punycode) form; a
    non-ASCII local part, a group, a list or anything unparsable is refused.
    """
    check_header_value(field, value)
    try:
        header = policy.default.header_factory("to", value)
        addresses = header.addresses
        defects = header.defects
        groups = header.groups
    except Exception as exc:  # the header parser raises more than HeaderParseError
        raise InvalidMailError(f"{field}: cannot parse address {value!r}") from exc
    if len(addresses) != 1 or defects or any(g.display_name for g in groups):
        raise InvalidMailError(f"{field}: expected exactly one valid address, got {value!r}")
    (address,) = addresses
    username, domain = address.username, address.domain
    if not username or not domain:
        raise InvalidMailError(f"{field}: invalid address {value!r}")
    if not username.isascii():
        raise InvalidMailError(f"{field}: non-ASCII local part is not supported: {value!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidMailError(f"{field}: invalid domain in {value!r}") from exc
    return Address(display_name=address.display_name, username=username, domain=domain)


def message_id_of(mail: Mail) -> str:
    """The ``Message-ID`` header for ``mail``: stable when ``mail.message_id`` is set.

    Any key works as ``message_id`` (e.g. an outbox key ``receipt:pi_123``): characters
    outside ``[A-Za-z0-9_+=-]`` and dots that would break RFC 5322 dot-atom syntax are
    %-encoded, so different keys give different ids: ``<receipt%3Api_123@clientportal>``.
    Line breaks are refused like in any other header.
    """
    if not mail.message_id:
        return make_msgid(domain=MESSAGE_ID_DOMAIN)
    key = check_header_value("message_id", mail.message_id)
    out: list[str] = []
    for i, char in enumerate(key):
        dot_ok = char == "." and 0 < i < len(key) - 1 and key[i - 1] != "."
        if char in _ID_SAFE or dot_ok:
            out.append(char)
        else:
            out.extend(f"%{b:02X}" for b in char.encode("utf-8"))
    return f"<{''.join(out)}@{MESSAGE_ID_DOMAIN}>"


def to_mime(mail: Mail) -> EmailMessage:
    """The MIME form of ``mail``; raises ``InvalidMailError`` (a ValueError) on bad input."""
    if not mail.to:
        raise InvalidMailError("to: at least one recipient is required")
    sender = parse_address(mail.sender, field="sender")
    to = [parse_address(a, field="to") for a in mail.to]
    cc = [parse_address(a, field="cc") for a in mail.cc]
    reply_to = None if mail.reply_to is None else parse_address(mail.reply_to, field="reply_to")
    subject = check_header_value("subject", mail.subject)
    extra: list[tuple[str, str]] = []
    for name, value in mail.headers:
        if not _FIELD_NAME.fullmatch(name):
            raise InvalidMailError(f"headers: invalid header name {name!r}")
        if name.lower() in _RESERVED:
            raise InvalidMailError(f"headers: {name} is set by the mailer, not by extra headers")
        extra.append((name, check_header_value(name, value)))

    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id_of(mail)
    msg.set_content(mail.text, subtype="plain", charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        filename = check_header_value("attachment", attachment.filename)
        msg.add_attachment(attachment.data, maintype, subtype, filename=filename)
    # after the body: set_content drops Content-* headers, e.g. a Content-Language
    for name, value in extra:
        msg[name] = value
    return msg


def recipients(msg: EmailMessage) -> tuple[list[str], list[str]]:
    """The bare ``To`` and ``Cc`` addresses (``a@b``) of a message built by ``to_mime``."""
    to = [a.addr_spec for a in msg["To"].addresses] if msg["To"] else []
    cc = [a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else []
    return to, cc
