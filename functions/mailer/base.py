"""What every mail backend promises, and how it fails.

A backend's ``send`` returns only once the message was accepted (by the SMTP
server, by SES, or on disk). Anything else raises :class:`MailError`, whose
``transient`` flag tells the outbox drain whether to try again later (with
back-off) or to give up on this message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from functions.mailer.message import Mail


class MailError(Exception):
    """A message was not accepted.

    ``transient``: True when the same message may well succeed later (server
    down, timeout, 4xx reply, throttling, a configuration problem such as bad
    SMTP credentials that an operator will fix); False when retrying the same
    message cannot help (5xx rejection of the recipient or the message, an
    invalid address, an unverified sender).
    ``code``: the SMTP reply code or the provider's error code, when known.
    """

    def __init__(self, message: str, *, transient: bool, code: int | str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self)!r}, transient={self.transient!r}, "
            f"code={self.code!r})"
        )


class InvalidMailError(MailError, ValueError):
    """The message itself is malformed (header injection, bad address): permanent.

    Also a ``ValueError``, and raised before any connection is made.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


class Mailer(Protocol):
    def send(self, mail: Mail) -> str:
        """Deliver ``mail``; return the provider's message id (or the Message-ID)."""
        ...
