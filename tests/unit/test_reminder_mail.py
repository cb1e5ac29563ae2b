"""The reminder email: subjects with their plural forms, figures, fees, discount, CC, markup."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from functions.mailer.message import to_mime
from functions.reminders.mail import reminder_mail, subject
from site_builder.billing.reminders import Step
from site_builder.bundle import ClientBundle, accounts
from site_builder.model import Agency, Client, Invoice
from site_builder.render import Theme

THEME = Theme()
ISSUED = date(2026, 11, 2)
DUE = ISSUED + timedelta(days=21)

AGENCY: dict[str, Any] = {
    "name": "Studio <b>North</b>",
    "email": "billing@studio.example",
    "phone": "+1 555 0100",
    "address": ["1 Road", "Town"],
    "portal_url": "https://portal.studio.example",
    "api_url": "https://api.studio.example",
    "terms": {
        "net_days": 21,
        "late_fee": {
            "steps": [
                {"days_overdue": 1, "percent": "3", "of": "total"},
                {"days_overdue": 21, "percent": "3", "of": "balance"},
            ]
        },
        "early_discount": {"percent": "2", "within_days": 10},
    },
}


def bundle(locale: str = "en", name: str = "Acme & Sons <script>x</script>") -> ClientBundle:
    client = Client.model_validate(
        {
            "id": "acme",
            "name": name,
            "locale": locale,
            "contacts": [
                {"name": "Megan O'Connor", "email": "megan@acme.example"},
                {"name": "Zoë Łęcka", "email": "zoe@acme.example"},
                {"name": "Boss", "email": "boss@acme.example", "role": "leadership"},
            ],
        }
    )
    invoice = Invoice.model_validate(
        {
            "number": "INV-7",
            "client": "acme",
            "issued": ISSUED.isoformat(),
            "currency": "USD",
            "items": [{"description": "Work", "unit_price": "1000.00"}],
        }
    )
    return ClientBundle(
        agency=Agency.model_validate(AGENCY),
        client=client,
        invoices=[invoice],
        payments=[],
        notes=[],
    )


def mail_on(today: date, step: Step, last_sent: date | None = None, locale: str = "en") -> Any:
    b = bundle(locale)
    (account,) = accounts(b, today)
    return reminder_mail(b, account, 0, step, today, "TOKEN", THEME, last_sent=last_sent)


FRIENDLY = Step(-3, "friendly", False)
FIRM = Step(22, "firm", True)


@pytest.mark.parametrize(
    ("locale", "days", "words"),
    [
        ("en", 1, "Invoice INV-7 is due in 1 day"),
        ("en", 5, "Invoice INV-7 is due in 5 days"),
        ("en", 0, "Invoice INV-7 is due today"),
        ("en", -21, "Invoice INV-7 is 21 days overdue"),
        ("pl", 1, "Termin płatności faktury INV-7 mija za 1 dzień"),
        ("pl", 3, "Termin płatności faktury INV-7 mija za 3 dni"),
        ("pl", -22, "Faktura INV-7 jest 22 dni po terminie"),
        ("ru", 1, "Срок оплаты счёта INV-7 — через 1 день"),
        ("ru", 3, "Срок оплаты счёта INV-7 — через 3 дня"),
        ("ru", 5, "Срок оплаты счёта INV-7 — через 5 дней"),
        ("ru", -21, "Оплата счёта INV-7 просрочена на 21 день"),
        ("zh_Hans", -2, "发票 INV-7 已逾期 2 天"),
        ("zh_Hant", 0, "帳單 INV-7 今天到期"),
        ("ms", 10, "Invois INV-7 perlu dibayar dalam masa 10 hari lagi"),
    ],
)
def test_subjects_a_person_would_write(locale: str, days: int, words: str) -> None:
    assert subject(THEME.translations(locale), "INV-7", "full", 0, days) == words


def test_instalment_deposit_and_balance_subjects() -> None:
    t = THEME.translations("en")
    assert (
        subject(t, "INV-7", "instalment", 2, 5) == "Instalment 2 of invoice INV-7 is due in 5 days"
    )
    assert subject(t, "INV-7", "deposit", 1, 0) == "The deposit for invoice INV-7 is due today"
    assert subject(t, "INV-7", "balance", 2, -1) == "The balance of invoice INV-7 is 1 day overdue"
    pl = THEME.translations("pl")
    assert (
        subject(pl, "INV-7", "instalment", 3, -2) == "Rata 3 faktury INV-7 jest 2 dni po terminie"
    )


def test_a_reminder_before_the_due_date_with_the_discount_still_open() -> None:
    today = ISSUED + timedelta(days=4)
    mail = mail_on(today, Step(-17, "friendly", False))
    assert mail.subject == "Invoice INV-7 is due in 17 days"
    assert mail.to == ("Megan O'Connor <megan@acme.example>", "Zoë Łęcka <zoe@acme.example>")
    assert mail.cc == ()
    assert mail.sender == '"Studio <b>North</b>" <billing@studio.example>'
    assert mail.message_id == "reminder:INV-7:0:before-17"
    assert ("Content-Language", "en") in mail.headers
    assert "Hello Megan O'Connor and Zoë Łęcka," in mail.text
    assert "This is a friendly reminder" in mail.text
    assert "Due November 23, 2026 — in 17 days" in mail.text
    # the amount due today already takes off the discount still on offer, and says until when
    assert "Amount due today: $980.00" in mail.text
    assert "Pay by November 12, 2026 and take 2% off: you save $20.00." in mail.text
    assert "https://portal.studio.example/c/TOKEN/invoices/INV-7.html" in mail.text
    assert "If unpaid 1 day after the due date, 3% of the invoice total is added." in mail.text
    assert "late fee" not in mail.text.split("Payment terms")[0].lower()  # no fee yet


def test_the_late_fees_since_the_last_reminder_are_announced_with_the_new_amount() -> None:
    today = DUE + timedelta(days=22)
    everything = mail_on(today, FIRM)
    assert everything.subject == "Invoice INV-7 is 22 days overdue"
    assert "Amount due today: $1,060.90" in everything.text  # 3% of 1,000, then 3% of 1,030
    assert (
        "Late fees of $60.90 have been added since November 24, 2026, as the late-payment "
        "terms below set out. The amount due is now $1,060.90." in everything.text
    )
    since = mail_on(today, FIRM, last_sent=DUE + timedelta(days=7))
    assert (
        "A late fee of $30.90 was added on December 14, 2026, as the late-payment terms "
        "below set out. The amount due is now $1,060.90." in since.text
    )
    none = mail_on(today, FIRM, last_sent=today)
    assert "was added" not in none.text and "have been added" not in none.text


def test_escalation_copies_leadership_and_says_so() -> None:
    mail = mail_on(DUE + timedelta(days=22), FIRM)
    assert mail.cc == ("Boss <boss@acme.example>",)
    assert "The invoice below is now overdue." in mail.text
    assert "We have copied Boss so that this reaches everyone who can help." in mail.text
    final = mail_on(DUE + timedelta(days=60), Step(60, "final", True))
    assert "We have written to you several times" in final.text


def test_the_html_is_styled_inline_and_escaped_and_the_text_is_not() -> None:
    mail = mail_on(DUE - timedelta(days=3), FRIENDLY, locale="pl")
    html, text = mail.html, mail.text
    assert '<html lang="pl">' in html
    assert "<style" not in html and "<link" not in html and "class=" not in html
    assert html.count("style=") > 10
    assert "Studio &lt;b&gt;North&lt;/b&gt;" in html and "<b>North</b>" not in html
    assert "Studio <b>North</b>" in text and "&lt;" not in text
    assert 'href="https://portal.studio.example/c/TOKEN/invoices/INV-7.html"' in html
    assert "Szanowni Państwo," in text and "Uprzejmie przypominamy" in text
    msg = message_from_bytes(to_mime(mail).as_bytes(), policy=policy.default)
    assert msg["Content-Language"] == "pl"
    assert msg["Message-ID"] == "<reminder%3AINV-7%3A0%3Abefore-3@clientportal>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["megan@acme.example", "zoe@acme.example"]
    assert msg["Auto-Submitted"] == "auto-generated"


def test_an_instalments_reminder_states_the_plans_terms() -> None:
    plain = bundle()
    written = plain.invoices[0].model_dump(mode="json", exclude_unset=True)
    halves = [
        {"due": (ISSUED + timedelta(days=10)).isoformat(), "percent": "50"},
        {"due": DUE.isoformat(), "percent": "50"},
    ]
    planned = Invoice.model_validate({**written, "instalments": halves})
    b = ClientBundle(
        agency=plain.agency, client=plain.client, invoices=[planned], payments=[], notes=[]
    )
    today = ISSUED + timedelta(days=9)
    (account,) = accounts(b, today)
    mail = reminder_mail(b, account, 1, FRIENDLY, today, "TOKEN", THEME, last_sent=None)
    assert "as the payment plan sets out" in mail.text
    assert "of that instalment" in mail.text
    assert "of the invoice total" not in mail.text
