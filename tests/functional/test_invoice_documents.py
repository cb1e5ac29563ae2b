"""The sample's invoice and receipt pages, read as a client's accounts department reads them.

Each line with its quantity and unit price; the agency's legal name beside its trading name;
the client's contact person and phone; each tax identifier named as its country names it;
one tidy details block; no total printed twice; the agency's payment terms in the client's
language or marked as another; no doubled full stop; every part of a plan named.
The PDFs are made from these pages, so what holds here holds there.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency, format_decimal

from site_builder.build import build
from site_builder.formatting import format_money
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

VERSIONS = {"thames-rowe": 2}  # the sample's clients whose link was reissued


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with what it lacks: fine unit prices, a legal name that is the trading
    name, a client named "S.A." and the default thank-you, which ends with the client's name."""
    content = tmp_path_factory.mktemp("edited") / "content"
    shutil.copytree(SAMPLE, content)
    (content / "invoices" / "INV-2026-0300.yaml").write_text(
        "client: wislane-smaki\nissued: 2026-11-12\nitems:\n"
        '  - {description: "Tłumaczenie", quantity: "1250", unit_price: "0.125"}\n'
        '  - {description: "Konsultacje", quantity: "1.50", unit_price: "200"}\n',
        encoding="utf-8",
    )
    agency = content / "agency.yaml"
    text = agency.read_text(encoding="utf-8")
    text = text.replace("legal_name: Northwind Studio LLC", "legal_name: Northwind Studio")
    agency.write_text(re.sub(r"\nthank_you:.*?\n(?=\S)", "\n", text, flags=re.S), "utf-8")
    client = content / "clients" / "wislane-smaki.yaml"
    text = client.read_text(encoding="utf-8")
    client.write_text(text.replace("name: Wiślane Smaki sp. z o.o.", "name: Wiślane Smaki S.A."))
    out = content.parent / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    return out


def portal(out: Path, client: str) -> Path:
    return out / "public" / "c" / client_token(SECRET, client, VERSIONS.get(client, 1))


def page(out: Path, client: str, number: str) -> str:
    path = portal(out, client) / "invoices" / f"{number}.html"
    return html.unescape(path.read_text(encoding="utf-8"))


def text_of(fragment: str) -> str:
    """The words of an HTML fragment, one space between them (a no-break space kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def block(text: str, pattern: str) -> str:
    found = re.search(pattern, text, re.S)
    assert found, f"no {pattern!r} on the page"
    return found.group(1)


def pairs(dl: str) -> list[tuple[str, str]]:
    return [
        (text_of(dt), text_of(dd))
        for dt, dd in re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", dl, re.S)
    ]


def ledger(out: Path) -> dict:
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def line_rows(text: str) -> list[list[str]]:
    rows = []
    for table in re.findall(r'<table class="items items-[a-z_]+">(.*?)</table>', text, re.S):
        for tr in re.findall(r"<tbody>(.*?)</tbody>", table, re.S)[0].split("</tr>"):
            cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            if cells:
                rows.append(cells)
    return rows


# --- each line: quantity, unit price, amount ---------------------------------------------


def test_each_line_shows_its_quantity_unit_price_and_amount(site: Path) -> None:
    # ru: 5 × 320,00 € = 1 600,00 €, in the locale's own separators
    rows = line_rows(page(site, "yantar", "INV-2026-0134"))
    eur = [format_money(minor, "EUR", "ru") for minor in (32000, 160000)]
    assert rows[0] == ["Дизайн email-шаблонов", "5", *eur]
    # ms: 24 pages at RM180.00
    rows = line_rows(page(site, "batik-warisan", "INV-2026-0135"))
    assert rows[0][1:] == ["24", *(format_money(m, "MYR", "ms") for m in (18000, 432000))]
    # zh_Hant, a currency with no minor unit: no decimals invented
    rows = line_rows(page(site, "guanghua-tokyo", "INV-2026-0128"))
    assert rows[0][1:] == ["1", *[format_money(980000, "JPY", "zh_Hant")] * 2]
    assert "單價" in page(site, "guanghua-tokyo", "INV-2026-0128")


def test_a_unit_price_keeps_the_decimals_it_was_written_with(edited: Path) -> None:
    rows = line_rows(page(edited, "wislane-smaki", "INV-2026-0300"))
    # 1250 × 0.125 = 156.25; 1.5 × 200 = 300: the unit price as written, the amount rounded
    assert rows[0][1:] == [
        format_decimal(1250, locale="pl"),
        format_currency(Decimal("0.125"), "PLN", locale="pl", decimal_quantization=False),
        format_money(15625, "PLN", "pl"),
    ]
    assert rows[1][1:] == [
        "1,5",
        format_money(20000, "PLN", "pl"),
        format_money(30000, "PLN", "pl"),
    ]


# --- the parties --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "number", "agency_id", "client_id", "contact", "phone"),
    [
        ("harbor-light", "INV-2026-0137", "EIN: 12-3456789", "EIN: 91-2847561",
         "Contact person: Megan O'Connor", "Phone: +1 206 555 0142"),
        ("wislane-smaki", "INV-2026-0136", "EIN: 12-3456789", "NIP: 676-248-13-57",
         "Osoba kontaktowa: Agnieszka Wójcik", "Telefon: +48 12 555 01 23"),
        # a Latvian VAT number, read in Russian; an EIN stays an EIN
        ("yantar", "INV-2026-0134", "EIN: 12-3456789", "Номер НДС: LV40103567891",
         "Контактное лицо: Ольга Смирнова", "Телефон: +371 6755 0123"),
        # a Tokyo branch: the label its agency wrote before the number is kept
        ("guanghua-tokyo", "INV-2026-0128", "EIN: 12-3456789",
         "適格請求書發行事業者登錄號碼: T4010401123456", "聯絡人: 林志明", None),
        ("batik-warisan", "INV-2026-0135", "EIN: 12-3456789", "SST: W10-2208-32001457",
         "Orang untuk dihubungi: Nur Aisyah binti Rahman", "Telefon: +60 3-2282 0123"),
    ],
)  # fmt: skip
def test_the_parties_are_named_as_an_accounts_department_files_them(
    site: Path,
    client: str,
    number: str,
    agency_id: str,
    client_id: str,
    contact: str,
    phone: str | None,
) -> None:
    text = page(site, client, number)
    agency = text_of(block(text, r'<address class="party">(.*?)</address>'))
    assert agency.startswith("Northwind Studio Northwind Studio LLC 12 Harbour Road")
    assert agency_id in agency
    bill_to = text_of(block(text, r'<section class="party">(.*?)</section>'))
    assert client_id in bill_to
    assert "Tax ID" not in text and "NIP: NIP" not in text
    assert contact in bill_to
    if phone:
        assert phone in bill_to
    else:
        assert "電話" not in bill_to  # no phone in the content: no empty line for one


def test_the_legal_name_is_printed_once_where_it_is_the_trading_name(edited: Path) -> None:
    head = block(page(edited, "harbor-light", "INV-2026-0137"), r"<address[^>]*>(.*?)</address>")
    assert text_of(head).count("Northwind Studio") == 1 and "legal-name" not in head


# --- the details block and the totals ------------------------------------------------------


def test_the_details_are_one_compact_block(site: Path) -> None:
    text = page(site, "wislane-smaki", "INV-2026-0136")
    facts = pairs(block(text, r'<dl class="facts">(.*?)</dl>'))
    assert facts == [
        ("Numer faktury", "INV-2026-0136"),
        ("Data wystawienia", "12 listopada 2026"),
        ("Termin płatności", "3 grudnia 2026"),
        ("Warunki płatności", "21 dni"),
        ("Numer zamówienia", "ZAM/2026/0457"),
        ("Waluta", "PLN"),
    ]
    # the PO number is a detail, not part of the buyer's address
    assert "ZAM/2026/0457" not in block(text, r'<section class="party">(.*?)</section>')
    plan = pairs(block(page(site, "xinghe", "INV-2026-0122"), r'<dl class="facts">(.*?)</dl>'))
    assert ("付款条款", "分期付款，共 3 期") in plan


def test_no_total_is_printed_twice(site: Path) -> None:
    entries = ledger(site)
    # open, nothing paid, one kind, no tax: the total alone, not again as the balance
    text = page(site, "harbor-light", "INV-2026-0137")
    figures = pairs(block(text, r'<dl class="totals">(.*?)</dl>'))
    total = format_money(entries["INV-2026-0137"]["total"], "USD", "en")
    assert figures == [("Total", total)]
    # partly paid: what was paid and what is left say something new
    text = page(site, "guanghua-tokyo", "INV-2026-0128")
    figures = pairs(block(text, r'<dl class="totals">(.*?)</dl>'))
    assert [name for name, _ in figures] == ["總計", "已付款", "餘額"]
    assert figures[0][1] == format_money(entries["INV-2026-0128"]["total"], "JPY", "zh_Hant")
    # taxed: the subtotal and the tax add to the total; no row repeats another's figure
    text = page(site, "batik-warisan", "INV-2026-0135")
    figures = pairs(block(text, r'<dl class="totals">(.*?)</dl>'))
    assert [name for name, _ in figures] == ["Jumlah kecil", "SST (8%)", "Jumlah"]
    amounts = [amount for _, amount in figures]
    assert len(set(amounts)) == len(amounts)
    assert amounts[2] == format_money(entries["INV-2026-0135"]["total"], "MYR", "ms")


# --- the agency's own payment terms ------------------------------------------------------


def test_the_payment_terms_are_in_the_client_s_language_or_marked(site: Path) -> None:
    polish = page(site, "wislane-smaki", "INV-2026-0136")
    free = block(polish, r'(<p class="free-terms".*?</p>)')
    assert "Zapłać online" in free and "in-language" not in free
    english = page(site, "harbor-light", "INV-2026-0137")
    assert "in-language" not in block(english, r'(<p class="free-terms".*?</p>)')
    # no Russian text given: the English one, said to be in English, in Russian
    russian = block(page(site, "yantar", "INV-2026-0134"), r'(<p class="free-terms".*?</p>)')
    assert 'lang="en"' in russian
    assert text_of(russian).startswith("(на языке: английский) Pay online")
    chinese = block(
        page(site, "guanghua-tokyo", "INV-2026-0128"), r'(<p class="free-terms".*?</p>)'
    )
    assert text_of(chinese).startswith("（英文） Pay online")


# --- punctuation ---------------------------------------------------------------------------


def test_no_name_or_date_ending_in_a_period_gets_a_second(site: Path) -> None:
    # the sample's own names end in periods: "Coffee Roasters, Inc.", "Sdn. Bhd.", and
    # Russian dates in "г."; sentences that end with one of them end once
    pages = list((site / "public" / "c").rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        text = html.unescape(path.read_text(encoding="utf-8"))
        for doubled in ("Inc..", "Bhd..", "г..", "Ltd.."):
            assert doubled not in text, f"{doubled!r} in {path.relative_to(site)}"
    # and the sentences are there to be checked
    index = html.unescape((portal(site, "harbor-light") / "index.html").read_text("utf-8"))
    assert "Harbor Light Coffee Roasters, Inc. Please" in text_of(index)
    russian = text_of(page(site, "yantar", "INV-2026-0134"))
    assert re.search(r"то есть до 1 декабря 2026\s?г\. ", russian)


def test_a_client_name_with_a_period_before_a_sentence_s_own(edited: Path) -> None:
    # the default thank-you ends "… to work with {client}."; the portal's "private to …"
    receipts = list((portal(edited, "wislane-smaki") / "receipts").glob("*.html"))
    assert receipts
    for path in [*receipts, portal(edited, "wislane-smaki") / "index.html"]:
        words = text_of(html.unescape(path.read_text("utf-8")))
        assert "S.A.." not in words and "S.A." in words


# --- the parts of a plan --------------------------------------------------------------------


def test_every_part_of_a_plan_is_named_on_page_calendar_and_receipt(site: Path) -> None:
    text = page(site, "xinghe", "INV-2026-0122")
    schedule = block(text, r'<table class="items schedule">(.*?)</table>')
    names = [text_of(first) for first in re.findall(r"<tr><td>(.*?)</td>", schedule)]
    assert names == [
        "第 1 期（共 3 期） · 首期款",
        "第 2 期（共 3 期） · 第二期",
        "第 3 期（共 3 期） · 尾款",
    ]
    text = page(site, "harbor-light", "INV-2026-0133")
    schedule = block(text, r'<table class="items schedule">(.*?)</table>')
    names = [text_of(first) for first in re.findall(r"<tr><td>(.*?)</td>", schedule)]
    assert names == ["Deposit · Deposit to reserve the production slot", "Balance"]
    # the calendar names the open part as the page does
    ics = (portal(site, "harbor-light") / "invoices" / "INV-2026-0133.ics").read_text("utf-8")
    unfolded = ics.replace("\r\n ", "")
    assert "SUMMARY:Invoice INV-2026-0133: Balance due — $8\\,400.00" in unfolded
    # the receipt says which part it paid
    receipt = (portal(site, "xinghe") / "receipts" / "pay-2026-10-22-xinghe.html").read_text(
        "utf-8"
    )
    facts = dict(pairs(block(receipt, r'<dl class="facts">(.*?)</dl>')))
    assert facts["分期"] == "第 1 期（共 3 期） · 首期款"
    assert "Northwind Studio LLC" in receipt and "EIN: 12-3456789" in receipt
