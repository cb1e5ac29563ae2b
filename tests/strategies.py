"""Hypothesis strategies that draw whole content folders: an agency, a client, one invoice
with its terms and plan, and the payments received for it.

The unit properties (tests/unit/test_billing_properties.py) draw model objects; the tests
that go through the build, the API and the jobs need files, written as an agency would
write them, so they keep working whatever the readers do with the fields in between.
Every date the rules could default (a deposit's, an instalment's, the invoice's own due
date) is written out, and the terms are the invoice's own, whole: the test does not depend
on how defaults or field-by-field overrides are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from site_builder.money import exponent

ISSUED = date(2026, 3, 2)
CLIENT = "client"
# ISO 4217 exponents 0, 0 (as this code counts HUF; Stripe counts it in 1/100), 3, 2 and 2
CURRENCIES = ("JPY", "HUF", "KWD", "USD", "EUR")
# Reminders on every day from this many days before an entry's due date, then daily after
# it, so that every day of a walk has an email to read the amount from.
DAILY_BEFORE = 120


@dataclass(frozen=True)
class ContentCase:
    """One drawn invoice, its payments and the day it is built, as content files."""

    currency: str
    invoice: dict[str, Any]
    payments: list[dict[str, Any]] = field(default_factory=list)
    build_day: date = ISSUED

    @property
    def plan(self) -> bool:
        return bool(self.invoice.get("deposit") or self.invoice.get("instalments"))

    def write(self, folder: Path, number: str) -> Path:
        """The content folder for this case, with the invoice numbered ``number``."""
        for sub in ("clients", "invoices", "payments"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        _dump(folder / "agency.yaml", AGENCY)
        _dump(
            folder / "clients" / f"{CLIENT}.yaml",
            {
                "name": "Drawn Client Ltd",
                "locale": "en",
                "currency": self.currency,
                "contacts": [{"name": "Ana", "email": "ana@client.example", "role": "billing"}],
                "token_version": 1,
            },
        )
        _dump(folder / "invoices" / f"{number}.yaml", {**self.invoice, "client": CLIENT})
        for i, payment in enumerate(self.payments):
            _dump(folder / "payments" / f"{number}-p{i}.yaml", {**payment, "invoice": number})
        return folder


AGENCY: dict[str, Any] = {
    "name": "Drawn Studio",
    "email": "billing@studio.example",
    "address": ["1 Test Street"],
    "locale": "en",
    "timezone": "UTC",
    "portal_url": "https://portal.studio.example",
    "api_url": "https://api.studio.example",
    "terms": {"net_days": 21},
    "reminders": {
        "before_due": list(range(1, DAILY_BEFORE + 1)),
        "on_due": True,
        "overdue": [1],
        "repeat_every_days": 1,
        "skip_weekends": False,
    },
}


def _dump(path: Path, data: dict[str, Any]) -> None:
    # amounts are strings (quoted in YAML), dates are dates: as an agency writes them
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def amount_text(minor: int, currency: str) -> str:
    """Minor units as the decimal string a content file holds ("12.340" for KWD)."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def _unit(currency: str) -> int:
    """Minor units in one major unit."""
    return 10 ** exponent(currency)


# True three times in four: the rules that change a figure by the day are the point
OFTEN = st.sampled_from([True, True, True, False])
percents_1dp = st.integers(min_value=1, max_value=100).map(lambda tenths: str(Decimal(tenths) / 10))


@st.composite
def late_fees(draw: st.DrawFn, currency: str) -> dict[str, Any] | None:
    """Steps (of the total or the balance), monthly interest, a flat fee, grace, a cap."""
    if not draw(OFTEN):
        return None
    days = sorted(draw(st.sets(st.integers(1, 60), min_size=draw(OFTEN).real, max_size=3)))
    policy: dict[str, Any] = {
        "steps": [
            {
                "days_overdue": d,
                "percent": draw(percents_1dp),
                "of": draw(st.sampled_from(["total", "balance"])),
            }
            for d in days
        ]
    }
    if draw(st.booleans()):
        policy["monthly_interest"] = str(Decimal(draw(st.integers(5, 20))) / 10)
    if draw(st.booleans()):
        policy["flat"] = amount_text(draw(st.integers(1, 40)) * _unit(currency), currency)
    if draw(st.booleans()):
        policy["grace_days"] = draw(st.integers(0, 5))
    cap = draw(st.sampled_from(["none", "percent", "amount"]))
    if cap == "percent":
        policy["cap"] = {"percent": str(draw(st.integers(2, 15)))}
    elif cap == "amount":
        policy["cap"] = {
            "amount": amount_text(draw(st.integers(5, 300)) * _unit(currency), currency)
        }
    return policy


@st.composite
def content_cases(draw: st.DrawFn) -> ContentCase:
    """An invoice in any of ``CURRENCIES`` with any of: invoice tax, per-line rates, prices
    including tax; a deposit and a 2-4 instalment plan; an early discount; late-fee steps,
    interest, a flat fee and a cap; partial payments, an over-payment, a disputed payment or
    a void invoice; and the day it is built, from its issue to past its last fee."""
    currency = draw(st.sampled_from(CURRENCIES))
    unit = _unit(currency)
    items = []
    for i in range(draw(st.integers(1, 3))):
        # a line must come to whole minor units: quarters of a quantity, prices in fours
        # (and between Stripe's smallest and largest charges: 50 yen and 99,999.999 KWD)
        quantity = Decimal(draw(st.integers(4, 20))) / 4
        major = draw(st.integers(100, 2000)) * (10 if currency == "JPY" else 1)
        price = major * unit // draw(st.sampled_from([1, 1, 3, 7])) * 4
        if currency == "KWD":  # mostly in steps Stripe can charge (0.010), so few are refused
            quantity, price = quantity.to_integral_value() or Decimal(1), price // 1000 * 1000
        item: dict[str, Any] = {
            "description": f"Line {i + 1}",
            "quantity": str(quantity),
            "unit_price": amount_text(max(price, 4), currency),
            "kind": draw(st.sampled_from(["scope", "scope", "out_of_scope", "expense"])),
        }
        rate = draw(st.sampled_from(["invoice", "invoice", "own", "untaxed"]))
        if rate == "own":
            item["tax"] = {"label": "VAT", "percent": draw(st.sampled_from(["5", "8", "23"]))}
        elif rate == "untaxed":
            item["taxable"] = False
        items.append(item)
    net = draw(st.integers(7, 35))
    invoice: dict[str, Any] = {
        "issued": ISSUED,
        "due": ISSUED + timedelta(days=net),
        "currency": currency,
        "title": "Drawn work",
        "items": items,
        "prices_include_tax": draw(st.booleans()),
    }
    if draw(st.booleans()):
        invoice["tax"] = {"label": "VAT", "percent": draw(st.sampled_from(["7", "10", "20", "27"]))}
    if draw(st.booleans()):
        invoice["tax_rounding"] = "line"
    plan = draw(st.sampled_from(["none", "none", "deposit", "instalments", "both"]))
    if plan in ("deposit", "both"):
        invoice["deposit"] = {
            "percent": str(draw(st.integers(10, 50))),
            "due": ISSUED + timedelta(days=draw(st.integers(0, 7))),
        }
    if plan in ("instalments", "both"):
        count = draw(st.integers(2, 4))
        cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        due = ISSUED
        plan_items = []
        for share in shares:
            due += timedelta(days=draw(st.integers(7, 30)))
            plan_items.append({"due": due, "percent": str(share)})
        invoice["instalments"] = plan_items
        del invoice["due"]  # a plan is due with its last instalment
    terms: dict[str, Any] = {"net_days": net}
    if draw(OFTEN):
        terms["early_discount"] = {
            "percent": str(draw(st.integers(1, 5))),
            "within_days": draw(st.integers(3, 15)),
        }
    if (policy := draw(late_fees(currency))) is not None:
        terms["late_fee"] = policy
    invoice["terms"] = terms
    invoice["status"] = draw(st.sampled_from(["issued"] * 9 + ["void"]))
    # most often while the terms still change figures (discount, due dates, fee steps)
    build_day = ISSUED + timedelta(days=draw(st.integers(0, 60) | st.integers(0, 150)))
    # payments against a rough gross (the rules decide the real total): some part of it,
    # or more than all of it (an over-payment), each on a day up to the build's
    rough = sum(Decimal(i["quantity"]) * Decimal(i["unit_price"]) for i in items) * Decimal("1.3")
    rough_minor = int(rough * unit)
    payments = []
    kinds = draw(st.lists(st.sampled_from(["part", "part", "over", "disputed"]), max_size=3))
    for kind in kinds:
        share = {"part": (5, 60), "over": (110, 150), "disputed": (5, 30)}[kind]
        minor = rough_minor * draw(st.integers(*share)) // 100
        if minor <= 0:
            continue
        payment: dict[str, Any] = {
            "amount": amount_text(minor, currency),
            "date": ISSUED + timedelta(days=draw(st.integers(0, (build_day - ISSUED).days))),
            "method": "bank_transfer",
        }
        if kind == "disputed":
            payment["disputed"] = True
        if "instalments" in invoice and draw(st.booleans()):
            entries = len(invoice["instalments"]) + ("deposit" in invoice)
            payment["instalment"] = draw(st.integers(1, entries))
        payments.append(payment)
    return ContentCase(currency, invoice, payments, build_day)
