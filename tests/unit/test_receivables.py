"""The agency page's receivables: per currency, open (overdue within it) and paid this month."""

from __future__ import annotations

from datetime import date

from site_builder.serve.receivables import Receivables, Received, receivables

TODAY = date(2026, 11, 23)


def entry(currency: str, status: str, amount_due: int) -> dict[str, object]:
    return {"client": "c", "currency": currency, "status": status, "amount_due": amount_due}


def test_open_counts_every_unpaid_invoice_and_overdue_is_part_of_it() -> None:
    invoices = {
        "A": entry("USD", "open", 100_00),
        "B": entry("USD", "overdue", 250_00),
        "C": entry("USD", "partially_paid", 50_00),
        "D": entry("USD", "paid", 0),
        "E": entry("USD", "void", 999_00),
        "F": entry("USD", "disputed", 70_00),  # a person looks at it: not counted as open
        "G": entry("JPY", "overdue", 945262),
    }
    assert receivables(invoices, [], TODAY) == [
        Receivables("JPY", 945262, 1, 945262, 1, 0, 0),
        Receivables("USD", 400_00, 3, 250_00, 1, 0, 0),
    ]


def test_paid_this_month_is_the_calendar_month_up_to_today_once_per_payment() -> None:
    money = [
        Received("pi_1", "EUR", 100_00, date(2026, 11, 1)),
        Received("pi_2", "EUR", 20_00, date(2026, 11, 23)),
        Received("pi_1", "EUR", 100_00, date(2026, 11, 1)),  # the content names it again
        Received("pi_3", "EUR", 5_00, date(2026, 10, 31)),  # last month
        Received("pi_4", "EUR", 7_00, date(2025, 11, 10)),  # the same month a year ago
        Received("pi_5", "EUR", 9_00, date(2026, 11, 24)),  # after "today" (a --today build)
        Received("pi_6", "GBP", 0, date(2026, 11, 5)),  # fully refunded: counted, as nothing
    ]
    assert receivables({}, money, TODAY) == [
        Receivables("EUR", paid_this_month=120_00, paid_count=2),
        Receivables("GBP", paid_this_month=0, paid_count=1),
    ]


def test_nothing_open_and_nothing_paid_is_no_row() -> None:
    assert receivables({"A": entry("USD", "paid", 0)}, [], TODAY) == []
