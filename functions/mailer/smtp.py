"""Delivery through an SMTP server (a relay: Postfix, SES SMTP, a provider)."""

from __future__ import annotations

import logging
import smtplib
import ssl

from functions.mailer.errors import MailError
from functions.mailer.message import Mail, to_mime

log = logging.getLogger(__name__)


def _transient_code(code: int) -> bool:
    # 5xx: permanent. 4xx: try again later, as for anything unexpected (-1: unreadable reply).
    return not 500 <= code < 600


class SmtpMailer:
    """Send through ``host:port``; returns the ``Message-ID`` once the server accepted it.

    One connection per message: the drain sends few messages, and a fresh
    connection never reuses a half-broken session.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not host:
            raise ValueError("SmtpMailer needs a host")
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.ssl_context = ssl_context

    def __repr__(self) -> str:  # never show the password
        return (
            f"SmtpMailer({self.host!r}, {self.port!r}, starttls={self.starttls!r}, "
            f"username={self.username!r})"
        )

    def send(self, mail: Mail) -> str:
        msg = to_mime(mail)  # InvalidMailError (ValueError) before any connection
        message_id = str(msg["Message-ID"])
        where = f"{self.host}:{self.port}"
        smtp: smtplib.SMTP | None = None
        try:
            # Connects here (the host is also what STARTTLS checks the certificate against).
            smtp = smtplib.SMTP(
                self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
            )
            if self.starttls:
                smtp.ehlo()
                smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            # Every recipient was refused: nothing was sent.
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()
            )
            transient = bool(codes) and all(_transient_code(c) for c in codes)
            raise MailError(
                f"{where} refused all recipients: {detail}",
                transient=transient,
                code=codes[0] if codes else None,
            ) from exc
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
            # A configuration problem, not this message's: keep it for after the fix.
            raise MailError(f"{where}: {exc}", transient=True, code=_code(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            # SMTPDataError, SMTPSenderRefused, SMTPHeloError, ...
            raise MailError(
                f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}",
                transient=_transient_code(exc.smtp_code),
                code=exc.smtp_code,
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Refused connection, timeout, disconnect, TLS failure (SMTPException is an OSError).
            raise MailError(f"{where}: {type(exc).__name__}: {exc}", transient=True) from exc
        finally:
            if smtp is not None:
                _close_quietly(smtp)
        if refused:
            # Accepted for the others: not an error (retrying would duplicate it for them).
            log.warning(
                "%s accepted %s but refused some recipients: %s", where, message_id, refused
            )
        return message_id


def _close_quietly(smtp: smtplib.SMTP) -> None:
    # After DATA was accepted, a failed QUIT must not turn success into a retry.
    try:
        if smtp.sock is not None:
            smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        smtp.close()


def _code(exc: Exception) -> int | None:
    return getattr(exc, "smtp_code", None)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
