"""The mailer: building a message (text + HTML, UTF-8) and handing it to a backend.

Backends: ``SmtpMailer`` (``functions.mailer.smtp``), ``FolderMailer``
(``functions.mailer.folder``, the local default), ``SesMailer``
(``functions.mailer.ses``). They are imported only when chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from functions.mailer.base import Mailer
from functions.mailer.errors import InvalidMailError, MailError
from functions.mailer.message import Attachment, Mail, to_mime

__all__ = [
    "DEFAULT_MAIL_FOLDER",
    "Attachment",
    "InvalidMailError",
    "Mail",
    "MailError",
    "Mailer",
    "mailer_from_env",
    "to_mime",
]

DEFAULT_MAIL_FOLDER = ".portal/outbox"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected true/false")


def mailer_from_env(env: Mapping[str, str]) -> Mailer:
    """The backend named by ``MAIL_BACKEND`` (smtp | folder | ses).

    Default: ``smtp`` when ``SMTP_HOST`` is set, otherwise ``folder`` at
    ``MAIL_FOLDER`` (default ``.portal/outbox``). SMTP: ``SMTP_HOST``,
    ``SMTP_PORT`` (25), ``SMTP_STARTTLS``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``,
    ``SMTP_TIMEOUT`` (10 s). SES: ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``),
    optional ``AWS_ENDPOINT_URL``, optional ``SES_CONFIGURATION_SET``; its boto3
    client is created on the first send. Raises ``ValueError`` on bad settings.
    """
    backend = env.get("MAIL_BACKEND", "").strip().lower()
    if not backend:
        backend = "smtp" if env.get("SMTP_HOST", "").strip() else "folder"

    if backend == "folder":
        from functions.mailer.folder import FolderMailer

        return FolderMailer(Path(env.get("MAIL_FOLDER", "").strip() or DEFAULT_MAIL_FOLDER))

    if backend == "smtp":
        from functions.mailer.smtp import SmtpMailer

        host = env.get("SMTP_HOST", "").strip()
        if not host:
            raise ValueError("MAIL_BACKEND=smtp needs SMTP_HOST")
        try:
            port = int(env.get("SMTP_PORT", "").strip() or 25)
            timeout = float(env.get("SMTP_TIMEOUT", "").strip() or 10.0)
        except ValueError as exc:
            raise ValueError(f"SMTP_PORT/SMTP_TIMEOUT: {exc}") from exc
        return SmtpMailer(
            host,
            port,
            starttls=_flag(env, "SMTP_STARTTLS"),
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
            timeout=timeout,
        )

    if backend == "ses":
        from functions.mailer.ses import SesMailer

        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region:
            raise ValueError("MAIL_BACKEND=ses needs AWS_REGION")
        credentials = {
            key.lower(): env[name]
            for name, key in (
                ("AWS_ACCESS_KEY_ID", "aws_access_key_id"),
                ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
                ("AWS_SESSION_TOKEN", "aws_session_token"),
            )
            if env.get(name)
        }
        return SesMailer.lazy(
            region,
            env.get("AWS_ENDPOINT_URL") or None,
            configuration_set=env.get("SES_CONFIGURATION_SET") or None,
            **credentials,
        )

    raise ValueError(f"MAIL_BACKEND={backend!r}: expected smtp, folder or ses")
