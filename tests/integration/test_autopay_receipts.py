"""An automatic charge's receipt names the saved method as the portal does ("Visa •••• 4242"),
on the receipt page, the portal's and invoice's receipt lists and the receipt email; a
Checkout payment's still says "Card". The store keeps the method with the payment (a store
made before it gains the columns), whichever of the job and the webhook records it first.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from functions.autopay.recording import record_intent
from functions.receipts import receipt_mail
from functions.recorded import content_payment
from functions.snapshots import FolderSnapshots
from functions.store import Payment, SqliteStore
from functions.store.base import Change, ChargeAttempt
from site_builder.build import build
from site_builder.bundle import ClientBundle, accounts
from site_builder.errors import ContentInvalid
from site_builder.generators import render_pages
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

CLIENT, INVOICE = "harbor-light", "INV-2026-0130"
SAVED = {
    "client": CLIENT,
    "customer": "cus_1",
    "payment_method": "pm_1",
    "type": "card",
    "brand": "visa",
    "last4": "4242",
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> ClientBundle:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    found = FolderSnapshots(Path(out) / "build" / "clients").load(CLIENT)
    assert found is not None
    return found


def attempt(payment_method: str = "pm_1") -> ChargeAttempt:
    return ChargeAttempt(
        invoice=INVOICE,
        instalment=0,
        attempt=1,
        client=CLIENT,
        amount=165000,
        currency="USD",
        day=SAMPLE_TODAY.isoformat(),
        charge_day=SAMPLE_TODAY.isoformat(),
        payment_method=payment_method,
        state="claimed",
        claimed_at=0.0,
    )


def succeeded(intent: str = "pi_auto") -> dict[str, object]:
    """``payment_intent.succeeded`` for the job's first attempt, as the webhook reads it."""
    metadata = {"invoice": INVOICE, "client": CLIENT, "amount": "165000", "autopay": "1"}
    return {
        "id": f"evt_{intent}",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent,
                "amount": 165000,
                "currency": "usd",
                "metadata": metadata,
                "payment_method_types": ["card"],
            }
        },
    }


def store_with_claim(path: Path, payment_method: str = "pm_1") -> SqliteStore:
    store = SqliteStore(path)
    store.save_method(CLIENT, SAVED, SAMPLE_TODAY.isoformat())
    assert store.claim_charge(attempt(payment_method), 0.0, 600)
    return store


def test_the_webhook_records_the_method_the_job_charged(tmp_path: Path) -> None:
    store = store_with_claim(tmp_path / "store.sqlite3")
    assert record_intent(store, succeeded(), SAMPLE_TODAY.isoformat())
    paid = store.payment("pi_auto")
    assert paid is not None and paid.receipt is not None
    assert (paid.saved_type, paid.saved_brand, paid.saved_last4) == ("card", "visa", "4242")
    # read again by another process: the same record
    again = SqliteStore(tmp_path / "store.sqlite3").payment("pi_auto")
    assert again == paid


def test_a_method_changed_since_the_charge_is_not_named(tmp_path: Path) -> None:
    store = store_with_claim(tmp_path / "store.sqlite3", payment_method="pm_old")
    record_intent(store, succeeded(), SAMPLE_TODAY.isoformat())
    paid = store.payment("pi_auto")
    assert paid is not None and paid.saved_last4 is None  # "Card", never another card's digits


def test_a_store_made_before_saved_methods_gains_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SqliteStore(path)
    paid = Payment("pi_1", INVOICE, CLIENT, 100, "USD", "2026-11-23", "card", "succeeded")
    store.apply(Change(f"evt_{paid.id}", payments=[paid]))
    with sqlite3.connect(path) as db:
        for column in ("saved_type", "saved_brand", "saved_last4"):
            db.execute(f"ALTER TABLE payments DROP COLUMN {column}")
    reopened = SqliteStore(path)
    found = reopened.payment("pi_1")
    assert found is not None and found.saved_type is None
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(payments)")}
    assert {"saved_type", "saved_brand", "saved_last4"} <= columns


def receipt_pages(bundle: ClientBundle, payment: Payment) -> dict[str, str]:
    counted = content_payment(payment)
    assert counted is not None
    paid = bundle.model_copy(update={"payments": [*bundle.payments, counted]})
    token = client_token(SECRET, CLIENT, bundle.client.token_version)
    rendered = render_pages(paid, accounts(paid, SAMPLE_TODAY), token, Theme(), pdfs=False)
    prefix = f"c/{token}/"
    return {p.path.removeprefix(prefix): p.data.decode() for p in rendered}


@pytest.mark.parametrize(
    ("saved", "words"),
    [(("card", "visa", "4242"), "Visa •••• 4242"), ((None, None, None), "Card")],
    ids=["automatic", "checkout"],
)
def test_the_receipt_page_lists_and_email_name_the_method(
    bundle: ClientBundle, saved: tuple[str | None, ...], words: str
) -> None:
    kind, brand, last4 = saved
    payment = Payment("pi_auto", INVOICE, CLIENT, 165000, "USD", "2026-11-23", "card", "succeeded")
    payment = replace(
        payment, receipt="R-2026-0042", saved_type=kind, saved_brand=brand, saved_last4=last4
    )
    pages = receipt_pages(bundle, payment)
    receipt = pages["receipts/R-2026-0042.html"]
    assert f"<dt>Method</dt><dd>{words}</dd>" in receipt
    assert f"<td>{words}</td>" in pages["index.html"]  # the portal's list of receipts
    assert f"· {words} ·" in pages[f"invoices/{INVOICE}.html"]
    token = client_token(SECRET, CLIENT, bundle.client.token_version)
    mail = receipt_mail(bundle, payment, 0, token, Theme())
    assert f"Method: {words}" in mail.text
    assert f">{words}</td>" in (mail.html or "")
    if kind is not None:
        assert "Card" not in mail.text.split("Method:")[1].splitlines()[0]


def test_a_content_file_may_not_write_a_saved_method(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    paid = content / "payments" / "pay-2026-05-21-harbor-light.yaml"
    paid.write_text(
        paid.read_text(encoding="utf-8") + 'saved: {type: card, brand: visa, last4: "4242"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentInvalid) as exc:
        build(content, tmp_path / "out", SAMPLE_TODAY, secret=SECRET)
    (error,) = exc.value.errors
    assert (error.path, error.line, error.field) == (
        "payments/pay-2026-05-21-harbor-light.yaml",
        6,
        "saved",
    )
    assert "recorded by the payment store" in error.message
