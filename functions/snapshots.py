"""Client snapshots (``build/clients/<id>.json``): what a function needs to price a client.

Locally they are read from the build folder; on AWS from the private data
bucket, where ``portal deploy`` puts them under ``clients/<id>.json``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from site_builder.bundle import ClientBundle

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class Snapshots(Protocol):
    def load(self, client_id: str) -> ClientBundle | None: ...


class FolderSnapshots:
    """Snapshots in the local build folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, client_id: str) -> ClientBundle | None:
        if not _CLIENT_ID.fullmatch(client_id):  # ids come from the ledger, but never trust a path
            return None
        path = self.folder / f"{client_id}.json"
        try:
            return ClientBundle.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None


class S3Snapshots:
    """Snapshots in the private data bucket (never the site bucket)."""

    def __init__(self, bucket: str, s3: Any) -> None:
        self.bucket, self.s3 = bucket, s3

    def load(self, client_id: str) -> ClientBundle | None:
        if not _CLIENT_ID.fullmatch(client_id):
            return None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=f"clients/{client_id}.json")["Body"]
        except self.s3.exceptions.NoSuchKey:
            return None
        return ClientBundle.model_validate_json(body.read())
