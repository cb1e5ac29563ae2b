"""Client snapshots (``build/clients/<id>.json``): what a function needs to price a client."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import orjson

from site_builder.bundle import ClientBundle
from site_builder.model import Agency

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class FolderSnapshots:
    """Snapshots in the local build folder (an S3 twin comes with the deploy)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._agency: tuple[Any, Agency] | None = None  # (as read, as validated)

    def load(self, client_id: str, only: Collection[str] | None = None) -> ClientBundle | None:
        """The client's bundle; with ``only``, just those invoices and their payments.

        ``only`` is for pricing a few invoices of a large client (the reminders job): the
        rest of the snapshot is not validated, which is most of the cost of loading it.
        """
        if not _CLIENT_ID.fullmatch(client_id):  # ids come from the ledger, but never trust a path
            return None
        path = self.folder / f"{client_id}.json"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if only is None:
            return ClientBundle.model_validate_json(data)
        raw = orjson.loads(data)
        # every snapshot carries the same agency: validated once, then passed as the model
        if self._agency is None or self._agency[0] != raw.get("agency"):
            self._agency = (raw.get("agency"), Agency.model_validate(raw.get("agency")))
        raw["agency"] = self._agency[1]
        raw["invoices"] = [i for i in raw.get("invoices", ()) if i.get("number") in only]
        raw["payments"] = [p for p in raw.get("payments", ()) if p.get("invoice") in only]
        raw["notes"] = []
        return ClientBundle.model_validate(raw)
