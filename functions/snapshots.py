"""Client snapshots (``build/clients/<id>.json``): what a function needs to price a client.

Locally they are read from the build folder; on AWS from the private data
bucket, where ``portal deploy`` puts them under ``clients/<id>.json``.

``load(client, only=...)`` reads just some invoices (and their payments): pricing a few
invoices of a client (the reminders job, thousands of clients a run) then validates
only those, and the agency, the same in every snapshot, once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

import orjson

from site_builder.bundle import ClientBundle
from site_builder.model import Agency

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class Snapshots(Protocol):
    def load(self, client_id: str, only: Collection[str] | None = None) -> ClientBundle | None: ...


class _Parser:
    """Snapshot bytes to a bundle, keeping the agency it validated last."""

    def __init__(self) -> None:
        self._agency: tuple[Any, Agency] | None = None  # (as read, as validated)

    def parse(self, data: bytes, only: Collection[str] | None) -> ClientBundle:
        if only is None:
            return ClientBundle.model_validate_json(data)
        raw = orjson.loads(data)
        if self._agency is None or self._agency[0] != raw.get("agency"):
            self._agency = (raw.get("agency"), Agency.model_validate(raw.get("agency")))
        raw["agency"] = self._agency[1]  # a model is taken as it is, not validated again
        raw["invoices"] = [i for i in raw.get("invoices", ()) if i.get("number") in only]
        raw["payments"] = [p for p in raw.get("payments", ()) if p.get("invoice") in only]
        raw["notes"] = []
        return ClientBundle.model_validate(raw)


class FolderSnapshots(_Parser):
    """Snapshots in the local build folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def load(self, client_id: str, only: Collection[str] | None = None) -> ClientBundle | None:
        if not _CLIENT_ID.fullmatch(client_id):  # ids come from the ledger, but never trust a path
            return None
        path = self.folder / f"{client_id}.json"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return self.parse(data, only)


class OverlaySnapshots(_Parser):
    """Snapshots made in memory (a dry run's build) over those of the last build."""

    def __init__(self, made: Mapping[str, bytes], under: Snapshots) -> None:
        super().__init__()
        self.made, self.under = made, under

    def load(self, client_id: str, only: Collection[str] | None = None) -> ClientBundle | None:
        if client_id in self.made:
            return self.parse(self.made[client_id], only)
        return self.under.load(client_id, only)


class S3Snapshots(_Parser):
    """Snapshots in the private data bucket (never the site bucket)."""

    def __init__(self, bucket: str, s3: Any) -> None:
        super().__init__()
        self.bucket, self.s3 = bucket, s3

    def load(self, client_id: str, only: Collection[str] | None = None) -> ClientBundle | None:
        if not _CLIENT_ID.fullmatch(client_id):
            return None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=f"clients/{client_id}.json")["Body"]
        except self.s3.exceptions.NoSuchKey:
            return None
        return self.parse(body.read(), only)
