"""What every mail backend promises.

A backend's ``send`` returns only once the message was accepted (by the SMTP
server, by SES, or on disk). Anything else raises ``errors.MailError``, whose
``transient`` flag tells the outbox drain whether to try again later (with
back-off) or to give up on this message.
"""

from __future__ import annotations

from typing import Protocol

from functions.mailer.message import Mail


class Mailer(Protocol):
    def send(self, mail: Mail) -> str:
        """Deliver ``mail``; return the provider's message id (or the Message-ID)."""
        ...
