"""The payment app end to end: the sample built, uvicorn, the real stripe SDK, a local Stripe.

Everything talks over loopback sockets: the app under uvicorn, the local
Stripe-compatible server, and its signed webhook deliveries back to the app.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn

from functions.app import Services, create_app, record
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from functions.store.base import CheckoutSession
from functions.work import drain_outbox
from local.stripe_server.server import LocalStripe
from local.stripe_server.webhooks import sign_payload
from site_builder.build import build
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer, free_port

OPEN = "INV-2026-0130"  # harbor-light, $1,650.00, due in 3 days
PAID = "INV-2026-0101"  # harbor-light, paid in May
# Currencies whose Stripe units are not ISO 4217's minor units: (client, currency, amount as
# written, what Stripe is sent, or None when Stripe cannot charge it exactly)
STRIPE_UNITS = {
    "INV-2026-0901": ("budapest", "HUF", "12700", 1270000),  # whole forints, counted in 1/100
    "INV-2026-0902": ("reykjavik", "ISK", "10000", 1000000),
    "INV-2026-0903": ("kuwait", "KWD", "10.490", 10490),
    "INV-2026-0904": ("kuwait", "KWD", "10.499", None),  # Stripe charges KWD in steps of 0.010
}


def _add_stripe_unit_invoices(content: Path) -> None:
    for number, (client, currency, amount, _) in STRIPE_UNITS.items():
        (content / "clients" / f"{client}.yaml").write_text(
            f"name: {client.title()} Ltd\nlocale: en\ncurrency: {currency}\n"
            f"contacts:\n  - {{name: Ana, email: ana@{client}.example, role: billing}}\n"
            "token_version: 1\n",
            encoding="utf-8",
        )
        (content / "invoices" / f"{number}.yaml").write_text(
            f"client: {client}\nissued: 2026-11-01\ndue: 2026-12-20\ntitle: Retainer\n"
            f'items:\n  - {{description: Retainer, quantity: 1, unit_price: "{amount}"}}\n',
            encoding="utf-8",
        )


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("site")
    content = out / "content"
    shutil.copytree(SAMPLE, content)
    _add_stripe_unit_invoices(content)
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    store = SqliteStore(out / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    smtp = SmtpServer()
    with LocalStripe(duplicate_deliveries=2) as stripe_server:
        services = Services(
            store=store,
            snapshots=FolderSnapshots(out / "build" / "clients"),
            sessions=stripe_server.client().v1.checkout.sessions,
            portal_secret=SECRET,
            webhook_secret=stripe_server.webhook_secret,
            timezone="America/Los_Angeles",
            today=lambda: SAMPLE_TODAY,
            mailer=smtp.mailer(),
            site=FolderSite(out / "public"),
        )
        config = uvicorn.Config(
            create_app(services), host="127.0.0.1", port=free_port(), log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        assert wait_until(lambda: server.started, 10)
        url = f"http://127.0.0.1:{config.port}"
        stripe_server.webhook_url = f"{url}/webhooks/stripe"
        yield {
            "url": url,
            "store": store,
            "stripe": stripe_server,
            "services": services,
            "smtp": smtp,
            "public": out / "public",
        }
        server.should_exit = True
        thread.join(timeout=10)
    smtp.stop()


def token(client: str = "harbor-light") -> str:
    return client_token(SECRET, client, 1)


def checkout(system: dict[str, Any], **form: str) -> httpx.Response:
    return httpx.post(f"{system['url']}/checkout", data=form, follow_redirects=False)


def session_of(system: dict[str, Any], location: str) -> dict[str, Any]:
    session_id = location.rsplit("/", 1)[1]
    return system["stripe"].client().v1.checkout.sessions.retrieve(session_id)


def test_health(system: dict[str, Any]) -> None:
    assert httpx.get(f"{system['url']}/health").json() == {"status": "ok"}


def test_checkout_prices_the_invoice_on_the_server(system: dict[str, Any]) -> None:
    first = checkout(system, invoice=OPEN, token=token())
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"{system['stripe'].url}/pay/cs_")
    session = session_of(system, first.headers["location"])
    assert (session["amount_total"], session["currency"]) == (165000, "usd")
    assert session["metadata"]["invoice"] == OPEN and session["client_reference_id"] == OPEN
    # a second click, even one naming its own amount and currency, reuses the session
    again = checkout(system, invoice=OPEN, token=token(), amount="1", currency="jpy")
    assert again.headers["location"] == first.headers["location"]


@pytest.mark.parametrize("invoice", sorted(STRIPE_UNITS))
def test_checkout_sends_stripe_its_own_units(system: dict[str, Any], invoice: str) -> None:
    client, currency, _, sent = STRIPE_UNITS[invoice]
    sessions = system["stripe"].client().v1.checkout.sessions
    before = len(sessions.list({"limit": 100})["data"])
    response = checkout(system, invoice=invoice, token=token(client))
    if sent is None:
        assert response.status_code == 409 and "cannot be paid online" in response.text
        assert "0.010" in response.text
        assert len(sessions.list({"limit": 100})["data"]) == before
        return
    assert response.status_code == 303, response.text
    session = session_of(system, response.headers["location"])
    assert (session["amount_total"], session["currency"]) == (sent, currency.lower())


def test_a_payment_in_stripe_units_is_recorded_in_ours(system: dict[str, Any]) -> None:
    invoice = "INV-2026-0901"  # 12,700 Ft: Stripe says 1270000
    response = checkout(system, invoice=invoice, token=token("budapest"))
    system["stripe"].pay(response.headers["location"].rsplit("/", 1)[1])
    store = system["store"]
    assert wait_until(lambda: [p.status for p in store.payments(invoice)] == ["succeeded"])
    (payment,) = store.payments(invoice)
    assert (payment.amount, payment.currency) == (12700, "HUF")
    assert store.reviews() == [] or all(r.get("invoice") != invoice for r in store.reviews())


def test_tampered_checkouts_create_no_session(system: dict[str, Any]) -> None:
    sessions = system["stripe"].client().v1.checkout.sessions
    before = len(sessions.list({"limit": 100})["data"])
    wrong = checkout(system, invoice=OPEN, token="x" * 32)
    other_client = checkout(system, invoice=OPEN, token=token("xinghe"))
    unknown = checkout(system, invoice="INV-NOPE", token=token())
    paid = checkout(system, invoice=PAID, token=token())
    assert wrong.status_code == other_client.status_code == unknown.status_code == 404
    assert wrong.text == unknown.text  # nothing tells an unknown invoice from a wrong token
    assert paid.status_code == 409 and "already paid" in paid.text
    assert len(sessions.list({"limit": 100})["data"]) == before


def test_paying_records_one_payment_a_receipt_and_a_publish(system: dict[str, Any]) -> None:
    invoice = "INV-2026-0131"  # xinghe, due in 5 days
    response = checkout(system, invoice=invoice, token=token("xinghe"))
    session_id = response.headers["location"].rsplit("/", 1)[1]
    system["stripe"].pay(session_id)
    store = system["store"]
    assert wait_until(lambda: [p.status for p in store.payments(invoice)] == ["succeeded"])
    assert system["stripe"].wait_for_deliveries(5)
    (payment,) = store.payments(invoice)  # delivered twice, recorded once
    keys = {item.key for item in store.due(now=10**10)}
    assert f"receipt:{payment.id}" in keys
    assert any(k.startswith("publish:xinghe:") for k in keys)
    assert checkout(system, invoice=invoice, token=token("xinghe")).status_code == 409

    # the outbox's work: the receipt goes out once, the client's pages show the payment
    portal = system["public"] / "c" / token("xinghe")
    assert not (portal / "receipts" / f"{payment.id}.html").exists()
    report = drain_outbox(system["services"])
    assert f"receipt:{payment.id}" in report.done and not report.retried
    assert drain_outbox(system["services"]).done == []
    mails = [
        (rcpts, message_from_bytes(data, policy=policy.default))
        for _, rcpts, data in system["smtp"].handler.envelopes
    ]
    receipts = [(r, m) for r, m in mails if f"R-{payment.id}" in m["subject"]]
    billing = ["finance@xinghe-tech.example", "liu.yang@xinghe-tech.example"]
    assert len(receipts) == 1 and receipts[0][0] == billing
    assert (portal / "receipts" / f"{payment.id}.html").exists()
    page = (portal / "invoices" / f"{invoice}.html").read_text()
    assert "badge-paid" in page and 'name="invoice"' not in page
    assert system["store"].invoice(invoice)["status"] == "paid"  # type: ignore[index]


def test_forged_and_stale_webhooks_change_nothing(system: dict[str, Any]) -> None:
    store = system["store"]
    before = (store.payments(), store.pending())
    event = {
        "id": "evt_forged",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_x", "payment_intent": "pi_x", "amount_total": 1}},
    }
    body = json.dumps(event).encode()
    url = f"{system['url']}/webhooks/stripe"
    secret = system["stripe"].webhook_secret
    for signature in (
        sign_payload(body, "whsec_not_the_secret"),
        sign_payload(body, secret, int(time.time()) - 600),
        "",
    ):
        response = httpx.post(url, content=body, headers={"Stripe-Signature": signature})
        assert response.status_code == 400
    assert (store.payments(), store.pending()) == before


def test_a_pinned_day_is_the_latest_a_payment_is_received(tmp_path: Any) -> None:
    """With `today` pinned (`portal serve --today`), a later event counts as arriving that day."""
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.save_session(
        CheckoutSession("cs_1", OPEN, "harbor-light", None, 165000, "USD", "u", 2**31)
    )
    later = datetime(2027, 1, 5, 12, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    event = {
        "id": "evt_later",
        "type": "checkout.session.completed",
        "created": int(later),
        "data": {
            "object": {
                "id": "cs_1",
                "amount_total": 165000,
                "currency": "usd",
                "payment_intent": "pi_later",
                "payment_status": "paid",
                "payment_method_types": ["card"],
            }
        },
    }
    pinned = Services(
        store=store,
        snapshots=None,  # type: ignore[arg-type]  # not read when recording
        sessions=None,  # type: ignore[arg-type]
        portal_secret=SECRET,
        webhook_secret="whsec_x",
        timezone="America/Los_Angeles",
        today=lambda: date(2026, 11, 23),
    )
    assert record(pinned, event)
    assert store.payment("pi_later").received == "2026-11-23"  # type: ignore[union-attr]
    unpinned = Services(**{**pinned.__dict__, "today": None})
    assert record(
        unpinned,
        {
            **event,
            "id": "evt_again",
            "data": {
                "object": {**event["data"]["object"], "id": "cs_1", "payment_intent": "pi_other"}
            },
        },
    )
    assert store.payment("pi_other").received == "2027-01-05"  # type: ignore[union-attr]
