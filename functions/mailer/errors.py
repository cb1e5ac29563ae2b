"""How sending mail fails: the errors every backend raises and the outbox drain reads."""

from __future__ import annotations


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
