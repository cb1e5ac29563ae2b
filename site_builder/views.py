"""Generators: one client's accounts -> the pages of its portal, as plain data.

Templates get dicts of ready-to-print values (money and dates already in the
client's locale); they never call back into the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from site_builder import autopay_words, ics, tax_ids, wording
from site_builder.billing import EntryStatement, statement
from site_builder.billing.account import (
    Line,
    account_statement,
    period_start,
    statement_day,
)
from site_builder.billing.autopay import AutopayPolicy, autopay_policy, planned_charges
from site_builder.billing.credit import credit_balances
from site_builder.billing.timeline import amount_on
from site_builder.billing.totals import LineAmount, TaxRate, Totals
from site_builder.bundle import Account, ClientBundle, payment_record
from site_builder.documents.paper import country_of
from site_builder.formatting import format_day, format_money, money_formatter
from site_builder.i18n import resolve_locale
from site_builder.model import STRIPE_CHECKOUT, LineItem, Payment
from site_builder.money import exponent, to_minor
from site_builder.notes import render_markdown

OPEN = ("open", "partially_paid", "overdue")
# shown with the open invoices: paid, but the money is still on its way (a bank debit)
AWAITED = (*OPEN, "processing")


class Row(dict):
    """A dict that templates read as ``row.name`` without a failed attribute lookup.

    Jinja tries ``getattr`` before ``[]``; on a plain dict that raises and
    catches an AttributeError for every field of every row of every page.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Page:
    path: str  # relative to the site root, e.g. "c/<token>/invoices/INV-1.html"
    template: str | None  # None: ``body`` is the finished file
    context: dict[str, Any]
    body: str = ""
    # a document (invoice, receipt, statement): the build makes its PDF beside it
    # (``site_builder.pdfs``), dated so: the issue day, the payment day, the statement's end
    pdf_dated: date | None = None


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(api_url: str, checkout_url: str = STRIPE_CHECKOUT) -> str:
    # the Pay form posts to the API, which answers with a redirect to the checkout page:
    # browsers check that redirect against form-action too, so both origins are named
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {origin(api_url)} {origin(checkout_url)}; base-uri 'none'"
    )


def client_pages(
    bundle: ClientBundle,
    accounts: list[Account],
    token: str,
    css: str,
    t: Translations,
    pdfs: Callable[[str], bool] | None = None,
) -> list[Page]:
    """Every page of one client's portal, under ``c/<token>/``.

    ``pdfs``: whether a document's PDF (its path under the site root) will be there to link
    to; by default every one is (the build makes them). A re-publish where no PDF can be
    rendered (Lambda) says no for those it cannot keep, and their pages carry no link.
    """
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    money = {
        a.invoice.number: (lambda m, c=a.invoice.currency: format_money(m, c, locale))
        for a in accounts
    }
    base = f"c/{token}"
    portal_url = f"{agency.portal_url.rstrip('/')}/{base}/"
    billing = next(c for c in client.contacts if c.role == "billing")
    common = {
        "locale": locale,
        "lang": locale.replace("_", "-"),
        "csp": content_security_policy(agency.api_url, agency.checkout_url),
        "agency": agency,
        "client": client,
        "contact": billing,
        # each party's tax identifier, named as its own country names it
        "agency_tax_id": _tax_id(t, agency.tax_id, agency.address, agency.locale),
        "client_tax_id": _tax_id(t, client.tax_id, client.address, locale),
        "checkout_url": agency.api_url.rstrip("/") + "/checkout",
        "token": token,
    }
    # a payment still settling gets its receipt once the money has arrived; credit applied
    # is no money received, so it gets a line ("Applied credit from …"), never a receipt
    payments = sorted(
        (p for p in bundle.payments if not p.processing and p.method != "credit"),
        key=lambda p: (p.date, p.id),
        reverse=True,
    )
    parts = {a.invoice.number: _part_names(t, a) for a in accounts if len(a.statement.entries) > 1}
    receipts = [
        _receipt(p, money[p.invoice], locale, parts.get(p.invoice, {}), t) for p in payments
    ]
    applied = [
        _applied(p, money[p.invoice], locale)
        for p in sorted(bundle.payments, key=lambda p: (p.date, p.id), reverse=True)
        if p.method == "credit" and p.invoice in money
    ]
    processing: dict[str, int] = {}
    for p in bundle.payments:
        if p.processing and p.invoice in money:
            processing[p.invoice] = processing.get(p.invoice, 0) + payment_record(p).net
    summaries = [
        _summary(a, money[a.invoice.number], locale, t, processing.get(a.invoice.number))
        for a in accounts
    ]
    policy = autopay_policy(agency, client)
    autopay = _autopay_box(bundle, policy, t, token)
    for account, summary in zip(accounts, summaries, strict=True):
        _charge_lines(account, summary, policy, bundle, t, money[account.invoice.number])
    open_ = sorted((s for s in summaries if s["status"] in AWAITED), key=lambda s: s["due_iso"])
    past = sorted(
        (s for s in summaries if s["status"] not in AWAITED),
        key=lambda s: s["issued_iso"],
        reverse=True,
    )
    notes = [
        {"title": n.title, "date": format_day(n.date, locale), "html": render_markdown(n.body)}
        for n in sorted(bundle.notes, key=lambda n: n.date, reverse=True)
    ]
    sheet = _statement(bundle, accounts, locale)
    pages = [
        Page(
            f"{base}/index.html",
            "portal.html",
            {
                **common,
                "root": "",  # the portal page links to itself
                "css": f"../../{css}",
                "open": open_,
                "past": past,
                "receipts": receipts,
                "applied": applied,
                "notes": notes,
                "statement": STATEMENT if sheet is not None else None,
                "autopay": autopay,
                "totals": _totals_due(accounts, locale),
                "credit": [
                    format_money(c.amount, c.currency, locale)
                    for c in credit_balances(a.statement for a in accounts)
                ],
            },
        )
    ]
    receipts_of: dict[str, list[Row]] = {}
    for receipt in receipts:
        receipts_of.setdefault(receipt["invoice"], []).append(receipt)
    late_terms: dict[tuple[int, str, bool], list[str]] = {}  # most invoices share one policy
    free_terms = _free_terms(t, locale, agency.payment_terms, agency.locale)
    for account, summary in zip(accounts, summaries, strict=True):
        inv = account.invoice
        fmt = money[inv.number]
        policy = account.terms.late_fee
        plan = len(account.statement.entries) > 1  # fees are then charged per instalment
        key = (id(policy), inv.currency, plan)
        if key not in late_terms:
            late_terms[key] = wording.late_fee_terms(t, locale, policy, inv.currency, plan)
        detail = {
            **common,
            "root": "../",
            "css": f"../../../{css}",
            "inv": summary,
            "invoice": inv,
            "po_number": inv.po_number or client.po_number,
            "line_groups": _line_groups(account, fmt, locale),
            "figures": _figures(account, fmt, locale),
            "terms_in_short": wording.terms_in_short(
                t, inv.issued, account.statement.due, len(account.statement.entries)
            ),
            "payment_terms": wording.payment_terms(
                t,
                locale,
                account.terms,
                inv.issued,
                account.statement.due,
                inv.currency,
                account.statement.discount_offered,
                account.statement.entries,
            ),
            "late_terms": late_terms[key],
            "free_terms": free_terms,
            "fees": [
                {"date": format_day(f.on, locale), "amount": fmt(f.amount), "kind": f.kind}
                for f in account.statement.fees
            ],
            "receipts": receipts_of.get(inv.number, []),
            "applied": [row for row in applied if row["invoice"] == inv.number],
            "autopay": autopay,
            # the Pay form's "save this method" box, while the client has none saved
            "offer_autopay": autopay is not None and not autopay["on"],
        }
        page = f"{base}/invoices/{inv.number}.html"
        detail["pdf"] = _pdf_link(page, pdfs)
        pages.append(Page(page, "invoice.html", detail, pdf_dated=inv.issued))
        if summary["status"] in OPEN:
            pages.append(
                Page(
                    f"{base}/invoices/{inv.number}.ics",
                    None,
                    {},
                    ics.due_events(
                        _due_dates(account, t, fmt),
                        f"{portal_url}invoices/{inv.number}.html",
                        agency.name,
                        urlsplit(agency.portal_url).hostname or "portal",
                    ),
                )
            )
    summary_of = {s["number"]: s for s in summaries}
    account_of = {a.invoice.number: a for a in accounts}
    thank_you = thank_you_text(bundle, billing.name)
    for receipt, payment in zip(receipts, payments, strict=True):
        if (account := account_of.get(payment.invoice)) is not None:
            # what was left after this payment, on its day: a receipt never changes after
            so_far = [q for q in account.payments if q.date <= payment.date]
            left = statement(account.invoice, account.terms, so_far, payment.date).balance
            receipt = Row({**receipt, "balance_after": money[payment.invoice](left)})
        page = f"{base}/receipts/{receipt_name(payment.receipt, payment.id)}.html"
        pages.append(
            Page(
                page,
                "receipt.html",
                {
                    **common,
                    "root": "../",
                    "css": f"../../../{css}",
                    "receipt": receipt,
                    "inv": summary_of.get(payment.invoice),
                    "thank_you": thank_you,
                    "pdf": _pdf_link(page, pdfs),
                },
                pdf_dated=payment.date,
            )
        )
    if sheet is not None:
        page = f"{base}/{STATEMENT}"
        context = {**common, "root": "", "css": f"../../{css}", "sheet": sheet}
        context["pdf"] = _pdf_link(page, pdfs)
        pages.append(Page(page, "statement.html", context, pdf_dated=sheet["end_day"]))
    return pages


def _autopay_box(
    bundle: ClientBundle, policy: AutopayPolicy, t: Translations, token: str
) -> Row | None:
    """The portal's automatic-payments box: the method saved and the forms to change it or
    turn it off, or the offer with its mandate; None when the agency does not offer it."""
    if not policy.offered:
        return None
    saved = bundle.autopay
    return Row(
        {
            "on": saved is not None,
            "method": autopay_words.method_name(t, saved) if saved is not None else None,
            "required": policy.mode == "required",
            "mandate": autopay_words.mandate(t, bundle.agency.name, policy),
            "action": bundle.agency.api_url.rstrip("/") + "/autopay",
            "client": bundle.client.id,
            "token": token,
        }
    )


def _charge_lines(
    account: Account,
    summary: Row,
    policy: AutopayPolicy,
    bundle: ClientBundle,
    t: Translations,
    fmt: Callable[[int], str],
) -> None:
    """Beside each Pay button of an open invoice on automatic payments: "$1,000.00 will be
    charged to Visa •••• 4242 on 9 December 2026", the day and amount the charging job
    reads from the same rules (``planned_charges``). A charge day gone by is not promised:
    the job has tried it, and a re-publish follows whatever became of it."""
    lines: dict[int | None, str] = {}
    if bundle.autopay is not None and summary["pay"]:
        method = autopay_words.method_name(t, bundle.autopay)
        for charge in planned_charges(account, policy):
            if account.day is None or charge.day >= account.day:
                lines[charge.instalment] = autopay_words.charge_line(
                    t, bundle.locale, method, fmt(charge.amount), charge.day
                )
    summary["pay"] = [
        Row({**option, "charge": lines.get(option["instalment"])}) for option in summary["pay"]
    ]


def _pdf_link(page: str, pdfs: Callable[[str], bool] | None) -> str | None:
    """The page's link to its PDF (beside it, same name), or None when there is none."""
    pdf = page.removesuffix(".html") + ".pdf"
    return pdf.rpartition("/")[2] if pdfs is None or pdfs(pdf) else None


STATEMENT = "statement.html"  # the client's statement of account, beside its portal's index


def _statement(bundle: ClientBundle, accounts: list[Account], locale: str) -> Row | None:
    """The statement of account's figures, ready to print; None while nothing is on it.

    As of the day its figures last changed (``statement_day``), not the build's: the page is
    the same on every day until they change, and says which day it is true of.
    """
    today = max((a.day for a in accounts if a.day is not None), default=None)
    as_of = statement_day(accounts, today) if today is not None else None
    if as_of is None:
        return None
    sheet = account_statement(accounts, period_start(as_of), as_of)
    paid = {p.id: p for p in bundle.payments}
    sections = []
    for section in sheet.sections:
        fmt = money_formatter(locale, section.currency)
        sections.append(
            Row(
                {
                    "currency": section.currency,
                    "opening": fmt(section.opening),
                    "closing": fmt(section.closing),
                    "charged": fmt(section.charged),
                    "received": fmt(section.received),
                    "owed": fmt(section.owed),
                    "credit": fmt(section.credit) if section.credit else None,
                    "lines": [_statement_line(x, fmt, locale, paid) for x in section.lines],
                    "open_items": [
                        Row(
                            {
                                "invoice": i.invoice,
                                "href": f"invoices/{i.invoice}.html",
                                "n": i.n,
                                "kind": i.kind,
                                "due": format_day(i.due, locale),
                                "amount": fmt(i.amount),
                                "bucket": i.bucket,
                            }
                        )
                        for i in section.open_items
                    ],
                    "aging": [(key, fmt(amount)) for key, amount in section.aging],
                }
            )
        )
    return Row(
        {
            "as_of": format_day(as_of, locale),
            "start": format_day(sheet.start, locale),
            "end": format_day(sheet.end, locale),
            "end_day": sheet.end,
            "sections": sections,
        }
    )


def _statement_line(line: Line, fmt: Any, locale: str, paid: dict[str, Payment]) -> Row:
    payment = paid.get(line.payment) if line.payment is not None else None
    # a receipt page exists for money received once it has arrived (views' receipts)
    receipt = (
        receipt_name(payment.receipt, payment.id)
        if payment is not None and not payment.processing and payment.method != "credit"
        else None
    )
    return Row(
        {
            "date": format_day(line.on, locale),
            "kind": line.kind,
            "invoice": line.invoice,
            "href": f"invoices/{line.invoice}.html",
            "charge": fmt(line.amount) if line.amount > 0 else None,
            "received": fmt(-line.amount) if line.amount < 0 else None,
            "balance": fmt(line.balance),
            "method": payment.method if payment is not None and line.kind == "payment" else None,
            "processing": payment is not None and payment.processing,
            "receipt": receipt,
            "receipt_href": f"receipts/{receipt}.html" if receipt else None,
            "moved": fmt(line.moved) if line.moved else None,
            "source": line.source,
        }
    )


def _due_dates(account: Account, t: Translations, fmt: Any) -> list[ics.Due]:
    """The calendar's events: the due date, or each open part of a plan on its own date.

    Each names the amount due on its own day, if the timeline knows it (not in the past).
    """
    number, st = account.invoice.number, account.statement
    if len(st.entries) > 1:
        dues = []
        names = wording.part_names(t, st.entries)
        for e in st.entries:
            if e.amount_due <= 0:
                continue
            on_the_day = amount_on(account.timeline.entries.get(e.n, ()), e.due)
            # each part as the page names it: its label, else "Deposit", "Instalment 2 of 3"
            part = e.label or names[e.n]
            args = {"number": number, "part": part, "amount": fmt(on_the_day or 0)}
            title = (
                t.gettext("Invoice %(number)s: %(part)s due — %(amount)s")
                if on_the_day is not None
                else t.gettext("Invoice %(number)s: %(part)s due")
            )
            dues.append(ics.Due(f"{number}-{e.n}-due", e.due, title % args))
        if dues:
            return dues
    on_the_day = amount_on(account.timeline.invoice, st.due)
    title = (
        t.gettext("Invoice %(number)s due — %(amount)s")
        % {"number": number, "amount": fmt(on_the_day)}
        if on_the_day is not None
        else t.gettext("Invoice %(number)s due") % {"number": number}
    )
    return [ics.Due(f"{number}-due", st.due, title)]


def _summary(
    account: Account, fmt: Any, locale: str, t: Translations, processing: int | None = None
) -> Row:
    """One invoice's figures for its card, row and page; ``processing``: money still settling."""
    inv, st = account.invoice, account.statement
    open_entries = [e for e in st.entries if e.amount_due > 0]
    pay = []
    names = wording.part_names(t, st.entries) if len(st.entries) > 1 else {}
    if st.status in ("open", "partially_paid", "overdue") and st.amount_due > 0:
        if len(st.entries) > 1:
            pay = [_entry_pay(account, e, fmt, locale, t, names) for e in open_entries]
        else:
            pay = [{"instalment": None, "kind": "full", "label": None}]
    due_line = wording.due_line(t, locale, st.due, st.status)
    status, on_its_way = st.status, None
    if processing:
        # counted as paid (nobody is asked to pay twice), and shown as what it is
        on_its_way = t.gettext(
            "Your payment of %(amount)s is on its way: your bank is processing it."
        ) % {"amount": fmt(processing)}
        if status == "paid":
            status, due_line, on_its_way = "processing", on_its_way, None
    return Row(
        {
            "number": inv.number,
            "title": inv.title,
            "currency": inv.currency,
            "status": status,
            "issued": format_day(inv.issued, locale),
            "issued_iso": inv.issued.isoformat(),
            "due": format_day(st.due, locale),
            "due_iso": st.due.isoformat(),
            "due_line": due_line,
            "processing": on_its_way,  # part of the balance is settling; the rest is due
            "total": fmt(st.totals.total),
            "paid": fmt(st.paid),
            "balance": fmt(st.balance),
            "amount_due": fmt(st.amount_due),
            "periods": wording.period_lines(t, locale, account.timeline.invoice, fmt)
            if st.status in OPEN
            else [],
            "discount_offered": fmt(st.discount_offered) if st.discount_offered else None,
            "late_fees": fmt(st.late_fees) if st.late_fees else None,
            "href": f"invoices/{inv.number}.html",
            "ics": f"invoices/{inv.number}.ics" if st.status in OPEN else None,
            "pay": pay,
            "entries": [_entry_pay(account, e, fmt, locale, t, names) for e in st.entries]
            if len(st.entries) > 1
            else [],
        }
    )


def _entry_pay(
    account: Account,
    e: EntryStatement,
    fmt: Any,
    locale: str,
    t: Translations,
    names: dict[int, str | None],
) -> Row:
    periods = account.timeline.entries.get(e.n, ())
    # a dispute stops every part of the invoice, as in the reminders job: no part shows an
    # amount to pay, since Pay refuses them all until a person settles it
    disputed = account.statement.status == "disputed"
    status = "disputed" if disputed else e.status
    return Row(
        {
            "instalment": e.n,
            "kind": e.kind,
            "label": e.label,
            "name": names.get(e.n),  # "Deposit", "Instalment 2 of 3", "Balance"
            "total": fmt(e.amount),
            "paid": fmt(e.paid),
            "status": status,
            "due": format_day(e.due, locale),
            "due_line": wording.due_line(t, locale, e.due, status),
            "periods": wording.period_lines(t, locale, periods, fmt)
            if e.amount_due and not disputed
            else [],
        }
    )


def _line_groups(account: Account, fmt: Any, locale: str) -> list[tuple[str, list[Row]]]:
    """The invoice's lines by kind: agreed scope, then out of scope, then expenses."""
    totals = account.statement.totals
    # each line names its rate only where the lines' rates differ (a tax summary is shown)
    named = len(totals.rates) > 1
    groups: dict[str, list[Row]] = {"scope": [], "out_of_scope": [], "expense": []}
    currency = account.invoice.currency
    for la in totals.lines:
        groups[la.item.kind].append(_line(la, fmt, locale, currency, named))
    return [(kind, rows) for kind, rows in groups.items() if rows]


def _line(la: LineAmount, fmt: Any, locale: str, currency: str, named: bool) -> Row:
    """One line: quantity, unit price, amount; ``named``: with its tax rate ("" untaxed)."""
    item = la.item
    return Row(
        {
            "description": item.description,
            "kind": item.kind,
            "quantity": _quantity(item.quantity, locale),
            "unit_price": _unit_price(item, currency, locale),
            "amount": fmt(la.amount),
            "rate": _rate_name(la.rate, locale) if named else None,
        }
    )


def _quantity(quantity: Decimal, locale: str) -> str:
    """A quantity in the locale's digits and separators ("1.5", "1 250"), never "2E+1"."""
    value = quantity.normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
        if value < 1000:  # most quantities: no separator to place
            return str(value)
    return format_decimal(value, locale=resolve_locale(locale)[0], decimal_quantization=False)


def _unit_price(item: LineItem, currency: str, locale: str) -> str:
    """The unit price with as many decimals as the agency wrote, at least the currency's.

    A rate of 0.125 per word is printed as written; the line's amount is the rounded one.
    """
    price = item.unit_price
    if -int(price.as_tuple().exponent) <= exponent(currency):
        return format_money(to_minor(price, currency), currency, locale)
    return format_currency(
        price, currency, locale=resolve_locale(locale)[0], decimal_quantization=False
    )


def _rate_name(rate: TaxRate | None, locale: str) -> str:
    """The rate as the agency wrote it, in the locale's way: "VAT (23%)", never "2E+1".

    "" for lines not taxed: the template names them in the reader's language.
    """
    if rate is None:
        return ""
    return f"{rate.label} ({wording.format_pct(rate.percent, locale)})"


def _tax_figures(totals: Totals, fmt: Any, locale: str) -> dict[str, Any]:
    """The tax part of the totals, printing no figure twice.

    One rate and no untaxed lines: subtotal, "VAT (23%)", total, as ever. Several
    rates (or untaxed lines beside taxed ones): a summary row per rate (net, tax,
    gross) and the sums below it. No tax to add (no rate, or only 0%): no subtotal,
    which would be the total again; a stated rate is still printed. Prices that
    include tax: the total, the tax it includes, and the nets in the summary.
    """
    taxed = [row.rate for row in totals.rates if row.rate is not None]
    summary = len(totals.rates) > 1 or (totals.prices_include_tax and bool(taxed))
    labels = {rate.label for rate in taxed}
    return {
        # the net sum, where it differs from the total and the prices were written net
        "subtotal": fmt(totals.subtotal) if totals.tax and not totals.prices_include_tax else None,
        # "VAT (23%)" for one rate; "VAT" for several that share it; else None: "Tax"
        "tax_name": _rate_name(taxed[0], locale)
        if len(taxed) == 1
        else (next(iter(labels)) if len(labels) == 1 else None),
        "tax": fmt(totals.tax) if taxed else None,
        "tax_heading": next(iter(labels)) if len(labels) == 1 else None,  # None: "Tax"
        "prices_include_tax": totals.prices_include_tax,
        "rates": [
            Row(
                {
                    "name": _rate_name(row.rate, locale),
                    "net": fmt(row.net),
                    "tax": fmt(row.tax) if row.rate is not None else None,
                    "gross": fmt(row.gross),
                }
            )
            for row in totals.rates
        ]
        if summary
        else [],
        "line_rates": len(totals.rates) > 1,
    }


def _figures(account: Account, fmt: Any, locale: str) -> Row:
    st, totals = account.statement, account.statement.totals
    by_kind = [
        ("scope", totals.scope),
        ("out_of_scope", totals.out_of_scope),
        ("expense", totals.expenses),
    ]
    present = {la.item.kind for la in totals.lines}
    return Row(
        {
            # the sums by kind, where there is more than one kind (else each is the total)
            "kinds": [(kind, fmt(amount)) for kind, amount in by_kind if kind in present]
            if len(present) > 1
            else [],
            **_tax_figures(totals, fmt, locale),
            "total": fmt(totals.total),
            "late_fees": fmt(st.late_fees) if st.late_fees else None,
            "discount": fmt(st.discount) if st.discount else None,
            "discount_offered": fmt(st.discount_offered) if st.discount_offered else None,
            # Paid and Balance only where they say something the Total has not: nothing
            # paid, no fee and no discount leave a balance that is the total again
            "paid": fmt(st.paid) if st.paid or st.refunded else None,
            "refunded": fmt(st.refunded) if st.refunded else None,
            "balance": fmt(st.balance) if st.balance != totals.total or st.paid else None,
            "amount_due": fmt(st.amount_due),
            # paid beyond what the invoice owed: the client's credit, until refunded or applied
            "overpaid": fmt(st.paid) if st.overpaid else None,
            "owed": fmt(st.paid - st.overpaid),
            "credit": fmt(st.credit) if st.credit else None,
            "credit_uses": [
                Row({"invoice": u.to, "date": format_day(u.date, locale), "amount": fmt(u.amount)})
                for u in st.credit_uses
            ],
        }
    )


def _applied(payment: Payment, fmt: Any, locale: str) -> Row:
    """Credit applied to an invoice: shown where a receipt would be, without one."""
    return Row(
        {
            "id": payment.id,
            "invoice": payment.invoice,
            "source": payment.from_invoice,
            "date": format_day(payment.date, locale),
            "amount": fmt(payment_record(payment).amount),
        }
    )


def receipt_name(number: str | None, payment_id: str) -> str:
    """A receipt's label and the name of its page: the store's sequential number
    (``R-2026-0007``, DESIGN's ``receipts/<id>.html``), or, for a payment no store has
    numbered (a build without one), the payment's own id until a store numbers it."""
    return number or payment_id


def _receipt(
    payment: Payment,
    fmt: Any,
    locale: str,
    parts: dict[int, str | None] | None = None,
    t: Translations | None = None,
) -> Row:
    """``parts``: the names of the invoice's parts, when it has several (a plan); ``t``
    names an automatic charge's saved method ("Visa •••• 4242") as the portal did."""
    record = payment_record(payment)  # the same minor units the billing rules use
    amount, refunded = record.amount, record.refunded
    return Row(
        {
            "id": payment.id,
            "number": receipt_name(payment.receipt, payment.id),
            "invoice": payment.invoice,
            "href": f"receipts/{receipt_name(payment.receipt, payment.id)}.html",
            "date": format_day(payment.date, locale),
            "amount": fmt(amount),
            "refunded": fmt(refunded) if refunded else None,
            "net": fmt(amount - refunded),
            "method": payment.method,
            "saved_method": (
                autopay_words.method_name(t, payment.saved)
                if payment.saved is not None and t is not None
                else None
            ),
            "reference": payment.reference,
            "instalment": payment.instalment,
            # what it paid, as the invoice names the part: "Deposit", "Instalment 2 of 3"
            "part": (parts or {}).get(payment.instalment or 0),
        }
    )


def thank_you_text(bundle: ClientBundle, contact: str) -> str:
    text = _in_locale(bundle.client.thank_you or bundle.agency.thank_you, bundle.locale)
    values = {"contact": contact, "client": bundle.client.name, "agency": bundle.agency.name}
    text = wording.single_stops(text, values, wording.BRACES)  # "… with Acme Inc." once
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def _part_names(t: Translations, account: Account) -> dict[int, str | None]:
    """Each part of a plan by name and label: "Instalment 2 of 3 · 第二期"."""
    names = wording.part_names(t, account.statement.entries)
    return {
        e.n: " · ".join(text for text in (names[e.n], e.label) if text)
        for e in account.statement.entries
    }


def _tax_id(
    t: Translations, value: str | None, address: list[str] | None, locale: str
) -> tax_ids.TaxId | None:
    """A party's tax identifier, labelled by the country its address names."""
    return None if value is None else tax_ids.tax_id(t, value, country_of(address, locale))


def _free_terms(
    t: Translations, locale: str, text: str | dict[str, str] | None, own: str
) -> Row | None:
    """The agency's own payment terms in the reader's language, or marked as another's."""
    if text is None:
        return None
    chosen, tag = wording.in_language(text, locale, own)
    return Row(
        {
            "text": chosen,
            "lang": (tag or locale).replace("_", "-"),
            "marker": None if tag is None else wording.language_marker(t, locale, tag),
        }
    )


def _in_locale(text: str | dict[str, str], locale: str) -> str:
    """The text for ``locale``: the exact tag, else its catalog's, else the first given."""
    if isinstance(text, str):
        return text
    catalog = resolve_locale(locale)[1]
    by_catalog = {resolve_locale(tag)[1]: value for tag, value in text.items()}
    return text.get(locale) or by_catalog.get(catalog) or next(iter(text.values()))


def _totals_due(accounts: list[Account], locale: str) -> list[str]:
    by_currency: dict[str, int] = {}
    for a in accounts:
        if a.statement.status in OPEN:
            by_currency[a.invoice.currency] = (
                by_currency.get(a.invoice.currency, 0) + a.statement.amount_due
            )
    return [format_money(v, c, locale) for c, v in sorted(by_currency.items())]
