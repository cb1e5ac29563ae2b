"""Re-publishing one client after a payment: to public/ on disk and to S3 (moto's server).

Only what changed is written; a second run writes nothing; the pages equal
what a full build with the same payment writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.publish import republish
from functions.recorded import by_client
from functions.site import FolderSite, S3Site, Site
from functions.snapshots import FolderSnapshots, S3Snapshots
from functions.store import Change, Payment, SqliteStore
from site_builder.build import build
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.integration.conftest import aws_client

PAID = Payment(
    "pi_republish",
    "INV-2026-0130",
    "harbor-light",
    165000,
    "USD",
    "2026-11-22",
    "card",
    "succeeded",
)
PORTAL = f"c/{client_token(SECRET, 'harbor-light', 1)}/"


@pytest.fixture
def built(content: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.apply(Change("evt_1", payments=[PAID]))
    return {"content": content, "out": out, "store": store}


@pytest.fixture(params=["folder", "s3"])
def site(request: pytest.FixtureRequest, built: dict[str, Any]) -> Iterator[tuple[Site, Any]]:
    public, clients = built["out"] / "public", built["out"] / "build" / "clients"
    if request.param == "folder":
        yield FolderSite(public), FolderSnapshots(clients)
        return
    s3 = aws_client("s3", request.getfixturevalue("moto_endpoint"))
    bucket = f"site-{hashlib.sha256(str(public).encode()).hexdigest()[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=f"{bucket}-data")
    for path in public.rglob("*"):
        if path.is_file():
            s3.put_object(
                Bucket=bucket, Key=path.relative_to(public).as_posix(), Body=path.read_bytes()
            )
    for path in clients.glob("*.json"):
        s3.put_object(Bucket=f"{bucket}-data", Key=f"clients/{path.name}", Body=path.read_bytes())
    yield S3Site(bucket, s3), S3Snapshots(f"{bucket}-data", s3)


def test_only_the_changed_pages_are_written(site: tuple[Site, Any], built: dict[str, Any]) -> None:
    target, snapshots = site
    store, theme = built["store"], Theme()

    def run() -> Any:
        return republish(
            "harbor-light",
            snapshots=snapshots,
            store=store,
            site=target,
            theme=theme,
            secret=SECRET,
            today=SAMPLE_TODAY,
        )

    first = run()
    assert set(first.written) == {
        f"{PORTAL}index.html",
        f"{PORTAL}invoices/INV-2026-0130.html",
        f"{PORTAL}receipts/R-2026-0001.html",  # the store's number names it, not Stripe's id
        # the documents' PDFs, made here as WeasyPrint runs here (functions/pdfs.py)
        f"{PORTAL}invoices/INV-2026-0130.pdf",
        f"{PORTAL}receipts/R-2026-0001.pdf",
        f"{PORTAL}statement.html",  # the statement of account lists the payment
        f"{PORTAL}statement.pdf",
    }
    # the .ics of an invoice that is no longer open goes
    assert first.deleted == [f"{PORTAL}invoices/INV-2026-0130.ics"]
    assert run().written == [] and store.invoice("INV-2026-0130")["status"] == "paid"  # type: ignore[index]

    # the same pages, byte for byte, as a build that knows the payment
    rebuilt = built["out"].parent / "rebuilt"
    build(built["content"], rebuilt, SAMPLE_TODAY, secret=SECRET, recorded=by_client(store))
    held = target.fingerprints(PORTAL)
    expected = {
        p.relative_to(rebuilt / "public").as_posix(): target.fingerprint(p.read_bytes())
        for p in (rebuilt / "public" / PORTAL).rglob("*")
        if p.is_file()
    }
    assert held == expected
