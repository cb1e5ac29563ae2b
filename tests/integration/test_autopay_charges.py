"""Automatic charges over 90 days: the sample agency plus four clients on autopay, the local
Stripe-compatible server over sockets (its test cards), the payment app under uvicorn for
Stripe's webhooks, and a real SMTP server for every email.

Each day runs as the scheduled job does (``{"job": "remind"}``): the automatic charges, then
the reminders, then the outbox drain. Clients (USD, net terms of the sample agency):

- ``ap-visa`` (pm_card_visa): an invoice due in 10 days and a three-part plan; each part is
  charged once, on its day, after one pre-charge notice, and receipted;
- ``ap-decline`` (pm_card_chargeDeclinedInsufficientFunds): charged on its due day, declined,
  retried 3 and 7 days later, then its method detached and dropped with one email, and the
  ordinary reminders resume;
- ``ap-auth`` (pm_card_authenticationRequired): one email asking the client to pay, no
  retry, the method kept;
- ``ap-off``: turns autopay off after its first charge; its second invoice is not charged.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions import work
from functions.app import Services
from functions.autopay.status import autopay_status
from functions.config import StripeSessions
from functions.mailer import Mail
from functions.outbox import drain
from functions.recorded import with_store_payments
from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from local.stripe_server.server import DEFAULT_API_KEY, LocalStripe
from portal.cli import app
from site_builder.build import build
from site_builder.bundle import accounts
from site_builder.formatting import format_day
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer, app_server

DAYS = 90
CARDS = {
    "ap-visa": "pm_card_visa",
    "ap-decline": "pm_card_chargeDeclinedInsufficientFunds",
    "ap-auth": "pm_card_authenticationRequired",
    "ap-off": "pm_card_visa",
}
OFF_DAY = SAMPLE_TODAY + timedelta(days=15)  # ap-off turns automatic payments off


def day(n: int) -> str:
    return (SAMPLE_TODAY + timedelta(days=n)).isoformat()


INVOICES = {  # number: (client, due, extra yaml)
    "AP-1": ("ap-visa", day(10), ""),
    "AP-2": (
        "ap-visa",
        day(70),
        f'instalments:\n  - {{due: {day(20)}, percent: "40"}}\n'
        f'  - {{due: {day(45)}, percent: "30"}}\n  - {{due: {day(70)}, percent: "30"}}\n',
    ),
    "AP-3": ("ap-decline", day(12), ""),
    "AP-4": ("ap-auth", day(6), ""),
    "AP-5": ("ap-off", day(8), ""),
    "AP-6": ("ap-off", day(30), ""),
}


def add_clients(content: Path) -> None:
    for client in CARDS:
        (content / "clients" / f"{client}.yaml").write_text(
            f"name: {client.title()} Ltd\nlocale: en\ncurrency: USD\n"
            f"contacts:\n  - {{name: Ana, email: ana@{client}.example, role: billing}}\n"
            "token_version: 1\n",
            encoding="utf-8",
        )
    for number, (client, due, extra) in INVOICES.items():
        (content / "invoices" / f"{number}.yaml").write_text(
            f"client: {client}\nissued: {SAMPLE_TODAY.isoformat()}\ndue: {due}\n"
            f"title: Retainer\n"
            f'items:\n  - {{description: Retainer, quantity: 1, unit_price: "1000.00"}}\n{extra}',
            encoding="utf-8",
        )


def message(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The 90 days, walked once for the module; the tests read what they left."""
    out = tmp_path_factory.mktemp("autopay")
    content = out / "content"
    shutil.copytree(SAMPLE, content)
    add_clients(content)
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    store = SqliteStore(out / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    smtp = SmtpServer()
    mp = pytest.MonkeyPatch()
    # the receipts' PDFs are tested elsewhere: 90 days of them would only be slow here
    mp.setattr(work, "_receipt_pdf", lambda *args: None)
    with LocalStripe() as stripe_server:
        sdk = stripe_server.client()
        stripe_api = StripeSessions(DEFAULT_API_KEY, stripe_server.url)
        today = [SAMPLE_TODAY]
        services = Services(
            store=store,
            snapshots=FolderSnapshots(out / "build" / "clients"),
            sessions=stripe_api,
            portal_secret=SECRET,
            webhook_secret=stripe_server.webhook_secret,
            today=lambda: today[0],
            mailer=smtp.mailer(),
        )
        customers = {}
        for client, card in CARDS.items():
            customer = sdk.v1.customers.create(
                {"email": f"ana@{client}.example", "metadata": {"client": client}}
            )
            method = sdk.v1.payment_methods.attach(card, {"customer": customer.id})
            store.save_customer(client, customer.id)
            saved = {
                "customer": customer.id,
                "payment_method": method.id,
                "type": method.type,
                "brand": method.card.brand,
                "last4": method.card.last4,
            }
            store.save_method(client, saved, SAMPLE_TODAY.isoformat())
            customers[client] = (customer.id, method.id)
        mailer = smtp.mailer(timeout=5.0)

        def email(payload: dict[str, Any]) -> None:
            if "mail" in payload:
                mail = Mail.from_payload(payload["mail"])
            elif payload.get("template") == "receipt":
                found = work.receipt(services, payload["payment"])
                assert found is not None
                mail = found
            else:
                return  # the sample's invoice emails: not this test's
            mailer.send(mail)

        reports, statuses = {}, {}
        with app_server(services) as url:
            stripe_server.webhook_url = f"{url}/webhooks/stripe"
            for n in range(DAYS + 1):
                today[0] = SAMPLE_TODAY + timedelta(days=n)
                if today[0] == OFF_DAY:  # as POST /autopay action=off does
                    store.drop_method("ap-off", "turned off by the client", OFF_DAY.isoformat())
                    stripe_api.detach_payment_method(customers["ap-off"][1])
                if n in (9, 13, 20):  # as `portal status` shows it that morning
                    statuses[n] = autopay_status(store, services.snapshots, today[0])
                reports[today[0]] = job.remind_job(services)
                drain(store, {"email": email, "publish": lambda p: None}, limit=500)
            # Stripe's webhooks for the last day's charges: recorded by then
            assert stripe_server.wait_for_deliveries(10)
            webhooks = [d for d in stripe_server.deliveries if d.ok]
        intents = {
            client: [i.to_dict() for i in sdk.v1.payment_intents.list({"customer": customer}).data]
            for client, (customer, _) in customers.items()
        }
        methods = {
            client: sdk.v1.payment_methods.retrieve(pm).to_dict()
            for client, (_, pm) in customers.items()
        }
    mp.undo()
    mails = [message(data) for _, _, data in smtp.handler.envelopes]
    smtp.stop()
    yield {
        "store": store,
        "intents": intents,
        "methods": methods,
        "mails": mails,
        "reports": reports,
        "webhooks": webhooks,
        "snapshots": services.snapshots,
        "statuses": statuses,
        "out": out,
    }


def subjects(walk: dict[str, Any], start: str) -> list[str]:
    return [str(m["subject"]) for m in walk["mails"] if str(m["subject"]).startswith(start)]


def parts(intents: list[dict[str, Any]], status: str | None = None) -> list[tuple[str, str]]:
    return sorted(
        (i["metadata"]["invoice"], i["metadata"].get("instalment", ""))
        for i in intents
        if status is None or i["status"] == status
    )


def test_each_due_part_is_charged_once_at_the_rules_amount(walk: dict[str, Any]) -> None:
    visa = walk["intents"]["ap-visa"]
    assert parts(visa) == [("AP-1", ""), ("AP-2", "1"), ("AP-2", "2"), ("AP-2", "3")]
    assert {i["status"] for i in visa} == {"succeeded"}
    store, by_id = walk["store"], {i["id"]: i for i in visa}
    for number in ("AP-1", "AP-2"):
        paid = [p for p in store.payments(number) if p.status == "succeeded"]
        assert len(paid) == len({p.id for p in paid}) == (1 if number == "AP-1" else 3)
        assert sorted(p.id for p in paid) == sorted(
            i["id"] for i in visa if i["metadata"]["invoice"] == number
        )
        assert all(str(p.amount) == by_id[p.id]["metadata"]["amount"] for p in paid)
        assert all(p.receipt for p in paid)  # numbered as a Checkout payment is
    assert store.reminders("AP-1") == []  # the notice and the charge stood for them
    # each at the rules' figure of its day (AP-1 within its early-payment discount): settled
    bundle = walk["snapshots"].load("ap-visa")
    figures = accounts(with_store_payments(bundle, store), date.fromisoformat(day(DAYS)))
    assert {(a.invoice.number, a.statement.status, a.statement.amount_due) for a in figures} == {
        ("AP-1", "paid", 0),
        ("AP-2", "paid", 0),
    }


def test_one_notice_before_each_charge_and_a_receipt_after_it(walk: dict[str, Any]) -> None:
    notices = subjects(walk, "Automatic payment for invoice AP-")
    notices = [s for s in notices if "did not go through" not in s]
    charged = [("AP-1", 10), ("AP-2", 20), ("AP-2", 45), ("AP-2", 70), ("AP-3", 12)]
    charged += [("AP-4", 6), ("AP-5", 8)]  # not AP-6: its client turned it off
    expected = [
        f"Automatic payment for invoice {number} on {format_day(date.fromisoformat(day(n)), 'en')}"
        for number, n in charged
    ]
    assert sorted(notices) == sorted(expected)  # one each
    receipts = [m for m in walk["mails"] if str(m["subject"]).startswith("Receipt ")]
    visa = [m for m in receipts if "ap-visa" in str(m["to"])]
    assert len(visa) == 4
    # the receipt names the saved method charged, as the portal does
    assert all("Method: Visa •••• 4242" in text_of(m) for m in visa)


def test_a_declined_card_is_retried_then_turned_off_and_reminders_resume(
    walk: dict[str, Any],
) -> None:
    declined = walk["intents"]["ap-decline"]
    assert parts(declined) == [("AP-3", "")] * 3  # the charge day, 3 and 7 days later
    assert not parts(declined, "succeeded")
    failures = [m for m in walk["mails"] if "ap-decline" in str(m["to"])]
    failed = [m for m in failures if "did not go through" in str(m["subject"])]
    assert len(failed) == 2
    first = text_of(failed[0])
    assert "there were not enough funds available." in first
    assert f"We will try again on {format_day(date.fromisoformat(day(15)), 'en')}." in first
    off = [m for m in failures if str(m["subject"]) == "Automatic payments are turned off"]
    assert len(off) == 1 and "we have removed Visa •••• 9995" in text_of(off[0])
    assert walk["store"].method("ap-decline") is None
    assert walk["methods"]["ap-decline"]["customer"] is None  # detached at Stripe
    steps = [r.step for r in walk["store"].reminders("AP-3")]
    assert steps and all(s.startswith("overdue-") for s in steps)  # none before or on the day


def test_authentication_required_emails_once_and_keeps_the_method(walk: dict[str, Any]) -> None:
    assert len(walk["intents"]["ap-auth"]) == 1
    mails = [m for m in walk["mails"] if "ap-auth" in str(m["to"])]
    failed = [m for m in mails if "did not go through" in str(m["subject"])]
    assert len(failed) == 1
    body = text_of(failed[0])
    assert "your bank asks you to confirm this payment yourself." in body
    assert "we will not try again automatically" in body
    assert "/invoices/AP-4.html" in body  # the pay link
    assert walk["store"].method("ap-auth") is not None


def test_turning_autopay_off_stops_the_next_charge(walk: dict[str, Any]) -> None:
    assert parts(walk["intents"]["ap-off"]) == [("AP-5", "")]
    assert walk["methods"]["ap-off"]["customer"] is None
    assert not [p for p in walk["store"].payments("AP-6") if p.status != "failed"]


def test_the_webhook_and_the_job_meet_in_one_payment(walk: dict[str, Any]) -> None:
    succeeded = [d for d in walk["webhooks"] if d.event_type == "payment_intent.succeeded"]
    assert len(succeeded) >= 5  # delivered to the app, recorded as the same payments
    paid = [p for p in walk["store"].payments() if p.invoice.startswith("AP-")]
    assert len([p for p in paid if p.status == "succeeded"]) == 5


def test_the_job_reports_the_day_s_charges(walk: dict[str, Any]) -> None:
    on_day = walk["reports"][date.fromisoformat(day(10))]["autopay"]
    assert on_day["charged"] == 1 and on_day["on_autopay"] == 4
    assert sum(r["autopay"]["charged"] for r in walk["reports"].values()) == 5


def test_status_lists_upcoming_charges_and_failures(walk: dict[str, Any]) -> None:
    morning = walk["statuses"][9]
    upcoming = {(u.day, u.client, u.invoice, u.instalment, u.method) for u in morning.upcoming}
    assert (day(10), "ap-visa", "AP-1", 0, "Visa •••• 4242") in upcoming
    assert (day(12), "ap-decline", "AP-3", 0, "Visa •••• 9995") in upcoming
    assert (day(20), "ap-visa", "AP-2", 1, "Visa •••• 4242") in upcoming
    assert all(u.day <= day(23) for u in morning.upcoming)  # the next 14 days only
    assert {o.client for o in morning.on} == set(CARDS)
    after = walk["statuses"][13]
    (failure,) = [f for f in after.failures if f.client == "ap-decline"]
    assert (failure.invoice, failure.attempt, failure.next_retry) == ("AP-3", 1, day(15))
    assert failure.reason == "there were not enough funds available"
    assert (day(15), "ap-decline", "AP-3", 0, "Visa •••• 9995") in {
        (u.day, u.client, u.invoice, u.instalment, u.method) for u in after.upcoming
    }
    # the last retry (day 19) failed: off autopay, and still listed, with no next attempt
    off = walk["statuses"][20]
    assert "ap-decline" not in {o.client for o in off.on}
    (failure,) = [f for f in off.failures if f.client == "ap-decline"]
    assert (failure.invoice, failure.attempt, failure.day, failure.next_retry) == (
        "AP-3",
        3,
        day(19),
        None,
    )


def test_portal_status_shows_automatic_payments(walk: dict[str, Any]) -> None:
    out = walk["out"]
    args = ["status", "--content", str(out / "content"), "--out", str(out)]
    args += ["--store", str(out / "store.sqlite3")]
    env = {"PORTAL_SECRET": SECRET, "CI": "1", "COLUMNS": "160"}
    shown = CliRunner().invoke(app, args, env=env)
    assert shown.exit_code == 0, shown.output
    assert "On automatic payments: ap-auth (Visa •••• 3184), ap-visa (Visa •••• 4242)" in (
        shown.output
    )
    assert "Failed automatic charges" in shown.output
    as_json = CliRunner().invoke(app, [*args, "--format", "json"], env=env)
    document = json.loads(as_json.stdout)["autopay"]
    assert [o["client"] for o in document["on_autopay"]] == ["ap-auth", "ap-visa"]
    (auth,) = [f for f in document["failures"] if f["client"] == "ap-auth"]
    assert auth["code"] == "authentication_required" and auth["next_retry"] is None
