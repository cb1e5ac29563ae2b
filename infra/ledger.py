"""The build's ledger into the store: only the invoices whose entry changed since the last
deploy (the previous ``ledger.json`` in the data bucket says what was written), in batches
of 25 by ``DynamoStore.put_invoices``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from functions.deliveries import load_ledger
from functions.store.dynamodb import DynamoStore

LEDGER_KEY = "ledger.json"


def changed_entries(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any]:
    """The entries of ``new`` that ``old`` lacks or holds differently (pure)."""
    if old is None:
        return dict(new)
    return {number: entry for number, entry in new.items() if old.get(number) != entry}


def previous_ledger(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=LEDGER_KEY)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return orjson.loads(body)["invoices"]


def write_ledger(dynamodb: Any, s3: Any, table: str, data_bucket: str, build_dir: Path) -> int:
    """Write the changed entries; returns how many. Call before ``ledger.json`` is uploaded."""
    ledger = orjson.loads((build_dir / LEDGER_KEY).read_bytes())
    new, old = ledger["invoices"], previous_ledger(s3, data_bucket)
    changed = changed_entries(new, old)
    if changed:
        # with the emails of the invoices and offline payments the last deploy's ledger did
        # not list, or listed otherwise (none on a stack's first deploy: history)
        day = date.fromisoformat(ledger["today"])
        store = DynamoStore(table, dynamodb)
        # the deploy builds again with any numbers this gives (deploy.py): no re-publish
        load_ledger(store, changed, day, before=old or {}, first=old is None, republish=False)
    return len(changed)
