"""One money truth: every reader of an invoice names the same amount on every day.

For drawn invoices (tests/strategies.py: JPY, HUF, KWD, USD, EUR; taxes of every kind;
deposits and plans; early discounts; late-fee steps, interest, flat fees and caps; partial
payments, over-payments, disputes, void invoices), built once on a drawn day, and for every
day from the build's to its pages' next boundary (and on the boundary), these agree in minor
units, each read from what a person or an outside check would see:

- the rendered invoice page: the row of its schedule ("If paid by ...") that holds the day;
- the ledger entry as the functions read it (the store, filled from build/ledger.json);
- ``/checkout``: the Checkout Session it created on the local Stripe server, read back from
  that server and converted from Stripe's units;
- the reminder the job queues that day: the "Amount due today" of the email in the outbox;
- the ``.ics``: the amount its event names, on the event's own day.

On the boundary the pages are built again (as the daily re-publish does): the new page and
ledger must say what the old page said of that day (a long way to a boundary is walked whole
at both ends and weekly between). A paid, void or disputed invoice: the page shows no amount
to pay and no Pay button, Pay refuses, no reminder goes out, there is no ``.ics``.

Nothing here calls the billing rules: every figure is read from an output, so a reader that
recomputes its own amount, or renders another day's, is caught.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from icalendar import Calendar

from functions.app import Services
from functions.mailer import Mail
from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from local.stripe_server.server import LocalStripe
from site_builder.build import build
from site_builder.errors import ContentInvalid
from site_builder.money import exponent, from_stripe
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SECRET
from tests.integration.conftest import app_server
from tests.strategies import CLIENT, DAILY_BEFORE, ISSUED, ContentCase, content_cases

SETTLED = {"paid", "void", "disputed"}
# Enough drawn invoices for every kind of rule and reader to meet in the suite (about 20 s);
# `make fuzz` (FUZZ_EXAMPLES, HYPOTHESIS_PROFILE=explore) draws many more, new ones each time.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
QUIET_DAYS = 3  # days walked when nothing is foreseen to change (one far day is added)
DAILY_BEFORE_DAYS = timedelta(days=DAILY_BEFORE)
FAR = timedelta(days=200)
EDGE_DAYS = 21  # a long way to a boundary is walked whole at its ends, weekly in between
_numbers = itertools.count(1)  # one invoice number per example: Stripe's idempotency keys
# name the invoice, so two examples never share one on the local Stripe server


# --- the payment API, once per module -----------------------------------------------------


@dataclass
class Api:
    """uvicorn serving the app, whose store, snapshots and day each example sets."""

    url: str
    services: Services
    stripe: LocalStripe
    day: list[date]
    http: httpx.Client  # one connection for every Pay of the module

    def use(self, store: SqliteStore, snapshots: FolderSnapshots) -> None:
        self.services.store = store
        self.services.snapshots = snapshots

    def checkout(self, day: date, number: str, token: str, instalment: int) -> Charged:
        """What Pay asks Stripe for on ``day``: the session's amount in minor units."""
        self.day[0] = day
        form = {"invoice": number, "token": token}
        if instalment:
            form["instalment"] = str(instalment)
        answer = self.http.post(f"{self.url}/checkout", data=form, follow_redirects=False)
        if answer.status_code != 303:
            assert answer.status_code == 409, answer.text
            return Charged(None, "cannot be paid online" in answer.text)
        session_id = answer.headers["location"].rsplit("/", 1)[1]
        session = self.stripe.client().v1.checkout.sessions.retrieve(session_id)
        currency = session["currency"].upper()
        assert session["metadata"]["invoice"] == number
        return Charged(from_stripe(session["amount_total"], currency), False, currency)


@dataclass(frozen=True)
class Charged:
    amount: int | None  # None: Pay refused (409)
    unchargeable: bool  # refused because Stripe cannot charge the amount exactly
    currency: str = ""


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    day = [date(2026, 3, 2)]
    with LocalStripe() as stripe_server:
        services = Services(
            store=None,  # type: ignore[arg-type]  # set by each example (Api.use)
            snapshots=None,  # type: ignore[arg-type]
            sessions=stripe_server.client().v1.checkout.sessions,
            portal_secret=SECRET,
            webhook_secret=stripe_server.webhook_secret,
            today=lambda: day[0],
        )
        with app_server(services) as url, httpx.Client() as http:
            yield Api(url, services, stripe_server, day, http)


@pytest.fixture(scope="module")
def theme() -> Theme:
    return Theme()


# --- reading the outputs ------------------------------------------------------------------


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[_Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children).strip()

    def find(self, tag: str, cls: str | None = None) -> list[_Node]:
        found = []
        for child in self.children:
            if isinstance(child, _Node):
                if child.tag == tag and (cls is None or cls in child.classes):
                    found.append(child)
                found += child.find(tag, cls)
        return found


class _Tree(HTMLParser):
    VOID = frozenset({"meta", "link", "input", "br", "img", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = _Node("root", {})
        self.open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(node)
        if tag not in self.VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, 0, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def _last_date(text: str) -> date:
    """The last date an English sentence names: "by March 22, 2026", "Mar 23 – Apr 11, 2026"."""
    month = day = year = None
    for token in re.findall(r"[A-Za-z]+|\d+", text):
        if token[:3].lower() in _MONTHS and len(token) >= 3:
            month = _MONTHS[token[:3].lower()]
        elif token.isdigit():
            if len(token) == 4:
                year = int(token)
            else:
                day = int(token)
    assert month and day and year, f"no date in {text!r}"
    return date(year, month, day)


def _minor(text: str) -> int:
    """A formatted amount back in minor units ("KWD1,234.500" -> 1234500)."""
    digits = re.sub(r"[^0-9]", "", text)
    assert digits, f"no amount in {text!r}"
    return -int(digits) if text.lstrip().startswith(("-", "−")) else int(digits)


@dataclass(frozen=True)
class Row:
    last: date | None  # the row's last day; None: every day after the rows before it
    amount: int | None  # None: past what the page can list ("more, as the terms say")


def _row(when: str, amount: str) -> Row:
    if not amount.strip():
        assert when.startswith("From "), when  # "From <day>: more, as the late-payment ..."
        return Row(None, None)
    if not when or when.startswith("If paid from"):
        return Row(None, _minor(amount))
    return Row(_last_date(when), _minor(amount))


def amount_on(rows: list[Row], built: date, day: date) -> int | None:
    """The amount a page built on ``built`` gives for ``day``; None where it names none."""
    assert day >= built
    for row in rows:
        if row.last is None or day <= row.last:
            return row.amount
    return None


@dataclass
class Page:
    """An invoice page as a reader sees it: its schedule(s) of amounts and its Pay buttons."""

    schedules: dict[int, list[Row]]  # by entry (0: the invoice, when it has no plan)
    plan: bool
    pay: set[int]  # the Pay buttons, by the entry they pay (0: the whole invoice)

    @classmethod
    def read(cls, path: Path) -> Page:
        root = _Tree(path.read_text(encoding="utf-8")).root
        pay = set()
        for form in root.find("form", "pay"):
            named = [i for i in form.find("input") if i.attrs.get("name") == "instalment"]
            pay.add(int(named[0].attrs["value"]) if named else 0)
        tables = root.find("table", "schedule")
        if tables:
            schedules = {}
            for n, tr in enumerate(tables[0].find("tbody")[0].find("tr"), 1):
                rows = []
                for span in tr.find("td")[-1].find("span", "period"):
                    amount = span.find("span", "num")[0].text()
                    when = span.text().removesuffix(amount).strip().removesuffix(":")
                    rows.append(_row(when, amount))
                schedules[n] = rows
            return cls(schedules, True, pay)
        single = root.find("strong", "amount-due")
        if single and not root.find("table", "periods"):
            return cls({0: [Row(None, _minor(single[0].text()))]}, False, pay)
        rows = [
            _row(tr.find("th")[0].text(), tr.find("td")[0].text())
            for table in root.find("table", "periods")
            for tr in table.find("tr")
        ]
        return cls({0: rows} if rows else {}, False, pay)

    def on(self, built: date, day: date) -> dict[int, int | None]:
        """Each entry's amount for ``day`` (0 where the page shows it paid), and the
        invoice's as the sum of its entries'."""
        amounts = {
            n: (amount_on(rows, built, day) if rows else 0) for n, rows in self.schedules.items()
        }
        if self.plan:
            parts = list(amounts.values())
            amounts[0] = None if None in parts else sum(p or 0 for p in parts)
        return amounts


@dataclass(frozen=True)
class Event:
    n: int  # the entry it is the due date of (0: the whole invoice)
    day: date
    amount: int | None  # None: it names no amount


def read_ics(path: Path, number: str) -> dict[int, Event]:
    """The calendar's due dates by entry, each with the amount it names ("... due — $9.80")."""
    if not path.exists():
        return {}
    events = {}
    for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
        entry = re.match(rf"{re.escape(number)}-(\d+)-due@", str(event["UID"]))
        n = int(entry.group(1)) if entry else 0
        _, dash, amount = str(event["SUMMARY"]).partition("—")
        events[n] = Event(n, event.decoded("DTSTART"), _minor(amount) if dash else None)
    return events


_AMOUNT_LINE = re.compile(r"^Amount due today: (.+)$", re.MULTILINE)


@dataclass
class Mailbox:
    """The reminder emails the job put in the outbox, read once each."""

    store: SqliteStore
    seen: set[str] = field(default_factory=set)

    def new(self, number: str) -> dict[int, list[int]]:
        """The amounts of the reminders queued since the last look, by entry."""
        found: dict[int, list[int]] = {}
        for item in self.store.unsent():
            if item.key in self.seen or item.payload.get("invoice") != number:
                continue
            self.seen.add(item.key)
            n = int(item.key.split(":")[2])  # reminder:<invoice>:<entry>:<step>
            text = Mail.from_payload(item.payload["mail"]).text
            found.setdefault(n, []).append(_minor(_AMOUNT_LINE.search(text).group(1)))
        return found


# --- one example ---------------------------------------------------------------------------


@dataclass
class Built:
    day: date
    out: Path
    number: str
    page: Page
    ledger: dict[str, Any]  # the invoice's entry, as the store gives it to the functions
    events: dict[int, Event]  # the .ics's due dates, by entry

    @classmethod
    def at(cls, content: Path, out: Path, number: str, day: date) -> Built:
        try:
            # no PDFs: they print the page's own figures and cost most of a build's time
            build(content, out, day, secret=SECRET, pdfs=False)
        except ContentInvalid as exc:
            problems = [str(e) for e in exc.errors]
            # a deposit or instalment Stripe could not charge exactly is refused at the build
            # (`portal check`), before any reader sees it: not an example of this test
            if all(_STRIPE_REFUSES.search(p) for p in problems):
                reject()
            raise AssertionError("\n".join(problems)) from None
        ledger = json.loads((out / "build" / "ledger.json").read_text(encoding="utf-8"))
        store = SqliteStore(out / "store.sqlite3")
        store.put_invoices(ledger["invoices"])
        folder = out / "public" / "c" / client_token(SECRET, CLIENT, 1) / "invoices"
        return cls(
            day,
            out,
            number,
            Page.read(folder / f"{number}.html"),
            store.invoice(number) or {},
            read_ics(folder / f"{number}.ics", number),
        )

    def owed(self) -> dict[int, int]:
        """The ledger's amount due on its day, by entry (0: the whole invoice)."""
        owed = {0: self.ledger["amount_due"]}
        if len(self.ledger["instalments"]) > 1:
            owed |= {e["n"]: e["amount_due"] for e in self.ledger["instalments"]}
        return owed


_STRIPE_REFUSES = re.compile(r"Stripe charges \w+ in steps|below Stripe's smallest")
# Stripe's smallest charges, in ISO minor units (its documentation's table)
STRIPE_MINIMUM = {"USD": 50, "EUR": 50, "JPY": 50, "HUF": 175, "KWD": 1}


def _chargeable(amount: int, currency: str) -> bool:
    """Whether Stripe can charge it exactly: not below its smallest charge, and three-decimal
    currencies in steps of 10."""
    return amount >= STRIPE_MINIMUM[currency] and (exponent(currency) < 3 or amount % 10 == 0)


@dataclass
class Walk:
    case: ContentCase
    api: Api
    theme: Theme
    first: Built
    mailbox: Mailbox
    token: str
    disagreements: list[str] = field(default_factory=list)

    def check(self, what: str, day: date, n: int, readers: dict[str, object]) -> None:
        if len(set(readers.values())) > 1:
            self.disagreements.append(
                f"{self.case.currency} {self.first.number} entry {n} on {day} ({what}): "
                + ", ".join(f"{k}={v}" for k, v in readers.items())
            )

    def pay(self, day: date, n: int, expected: int | None) -> int | None:
        """Checkout's answer on ``day`` for entry ``n``, held to what Pay must do there."""
        charged = self.api.checkout(day, self.first.number, self.token, n)
        if charged.amount is not None:
            assert charged.currency == self.case.currency
            return charged.amount
        if expected and not _chargeable(expected, self.case.currency):
            assert charged.unchargeable  # refused, never rounded, when Stripe cannot charge it
            return expected
        return 0  # refused: nothing to pay

    def remind(self, day: date) -> dict[int, list[int]]:
        store = self.api.services.store
        job.run(store, self.api.services.snapshots, self.theme, day, secret=SECRET)
        return self.mailbox.new(self.first.number)

    def on(self, day: date, page: dict[int, int | None], ledger: dict[int, int]) -> None:
        """Every reader's amount for ``day``, entry by entry: ``page`` and ``ledger`` as read
        from the build that serves that day."""
        emails = self.remind(day)
        dues = self.entry_dues()
        for n, shown in page.items():
            if shown is None:
                continue  # beyond what the page lists: nothing to compare with
            charged = self.pay(day, n, shown)
            readers: dict[str, object] = {"page": shown, "ledger": ledger.get(n), "stripe": charged}
            if n in dues:  # an entry with its own reminders
                due = dues[n]
                sent = emails.get(n, [])
                if (
                    shown > 0
                    and day > self.case.invoice["issued"]
                    and day >= due - DAILY_BEFORE_DAYS
                ):
                    readers["reminder"] = sent[0] if len(sent) == 1 else tuple(sent)
                else:
                    assert not sent, f"reminder for entry {n} on {day} with {shown} due"
            if (event := self.first.events.get(n)) is not None and event.day == day:
                readers["ics"] = event.amount
            self.check("walk", day, n, readers)

    def entry_dues(self) -> dict[int, date]:
        entries = self.first.ledger["instalments"]
        if len(entries) == 1:
            return {0: date.fromisoformat(entries[0]["due"])}
        return {e["n"]: date.fromisoformat(e["due"]) for e in entries}


def walk_days(start: date, boundary: date | None) -> list[date]:
    """The days a build serves: each one up to the boundary (on a long way to it, the first
    and last ``EDGE_DAYS`` and every seventh between), or a few and a far one if none."""
    if boundary is None:
        return [start + timedelta(days=i) for i in range(QUIET_DAYS)] + [start + FAR]
    span = (boundary - start).days
    return [
        start + timedelta(days=i)
        for i in range(span)
        if i < EDGE_DAYS or i >= span - EDGE_DAYS or i % 7 == 0
    ]


def walk_example(case: ContentCase, api: Api, theme: Theme, root: Path) -> list[str]:
    number = f"INV-{next(_numbers):05d}"
    content = case.write(root / "content", number)
    first = Built.at(content, root / "built", number, case.build_day)
    store = SqliteStore(first.out / "store.sqlite3")
    api.use(store, FolderSnapshots(first.out / "build" / "clients"))
    token = client_token(SECRET, CLIENT, 1)
    walk = Walk(case, api, theme, first, Mailbox(store), token)
    status = first.ledger["status"]
    start = case.build_day

    if status in SETTLED:
        assert first.page.pay == set(), f"{status} invoice offers Pay"
        shown = {n: rows for n, rows in first.page.schedules.items() if rows}
        assert not shown, f"{status} invoice shows amounts to pay: {shown}"
        assert first.events == {}, f"{status} invoice has an .ics"
        for day in (start, start + timedelta(days=1), start + FAR):
            assert walk.remind(day) == {}, f"reminder for a {status} invoice on {day}"
            for n in {0, *walk.entry_dues()}:
                assert api.checkout(day, number, token, n).amount is None
        return walk.disagreements

    change = first.ledger.get("pages_change")
    boundary = date.fromisoformat(change) if change else None
    owed = first.owed()
    for day in walk_days(start, boundary):
        walk.on(day, first.page.on(start, day), owed)
    if boundary is not None:
        again = Built.at(content, root / "again", number, boundary)
        before, after = first.page.on(start, boundary), again.page.on(boundary, boundary)
        for n in before.keys() | after.keys():
            walk.check(
                "boundary pages", boundary, n, {"old page": before.get(n), "new page": after.get(n)}
            )
        walk.on(boundary, after, again.owed())
    # the .ics names the amount of its own day, wherever that day falls: Pay says it too
    for event in first.events.values():
        if event.day < start:  # a page cannot know what a past day cost
            walk.check("past .ics", event.day, event.n, {"ics": event.amount, "none": None})
        elif event.amount is not None:
            charged = walk.pay(event.day, event.n, event.amount)
            walk.check(".ics day", event.day, event.n, {"ics": event.amount, "stripe": charged})
    return walk.disagreements


def _case(currency: str, price: str, built: int, **invoice: Any) -> ContentCase:
    """A fixed example: one line at ``price``, issued on ISSUED, built ``built`` days later."""
    payments = [{"method": "bank_transfer", **p} for p in invoice.pop("payments", [])]
    data = {
        "issued": ISSUED,
        "currency": currency,
        "items": [{"description": "Work", "quantity": "1", "unit_price": price}],
        **invoice,
    }
    return ContentCase(currency, data, payments, ISSUED + timedelta(days=built))


REFERENCE = {  # DESIGN.md's rule: Net 21, +3% on day 22, +3% of the balance on day 42, cap 10%
    "net_days": 21,
    "early_discount": {"percent": "2", "within_days": 10},
    "late_fee": {
        "steps": [
            {"days_overdue": 1, "percent": "3", "of": "total"},
            {"days_overdue": 21, "percent": "3", "of": "balance"},
        ],
        "cap": {"percent": "10"},
    },
}
PLAN = [{"due": ISSUED + timedelta(days=d), "percent": "50"} for d in (14, 45)]
# Cases the draw may or may not reach, walked on every run: each boundary kind at least once
FIXED = [
    # the discount's last day, then the full amount
    _case("USD", "1500.10", 3, due=ISSUED + timedelta(days=21), terms=REFERENCE),
    # the first fee step, then the compounding second, on a yen invoice partly paid
    _case(
        "JPY",
        "98765",
        30,
        due=ISSUED + timedelta(days=21),
        terms=REFERENCE,
        payments=[{"amount": "10000", "date": ISSUED + timedelta(days=5)}],
    ),
    # a plan with a deposit, fees per instalment, and a payment meant for the second
    _case(
        "EUR",
        "2400.00",
        15,
        deposit={"percent": "20", "due": ISSUED},
        instalments=PLAN,
        terms=REFERENCE,
        payments=[{"amount": "300.00", "date": ISSUED + timedelta(days=2), "instalment": 3}],
    ),
    # three-decimal money, monthly interest up to a cap of a fixed amount
    _case(
        "KWD",
        "1250.000",
        40,
        due=ISSUED + timedelta(days=14),
        tax={"label": "VAT", "percent": "5"},
        terms={"late_fee": {"monthly_interest": "1.5", "cap": {"amount": "40.000"}}},
    ),
    # paid more than the total: nothing to pay, no reminder, no .ics
    _case(
        "HUF",
        "125000",
        10,
        due=ISSUED + timedelta(days=21),
        prices_include_tax=True,
        tax={"label": "ÁFA", "percent": "27"},
        payments=[{"amount": "130000", "date": ISSUED + timedelta(days=4)}],
    ),
    # a dispute stops every part of a plan: no part shows an amount to pay
    _case(
        "USD",
        "4000.00",
        5,
        instalments=PLAN,
        payments=[{"amount": "100.00", "date": ISSUED + timedelta(days=3), "disputed": True}],
    ),
]


def _fixed(test: Any) -> Any:
    for case in FIXED:
        test = example(case=case)(test)
    return test


@_fixed
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=content_cases())
def test_every_reader_names_the_same_amount_on_every_day(
    case: ContentCase, api: Api, theme: Theme, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("money")
    try:
        disagreements = walk_example(case, api, theme, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert not disagreements, "\n".join(disagreements)
