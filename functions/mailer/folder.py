"""Delivery into a folder of ``.eml`` files: the local default without an SMTP host."""

from __future__ import annotations

import os
import re
import tempfile
from email import policy
from pathlib import Path

from functions.mailer.errors import MailError
from functions.mailer.message import Mail, to_mime

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=%-]")


def eml_name(message_id: str) -> str:
    """``<abc@clientportal>`` → ``abc@clientportal.eml``.

    Ids made by ``to_mime`` are already file-name safe; anything else unsafe is %-escaped.
    """
    core = message_id.strip().removeprefix("<").removesuffix(">")
    safe = _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), core)
    if safe.startswith("."):
        safe = "%2E" + safe[1:]
    return f"{safe}.eml"


class FolderMailer:
    """Write each message to ``folder/<message-id>.eml`` atomically.

    Idempotent: a message whose id is already there is not written again (the
    first copy stands, as a receiver deduplicating by Message-ID would keep it).
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FolderMailer({str(self.folder)!r})"

    def send(self, mail: Mail) -> str:
        msg = to_mime(mail)
        message_id = str(msg["Message-ID"])
        target = self.folder / eml_name(message_id)
        try:
            if target.exists():
                return message_id
            self.folder.mkdir(parents=True, exist_ok=True)
            data = msg.as_bytes(policy=policy.SMTP)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailError(f"cannot write {target}: {exc}", transient=True) from exc
        return message_id
