"""Automatic payments on the portal's pages: the box, the mandate, the charge lines, the forms.

The sample is built once (its agency allows automatic payments; open-trails, the sample's
habitual late payer, is asked for them); a client on automatic payments is its snapshot
with a saved method, rendered as the functions' re-publish renders it.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from functions.snapshots import FolderSnapshots
from site_builder import manifest
from site_builder.billing.autopay import autopay_policy, planned_charges
from site_builder.build import build
from site_builder.bundle import ClientBundle, accounts
from site_builder.formatting import format_day, format_money
from site_builder.generators import render_pages
from site_builder.model import Autopay, SavedMethod
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.functional.test_pdf_build import pdf_text, portal_of

VISA = SavedMethod(type="card", brand="visa", last4="4242", customer="cus_1", id="pm_1")
SEPA = SavedMethod(type="sepa_debit", brand="STRIPE TEST BANK", last4="3000")
API = "https://api.northwind.example/autopay"
THEME = Theme()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


def bundle_of(site: Path, client: str, method: SavedMethod | None = None) -> ClientBundle:
    bundle = FolderSnapshots(site / "build" / "clients").load(client)
    assert bundle is not None
    return bundle if method is None else bundle.model_copy(update={"autopay": method})


def pages(bundle: ClientBundle) -> dict[str, str]:
    """The client's pages by path under its portal (index.html, invoices/<n>.html)."""
    token = client_token(SECRET, bundle.client.id, bundle.client.token_version)
    rendered = render_pages(bundle, accounts(bundle, SAMPLE_TODAY), token, THEME, pdfs=False)
    prefix = f"c/{token}/"
    return {p.path.removeprefix(prefix): p.data.decode() for p in rendered}


def charge_lines(page: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r'<p class="autopay-line">(.*?)</p>', page)]


def forms(page: str, action: str) -> list[dict[str, str]]:
    """Each form posting to ``action``: its fields (hidden inputs and checkboxes)."""
    found = []
    for body in re.findall(rf'<form [^>]*action="{re.escape(action)}">(.*?)</form>', page, re.S):
        found.append(dict(re.findall(r'<input type="\w+" name="(\w+)" value="([^"]*)"', body)))
    return found


def expected_lines(bundle: ClientBundle, method_words: str, template: str) -> list[str]:
    """The lines the rules give: each planned charge's amount and day, in the client's locale."""
    policy = autopay_policy(bundle.agency, bundle.client)
    lines = []
    for account in accounts(bundle, SAMPLE_TODAY):
        for charge in planned_charges(account, policy):
            if charge.day >= SAMPLE_TODAY:
                amount = format_money(charge.amount, charge.currency, bundle.locale)
                day = format_day(charge.day, bundle.locale)
                lines.append(
                    (charge.day, template.format(amount=amount, method=method_words, day=day))
                )
    return [text for _, text in sorted(lines)]


@pytest.mark.parametrize(
    ("client", "template", "words"),
    [
        ("open-trails", "{amount} will be charged to {method} on {day}.", "Visa •••• 4242"),
        (
            "wislane-smaki",
            "Kwota {amount} zostanie pobrana {day} z metody płatności {method}.",
            "Visa •••• 4242",
        ),
        ("xinghe", "将于{day}从{method}扣款{amount}。", "Visa •••• 4242"),
    ],
)
def test_each_open_part_says_the_day_amount_and_method_the_job_will_charge(
    site: Path, client: str, template: str, words: str
) -> None:
    bundle = bundle_of(site, client, VISA)
    expected = expected_lines(bundle, words, template)
    assert expected, f"{client} has nothing planned: the test would prove nothing"
    site_pages = pages(bundle)
    assert sorted(charge_lines(site_pages["index.html"])) == sorted(expected)
    on_invoices = [
        line
        for path, page in site_pages.items()
        if path.startswith("invoices/") and path.endswith(".html")
        for line in charge_lines(page)
    ]
    assert sorted(on_invoices) == sorted(expected)
    # the box says which method is saved, and offers to change it or turn it off
    index = site_pages["index.html"]
    assert f"{words}</h2>" in html.unescape(index)
    token = client_token(SECRET, client, 1)
    assert forms(index, API) == [
        {"client": client, "token": token, "action": "change"},
        {"client": client, "token": token, "action": "off"},
    ]
    assert 'name="autopay"' not in index  # nobody is offered to save a second method


def test_a_bank_debit_is_named_by_its_scheme_in_the_clients_language(site: Path) -> None:
    en = pages(bundle_of(site, "open-trails", SEPA))["index.html"]
    assert "SEPA Direct Debit •••• 3000" in html.unescape(en)
    assert "STRIPE TEST BANK" not in en
    pl = pages(bundle_of(site, "wislane-smaki", SEPA))["index.html"]
    assert "Polecenie zapłaty SEPA •••• 3000" in html.unescape(pl)


def test_a_client_not_enrolled_is_offered_it_with_the_mandate(site: Path) -> None:
    bundle = bundle_of(site, "harbor-light")
    site_pages = pages(bundle)
    index = site_pages["index.html"]
    text = html.unescape(index)
    assert "Pay future invoices automatically" in text
    assert (
        "By turning on automatic payments you authorise Northwind Studio to charge this payment "
        "method for your future invoices from Northwind Studio on the day each is due" in text
    )
    assert "You will be emailed 3 days before each charge." in text
    assert "You can turn this off at any time on this page." in text
    token = client_token(SECRET, "harbor-light", 1)
    assert forms(index, API) == [{"client": "harbor-light", "token": token, "action": "on"}]
    assert charge_lines(index) == []  # nothing is promised before a method is saved
    assert "autopay-required" not in index
    # allowed, not asked for: after the open invoices
    assert index.index('id="open-h"') < index.index('id="autopay-h"')
    # the invoice page's Pay form offers to save the method; the portal's cards do not
    invoice = next(
        page
        for path, page in site_pages.items()
        if path.startswith("invoices/") and "Pay now" in page
    )
    pay = forms(invoice, "https://api.northwind.example/checkout")
    assert pay and all(f["autopay"] == "on" for f in pay)
    assert all("autopay" not in f for f in forms(index, "https://api.northwind.example/checkout"))
    assert "Save this method and pay future invoices automatically" in invoice


def test_the_box_is_in_the_clients_language(site: Path) -> None:
    text = html.unescape(pages(bundle_of(site, "xinghe"))["index.html"])
    assert "自动支付今后的发票" in text
    assert "开启自动付款即表示您授权Northwind Studio" in text
    assert "每次扣款前 3 天，您会收到一封电子邮件。" in text
    text = html.unescape(pages(bundle_of(site, "wislane-smaki"))["index.html"])
    assert "Włącz płatności automatyczne" in text


def test_when_the_agency_asks_for_it_the_box_is_at_the_top_and_says_so(site: Path) -> None:
    index = pages(bundle_of(site, "open-trails"))["index.html"]
    assert 'class="autopay autopay-required"' in index
    assert index.index('id="autopay-h"') < index.index('id="open-h"')
    assert "Northwind Studio asks you to turn on automatic payments." in html.unescape(index)
    # and at the top of each invoice with something to pay, above the invoice itself
    site_pages = pages(bundle_of(site, "open-trails"))
    payable = [
        p for path, p in site_pages.items() if path.startswith("invoices/") and 'class="pay"' in p
    ]
    assert payable
    for page in payable:
        assert 'class="autopay autopay-required"' in page
        assert page.index('id="autopay-h"') < page.index('<article class="invoice">')
    # once on, it is an ordinary box: nothing left to ask
    enrolled = pages(bundle_of(site, "open-trails", VISA))["index.html"]
    assert "autopay-required" not in enrolled and "asks you to" not in enrolled


def test_with_automatic_payments_off_nothing_is_shown(site: Path) -> None:
    bundle = bundle_of(site, "harbor-light", VISA)
    off = bundle.model_copy(
        update={"agency": bundle.agency.model_copy(update={"autopay": Autopay(mode="off")})}
    )
    for path, page in pages(off).items():
        if path.endswith(".html"):
            assert "autopay" not in page and "Visa" not in page, path


def test_what_stripe_and_the_store_hold_is_escaped(site: Path) -> None:
    hostile = SavedMethod(type="card", brand='<script>alert("x")</script>', last4="<b>1</b>")
    for path, page in pages(bundle_of(site, "open-trails", hostile)).items():
        if path.endswith(".html"):
            assert "<script" not in page and "<b>" not in page, path
    index = pages(bundle_of(site, "open-trails", hostile))["index.html"]
    assert "&lt;Script&gt;Alert(&#34;X&#34;)&lt;/Script&gt; •••• &lt;b&gt;1&lt;/b&gt;" in index


def test_the_token_is_only_in_the_forms(site: Path) -> None:
    bundle = bundle_of(site, "open-trails", VISA)
    token = client_token(SECRET, "open-trails", 1)
    for path, page in pages(bundle).items():
        if path.endswith(".html"):
            assert page.count(token) == page.count(f'name="token" value="{token}"'), path
    assert "pm_1" not in str(pages(bundle)) and "cus_1" not in str(pages(bundle))


def test_the_invoice_pdf_shows_no_form_and_no_offer(site: Path) -> None:
    portal = portal_of(site, "harbor-light")
    page = next(
        p for p in sorted((portal / "invoices").glob("*.html")) if "Pay now" in p.read_text()
    )
    assert "Pay future invoices automatically" in page.read_text()  # on the page
    text = pdf_text(page.with_suffix(".pdf"))
    assert "automatic" not in text.lower() and "Pay now" not in text


def test_the_snapshot_round_trips_with_and_without_a_saved_method(
    site: Path, tmp_path: Path
) -> None:
    raw = json.loads((site / "build" / "clients" / "open-trails.json").read_bytes())
    assert "autopay" not in raw  # no saved method in a build without a store
    assert raw["agency"]["autopay"] == {"mode": "allowed"}  # only what the files wrote
    assert raw["client"]["autopay"] == {"mode": "required"}
    plain = bundle_of(site, "open-trails")
    assert plain.autopay is None  # the build has no store: the snapshot is the content only
    again = ClientBundle.model_validate_json(plain.model_dump_json(exclude_unset=True))
    assert again == plain
    enrolled = bundle_of(site, "open-trails", VISA)
    again = ClientBundle.model_validate_json(enrolled.model_dump_json(exclude_unset=True))
    assert again.autopay == VISA and again == enrolled
    assert autopay_policy(again.agency, again.client).mode == "required"
    # as the functions read a snapshot: whole, or only some invoices (the reminders job)
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "open-trails.json").write_text(enrolled.model_dump_json(exclude_unset=True))
    snapshots = FolderSnapshots(folder)
    assert snapshots.load("open-trails") == enrolled
    number = enrolled.invoices[0].number
    some = snapshots.load("open-trails", only={number})
    assert some is not None and some.autopay == VISA
    assert [i.number for i in some.invoices] == [number]


def test_a_promised_charge_day_gone_by_is_a_day_the_pages_change(content: Path) -> None:
    """Charged on its issue day (``when: issue``): "will be charged … on <that day>" is true
    that day only. The next day is a change day of the client's pages, whatever became of
    the charge, and that day's pages no longer promise it."""
    client = content / "clients" / "open-trails.yaml"
    client.write_text(
        client.read_text().replace(
            "autopay: {mode: required}", "autopay: {mode: required, when: issue}"
        )
    )
    invoice = content / "invoices" / "INV-2026-0129.yaml"  # open-trails', unpaid, no plan
    invoice.write_text(
        invoice.read_text()
        .replace("issued: 2026-11-02", f"issued: {SAMPLE_TODAY}")
        .replace("due: 2026-12-02", f"due: {SAMPLE_TODAY + timedelta(days=30)}")
    )
    out = content.parent / "out"
    on_autopay = {"open-trails": VISA}
    promise = f"on {format_day(SAMPLE_TODAY, 'en')}."

    build(content, out, SAMPLE_TODAY, secret=SECRET, pdfs=False, methods=on_autopay)
    page = portal_of(out, "open-trails") / "invoices" / "INV-2026-0129.html"
    assert [line for line in charge_lines(page.read_text()) if line.endswith(promise)]
    record = manifest.load(out / "build")
    assert record is not None
    assert record.clients["open-trails"].changes_on == str(SAMPLE_TODAY + timedelta(days=1))

    next_day = SAMPLE_TODAY + timedelta(days=1)
    report = build(content, out, next_day, secret=SECRET, pdfs=False, methods=on_autopay)
    assert "open-trails" in {e["client"] for e in report.ledger_changes.values()}
    assert not [line for line in charge_lines(page.read_text()) if line.endswith(promise)]
