"""Receipt emails from the built sample: the client's language, both parts, escaped only in HTML."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from html import unescape
from pathlib import Path

import pytest

from functions.mailer.message import to_mime
from functions.receipts import receipt_mail
from functions.snapshots import FolderSnapshots
from functions.store import Payment
from site_builder.build import build
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> FolderSnapshots:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return FolderSnapshots(Path(out) / "build" / "clients")


def payment(invoice: str, amount: int, currency: str) -> Payment:
    paid = Payment("pi_3Q", invoice, "x", amount, currency, "2026-11-23", "card", "succeeded")
    return replace(paid, receipt="R-2026-0042")  # the store's number, never Stripe's id


@pytest.mark.parametrize(
    ("client", "invoice", "currency", "subject", "words", "amount"),
    [
        (
            "harbor-light",
            "INV-2026-0130",
            "USD",
            "Receipt R-2026-0042 for invoice",
            "can't wait",
            "$1,650.00",
        ),
        ("xinghe", "INV-2026-0131", "USD", "收据 R-2026-0042（发票 INV-2026-0131", "谢谢您", "US$"),
        ("wislane-smaki", "INV-2026-0136", "PLN", "Potwierdzenie płatności", "Dziękujemy", "zł"),
        ("guanghua-tokyo", "INV-2026-0128", "JPY", "收據 R-2026-0042（帳單", "謝謝您", "¥600,000"),
    ],
)
def test_receipt_in_the_clients_language(
    snapshots: FolderSnapshots,
    client: str,
    invoice: str,
    currency: str,
    subject: str,
    words: str,
    amount: str,
) -> None:
    bundle = snapshots.load(client)
    assert bundle is not None
    minor = 600000 if currency == "JPY" else 165000
    mail = receipt_mail(bundle, payment(invoice, minor, currency), 0, "TOKEN", Theme())
    assert mail.subject.startswith(subject)
    assert mail.to == tuple(c.email for c in bundle.client.contacts if c.role == "billing")
    assert mail.message_id == "receipt:pi_3Q"
    parsed = message_from_bytes(to_mime(mail).as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for part in (text, unescape(html)):
        assert words in part and amount in part.replace("\xa0", " ")
        assert "/c/TOKEN/receipts/R-2026-0042.html" in part and "pi_3Q" not in part
    assert "&#39;" not in text and "&amp;" not in text  # plain text is not HTML-escaped
    assert "<script" not in html
