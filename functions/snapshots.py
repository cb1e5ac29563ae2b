"""Client snapshots (``build/clients/<id>.json``): what a function needs to price a client."""

from __future__ import annotations

import re
from pathlib import Path

from site_builder.bundle import ClientBundle

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class FolderSnapshots:
    """Snapshots in the local build folder (an S3 twin comes with the deploy)."""

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
