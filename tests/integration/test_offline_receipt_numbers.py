"""Offline payments' receipt numbers: one counter with Stripe's, and the page, the re-publish,
the build and the email all name a receipt by its number.

Through the local store: ``portal build --store`` (history numbered on a store's first load,
in the order received), a Stripe payment recorded by the functions, a cheque added to the
content, then ``portal serve`` on the same store mailing the cheque's receipt, a restart and
another build that renumber nothing. The re-publish (the drain's ``publish`` work) renders the
same pages as the build. (The deployed stack's side is in test_deploy.py.)
"""

from __future__ import annotations

import json
import re
import shutil
from email.message import EmailMessage
from pathlib import Path

from functions.app import Services
from functions.deliveries import load_ledger
from functions.outbox import drain
from functions.recorded import receipt_numbers
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import Change, Payment, SqliteStore
from functions.work import handlers
from site_builder.build import build
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.test_offline_receipts import INVOICE, build_with_store, cheque, mails
from tests.integration.test_serve import make_system, wait_until

CLIENT = "harbor-light"  # INVOICE's client


def history(out: Path) -> list[str]:
    """The ledger's offline payments that moved money, in the order received (then by id)."""
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    found = {
        (p["date"], p["id"])
        for entry in ledger.values()
        for p in entry.get("payments") or ()
        if p.get("credit_from") is None
    }
    return [pid for _, pid in sorted(found)]


def number(n: int) -> str:
    return f"R-2026-{n:04d}"


def receipts_of(out: Path, client: str = CLIENT) -> Path:
    token = json.loads((out / "build" / "manifest.json").read_text())["clients"][client]["token"]
    return out / "public" / "c" / token / "receipts"


def card(pid: str, day: str) -> Change:
    payment = Payment(pid, INVOICE, CLIENT, 10000, "USD", day, "card", "succeeded")
    return Change(f"evt_{pid}", payments=[payment])


def test_offline_and_stripe_receipts_take_one_gap_free_sequence_named_alike(
    tmp_path: Path,
) -> None:
    root, out = tmp_path, tmp_path / "out"
    system, _ = make_system(root)  # copies the sample into root/content
    content = system.options.content
    build_with_store(root)
    store = SqliteStore(root / ".portal" / "store.sqlite3")

    # a new store numbers the content's history, in the order received, and mails nobody
    old = history(out)
    assert len(old) > 20
    assert store.offline_receipt_numbers() == {pid: number(n) for n, pid in enumerate(old, 1)}
    assert not [i for i in store.unsent() if i.key.startswith("receipt:")]
    # `portal build --store` rendered the numbers it gave: each page named by its number
    for client, numbers in receipt_numbers(store).items():
        names = {p.stem for p in receipts_of(out, client).glob("*.html")}
        assert names >= set(numbers.values()) and not names & set(numbers), client

    # a Stripe payment takes the next number; a cheque added after it, the one after that;
    # then Stripe again: one counter, whichever comes
    k = len(old)
    assert store.apply(card("pi_first", "2026-11-22"))
    assert store.payment("pi_first").receipt == number(k + 1)  # type: ignore[union-attr]
    paid = cheque(content, "pay-2026-11-22-harbor-light-cheque", "250.00", "2026-11-22")
    build_with_store(root)
    assert store.offline_receipt_numbers(CLIENT)[paid] == number(k + 2)
    assert store.apply(card("pi_second", "2026-11-23"))
    assert store.payment("pi_second").receipt == number(k + 3)  # type: ignore[union-attr]
    build_with_store(root)

    # its page is named by its number and shows the content's payment as written
    page = receipts_of(out) / f"{number(k + 2)}.html"
    html = page.read_text()
    assert "Cheque no. 004519" in html and "$250.00" in html and number(k + 2) in html
    assert not (receipts_of(out) / f"{paid}.html").exists()

    # serve on the same store mails it once: the email names that number and links that page
    system.start()
    try:
        letter = wait_until(lambda: _receipt_mail(root, number(k + 2)))
    finally:
        system.stop()
    assert isinstance(letter, EmailMessage)
    text = letter.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/receipts/{number(k + 2)}.html" in text and INVOICE in str(letter["Subject"])
    served = receipts_of(root / ".portal" / "serve")  # serve's own site, its local addresses
    assert (served / f"{number(k + 2)}.html").exists() and not (served / f"{paid}.html").exists()

    # a restart and another build renumber nothing, and take no number
    before = store.offline_receipt_numbers()
    again, _ = make_system(root)
    again.start()
    again.stop()
    build_with_store(root)
    assert store.offline_receipt_numbers() == before
    assert store.payment("pi_second").receipt == number(k + 3)  # type: ignore[union-attr]
    assert store.apply(card("pi_third", "2026-11-23"))
    assert store.payment("pi_third").receipt == number(k + 4)  # no gap: nothing took one
    assert len([m for m in mails(root) if number(k + 2) in str(m["Subject"])]) == 1


def _receipt_mail(root: Path, receipt: str) -> EmailMessage | None:
    return next((m for m in mails(root) if receipt in str(m["Subject"])), None)


def test_the_republish_names_receipts_as_the_build_does(tmp_path: Path) -> None:
    """A build without the numbers, then a store's first load numbers its history and queues
    each client's re-publish: the drain renames the pages; a build with the numbers makes
    the same bytes, and a build after it has nothing to render."""
    content, out = tmp_path / "content", tmp_path / "out"
    shutil.copytree(SAMPLE, content)
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    by_id = sorted(p.name for p in receipts_of(out).glob("*.html"))
    assert by_id and all(name.startswith("pay-") for name in by_id)

    store = SqliteStore(tmp_path / "store.sqlite3")
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    load_ledger(store, ledger, SAMPLE_TODAY)
    numbers = receipt_numbers(store)
    assert sorted(numbers) == sorted({e["client"] for e in ledger.values() if e["payments"]})
    services = Services(
        store=store,
        snapshots=FolderSnapshots(out / "build" / "clients"),
        sessions=None,  # type: ignore[arg-type]  # no checkout here
        portal_secret=SECRET,
        webhook_secret="whsec_unused",
        today=lambda: SAMPLE_TODAY,
        mailer=None,
        site=FolderSite(out / "public"),
    )
    report = drain(store, handlers(services), limit=500)
    assert not report.retried
    republished = {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in (out / "public" / "c").rglob("*.html")
    }
    named = sorted(p.stem for p in receipts_of(out).glob("*.html"))
    assert named == sorted(numbers[CLIENT].values())
    assert all(re.fullmatch(r"R-2026-\d{4}", name) for name in named)

    rebuilt = build(content, out, SAMPLE_TODAY, secret=SECRET, receipts=numbers)
    assert rebuilt.clients_rendered == len(numbers)  # the numbers are an input of each
    assert {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in (out / "public" / "c").rglob("*.html")
    } == republished
    again = build(content, out, SAMPLE_TODAY, secret=SECRET, receipts=numbers)
    assert again.clients_rendered == 0
