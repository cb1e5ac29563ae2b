"""The statement of account in real builds of the sample: what it lists, in the client's
language, its PDF, and that it is the same on every day until one of its figures changes."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from site_builder.billing.account import next_statement_change, period_start, statement_day
from site_builder.build import build
from site_builder.bundle import Account, ClientBundle, accounts, payment_record
from site_builder.formatting import format_day, format_money
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

THEME = Theme()
# an English (en_GB), a Polish and a Traditional Chinese client of the sample
CLIENTS = ("thames-rowe", "wislane-smaki", "guanghua-tokyo")


def _token(client_id: str) -> str:
    data = yaml.safe_load((SAMPLE / "clients" / f"{client_id}.yaml").read_text(encoding="utf-8"))
    return client_token(SECRET, client_id, data.get("token_version", 1))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


def _page(out: Path, client_id: str, name: str = "statement.html") -> str:
    return (out / "public" / "c" / _token(client_id) / name).read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page's text, one table row or paragraph a line, cells split by " | "."""
    body = page[page.index("<main") :]
    body = re.sub(r"</(tr|p|h1|h2|h3|dd|dt|caption)>", "\n", body)
    body = re.sub(r"<(td|th)[^>]*>", " | ", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def _bundle(out: Path, client_id: str) -> ClientBundle:
    return ClientBundle.model_validate_json(
        (out / "build" / "clients" / f"{client_id}.json").read_bytes()
    )


def _figures(out: Path, client_id: str, day: date = SAMPLE_TODAY) -> list[Account]:
    return accounts(_bundle(out, client_id), day)


def test_every_portal_links_its_statement(site: Path) -> None:
    for path in (site / "public" / "c").iterdir():
        index = (path / "index.html").read_text(encoding="utf-8")
        assert 'href="statement.html"' in index
        statement = (path / "statement.html").read_text(encoding="utf-8")
        assert "<script" not in statement
        assert 'http-equiv="Content-Security-Policy"' in statement
        assert 'href="statement.pdf"' in statement and (path / "statement.pdf").exists()


@pytest.mark.parametrize("client_id", CLIENTS)
def test_the_statement_lists_the_account_in_the_clients_language(
    site: Path, client_id: str
) -> None:
    bundle = _bundle(site, client_id)
    locale = bundle.locale
    t = THEME.translations(locale)
    figures = _figures(site, client_id)
    as_of = statement_day(figures, SAMPLE_TODAY)
    assert as_of is not None and as_of <= SAMPLE_TODAY
    text = _text(_page(site, client_id))
    assert t.gettext("Statement of account") in text
    assert t.gettext("As of %(date)s") % {"date": format_day(as_of, locale)} in text
    assert bundle.client.name in text
    start = period_start(as_of)
    rows = [row for row in text.splitlines() if row.startswith(" | ")]
    for account in figures:
        inv, st = account.invoice, account.statement
        if inv.status == "void" or inv.issued < start:
            continue
        issued = format_day(inv.issued, locale)
        total = format_money(st.totals.total, inv.currency, locale)
        invoice_line = t.gettext("Invoice %(number)s") % {"number": inv.number}
        assert any(issued in r and invoice_line in r and total in r for r in rows), inv.number
        for fee in st.fees:
            fee_line = t.gettext("Late fee on invoice %(number)s") % {"number": inv.number}
            amount = format_money(fee.amount, inv.currency, locale)
            day = format_day(fee.on, locale)
            assert any(day in r and fee_line in r and amount in r for r in rows), fee
    for payment in bundle.payments:
        if payment.date < start or payment.method == "credit":
            continue
        record = payment_record(payment)
        line = t.gettext("Payment for invoice %(number)s") % {"number": payment.invoice}
        amount = format_money(record.amount, payment.currency, locale)
        day = format_day(payment.date, locale)
        assert any(day in r and line in r and amount in r for r in rows), payment.id
    # the closing balance is the open invoices' balances less the client's credit, as the
    # portal's invoices show them
    (currency,) = {a.invoice.currency for a in figures}
    owed = sum(a.statement.balance for a in figures) - sum(a.statement.credit for a in figures)
    closing = t.gettext("Closing balance on %(date)s") % {"date": format_day(as_of, locale)}
    (row,) = [r for r in rows if closing in r]
    assert row.rstrip().endswith(format_money(owed, currency, locale))


def test_the_statement_pdf_holds_the_same_text(site: Path, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make pdf-tools` installs Debian's poppler-utils")
    for client_id in CLIENTS:
        bundle = _bundle(site, client_id)
        t = THEME.translations(bundle.locale)
        pdf = site / "public" / "c" / _token(client_id) / "statement.pdf"
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        figures = _figures(site, client_id)
        currency = figures[0].invoice.currency
        owed = sum(a.statement.balance - a.statement.credit for a in figures)
        assert t.gettext("Statement of account") in text, client_id
        assert bundle.client.name in text, client_id
        # pdftotext gives the no-break spaces of "16 572,50 zł" as plain ones
        closing = format_money(owed, currency, bundle.locale)
        assert re.sub(r"[\xa0\u202f]", " ", closing) in text, client_id


def _statements(out: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in (out / "public" / "c").glob("*/statement.html")}


def test_the_statement_changes_only_when_its_figures_do(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    build(SAMPLE, first, SAMPLE_TODAY, secret=SECRET, pdfs=False)
    # the day each client's statement changes next, by the rule; none of the sample's payments
    # is dated after the build's day, so nothing else can change it
    upcoming = {}
    for client_id in json.loads((first / "build" / "manifest.json").read_text())["clients"]:
        assert all(p.date <= SAMPLE_TODAY for p in _bundle(first, client_id).payments)
        upcoming[client_id] = next_statement_change(_figures(first, client_id), SAMPLE_TODAY)
        changes_on = json.loads((first / "build" / "manifest.json").read_text())["clients"][
            client_id
        ]["changes_on"]
        if upcoming[client_id] is not None:  # the daily job re-publishes it by then
            assert changes_on is not None and changes_on <= upcoming[client_id].isoformat()
    # the sample's next day on which some statements stay as they are and others change
    later = SAMPLE_TODAY + timedelta(days=1)
    while len({d is None or d > later for d in upcoming.values()}) < 2:
        later += timedelta(days=1)
    build(SAMPLE, second, later, secret=SECRET, pdfs=False)
    before, after = _statements(first), _statements(second)
    unchanged = {_token(c) for c, d in upcoming.items() if d is None or d > later}
    changed = {_token(c) for c, d in upcoming.items() if d is not None and d <= later}
    assert unchanged and changed
    for token in unchanged:
        assert after[token] == before[token]
    # on the day a figure changes, the statement is as of that day
    for client_id, day in upcoming.items():
        if day is not None and day <= later:
            figures = _figures(second, client_id, later)
            as_of = statement_day(figures, later)
            locale = _bundle(second, client_id).locale
            text = _text(_page(second, client_id))
            assert as_of is not None and as_of > SAMPLE_TODAY
            as_of_line = THEME.translations(locale).gettext("As of %(date)s")
            assert as_of_line % {"date": format_day(as_of, locale)} in text
