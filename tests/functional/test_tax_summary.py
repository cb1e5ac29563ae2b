"""Built invoice pages print the tax per rate with the ledger's figures, to the minor unit.

The page, the ledger and the snapshot the checkout prices from all read one computation
(billing/totals.py); these builds check that the three agree for mixed rates, inclusive
prices and the agency's rounding setting, and that a page prints no total twice.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from functions.snapshots import FolderSnapshots
from site_builder.build import build
from site_builder.bundle import accounts
from site_builder.formatting import format_money
from site_builder.render import DEFAULT_THEME, Theme
from site_builder.tokens import client_token
from site_builder.wording import format_pct
from tests.conftest import SAMPLE_TODAY, SECRET

MIXED = """\
client: wislane-smaki
issued: 2026-11-12
due: 2026-12-03
items:
  - {description: "Projekt menu", quantity: 1, unit_price: "1049.90"}
  - {description: "Druk menu", quantity: 1, unit_price: "250.00", tax: {percent: "8"}}
  - {description: "Kaucja", kind: expense, taxable: false, quantity: 1, unit_price: "30.00"}
tax: {label: VAT, percent: "23"}
"""

INCLUSIVE = """\
client: harbor-light
issued: 2026-11-12
due: 2026-12-03
prices_include_tax: true
items:
  - {description: "Tasting event", quantity: 1, unit_price: "123.00"}
tax: {label: VAT, percent: "23"}
"""

# 5% of 10.10 is 0.505: rounded per line 0.51 three times (1.53), per invoice 1.515 -> 1.52
ROUNDING = """\
client: harbor-light
issued: 2026-11-12
due: 2026-12-03
items:
  - {description: "Session 1", unit_price: "10.10"}
  - {description: "Session 2", unit_price: "10.10"}
  - {description: "Session 3", unit_price: "10.10"}
tax: {label: Sales tax, percent: "5"}
"""


def add_invoice(content: Path, number: str, text: str) -> None:
    (content / "invoices" / f"{number}.yaml").write_text(text, encoding="utf-8")


def page(out: Path, client: str, number: str) -> str:
    token = client_token(SECRET, client, 1)
    path = out / "public" / "c" / token / "invoices" / f"{number}.html"
    return html.unescape(path.read_text(encoding="utf-8"))


def ledger(out: Path) -> dict:
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def summary_rows(text: str) -> list[tuple[str, ...]]:
    table = re.search(r'<table class="items tax-summary">(.*?)</table>', text, re.S)
    assert table, "no tax summary on the page"
    row = r'<tr><th scope="row">(.*?)</th><td class="num">(.*?)</td>'
    row += r'<td class="num">(.*?)</td><td class="num">(.*?)</td></tr>'
    return re.findall(row, table.group(1))


def totals_list(text: str) -> list[tuple[str, str]]:
    dl = re.search(r'<dl class="totals">(.*?)</dl>', text, re.S)
    assert dl
    return re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", dl.group(1))


def test_mixed_rates_print_a_summary_with_the_ledger_s_figures(
    content: Path, tmp_path: Path
) -> None:
    add_invoice(content, "INV-2026-0200", MIXED)
    build(content, tmp_path, SAMPLE_TODAY, secret=SECRET)
    entry = ledger(tmp_path)["INV-2026-0200"]
    text = page(tmp_path, "wislane-smaki", "INV-2026-0200")
    t = Theme(DEFAULT_THEME).translations("pl")

    def pln(minor: int) -> str:
        return format_money(minor, "PLN", "pl")

    def vat(percent: int) -> str:
        return f"VAT ({format_pct(Decimal(percent), 'pl')})"

    # VAT 23%: 1,049.90 + 241.48 (241.477); VAT 8%: 250.00 + 20.00; not taxed: 30.00
    rows = [("VAT 23", 104990, 24148), ("VAT 8", 25000, 2000), (None, 3000, 0)]
    assert summary_rows(text) == [
        (
            vat(int(name.split()[1])) if name else t.gettext("Not taxed"),
            pln(net),
            pln(tax) if name else "—",
            pln(net + tax),
        )
        for name, net, tax in rows
    ]
    # the rows add up to what the ledger (and so the checkout) says the invoice is
    assert sum(net + tax for _, net, tax in rows) == entry["total"] == 159138
    figures = dict(totals_list(text))
    assert figures[t.gettext("Total")] == pln(entry["total"])
    assert figures[t.gettext("Subtotal")] == pln(132990)
    assert figures["VAT"] == pln(26148)  # both rates are VAT: the sum is named so
    # each line names its rate, as mixed-rate invoices must (after its quantity and unit price)
    line = '<td>Druk menu</td><td class="num">1</td><td class="num">250,00\xa0zł</td>'
    assert line + '<td class="num">' + vat(8) in text


def test_inclusive_prices_show_the_net_inside_the_gross(content: Path, tmp_path: Path) -> None:
    add_invoice(content, "INV-2026-0201", INCLUSIVE)
    build(content, tmp_path, SAMPLE_TODAY, secret=SECRET)
    entry = ledger(tmp_path)["INV-2026-0201"]
    text = page(tmp_path, "harbor-light", "INV-2026-0201")
    assert entry["total"] == 12300  # the price as quoted
    assert "Amount incl. tax" in text
    assert summary_rows(text) == [("VAT (23%)", "$100.00", "$23.00", "$123.00")]
    assert totals_list(text)[:2] == [("Total", "$123.00"), ("Including VAT (23%)", "$23.00")]
    assert "Subtotal" not in text


def test_the_agency_s_rounding_reaches_page_ledger_and_checkout(
    content: Path, tmp_path: Path
) -> None:
    agency = content / "agency.yaml"
    agency.write_text(agency.read_text(encoding="utf-8") + "tax_rounding: line\n", "utf-8")
    add_invoice(content, "INV-2026-0202", ROUNDING)
    build(content, tmp_path, SAMPLE_TODAY, secret=SECRET)
    entry = ledger(tmp_path)["INV-2026-0202"]
    assert entry["total"] == 3183  # 30.30 + 1.53, not the 1.52 of rounding once
    text = page(tmp_path, "harbor-light", "INV-2026-0202")
    figures = dict(totals_list(text))
    assert (figures["Sales tax (5%)"], figures["Total"]) == ("$1.53", "$31.83")
    # the snapshot the checkout and the reminders price from rounds the same way
    bundle = FolderSnapshots(tmp_path / "build" / "clients").load("harbor-light")
    assert bundle is not None
    priced = {a.invoice.number: a.statement for a in accounts(bundle, SAMPLE_TODAY)}
    st = priced["INV-2026-0202"]
    assert (st.totals.tax, st.totals.total, st.amount_due) == (153, 3183, entry["amount_due"])


def test_an_untaxed_invoice_prints_its_total_once(content: Path, tmp_path: Path) -> None:
    build(content, tmp_path, date(2026, 11, 23), secret=SECRET)
    text = page(tmp_path, "harbor-light", "INV-2026-0101")  # no tax, scope and an expense
    assert "Subtotal" not in text and "tax-summary" not in text
    entry = ledger(tmp_path)["INV-2026-0101"]
    figures = totals_list(text)
    assert [name for name, _ in figures][:3] == ["Agreed scope", "Expenses", "Total"]
    assert figures[2][1] == format_money(entry["total"], "USD", "en")
