from datetime import date

import pytest

from site_builder.formatting import format_day
from site_builder.model import LateFeePolicy
from site_builder.render import Theme
from site_builder.views import _in_locale
from site_builder.wording import due_line, due_line_on, late_fee_terms

THEME = Theme()
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("locale", "due", "expected"),
    [
        ("en_GB", date(2026, 3, 22), "Due 22 March 2026 — in 21 days"),
        ("en_GB", date(2026, 3, 2), "Due 2 March 2026 — in 1 day"),
        ("en_GB", date(2026, 3, 1), "Due today, 1 March 2026"),
        ("en_GB", date(2026, 2, 24), "Was due 24 February 2026 — overdue by 5 days"),
        ("pl", date(2026, 3, 22), "za 21 dni"),
        ("pl", date(2026, 3, 3), "za 2 dni"),
        ("pl", date(2026, 3, 2), "za 1 dzień"),
        ("ru", date(2026, 3, 22), "через 21 день"),
        ("ru", date(2026, 3, 3), "через 2 дня"),
        ("ru", date(2026, 3, 6), "через 5 дней"),
        ("zh_Hans", date(2026, 3, 22), "2026年3月22日"),
        ("ms", date(2026, 3, 22), "22 Mac 2026"),
    ],
)
def test_an_emails_due_line_counts_the_days(locale: str, due: date, expected: str) -> None:
    line = due_line_on(THEME.translations(locale), locale, due, TODAY, "open")
    assert expected in line


def test_paid_and_void_lines() -> None:
    t = THEME.translations("en")
    assert due_line_on(t, "en", date(2026, 1, 1), TODAY, "paid").startswith("Paid in full")
    assert due_line(t, "en", date(2026, 1, 1), "void").startswith("Void")


@pytest.mark.parametrize("locale", ["en", "pl", "ru", "zh_Hans", "zh_Hant", "ms"])
def test_a_pages_due_line_says_no_count_of_days(locale: str) -> None:
    t = THEME.translations(locale)
    due = date(2026, 3, 22)
    for status in ("open", "partially_paid", "overdue"):
        line = due_line(t, locale, due, status)
        assert format_day(due, locale) in line
        assert not any(ch.isdigit() for ch in line.replace(format_day(due, locale), "")), line


def test_late_fee_terms_spell_out_every_rule() -> None:
    policy = LateFeePolicy.model_validate(
        {
            "steps": [
                {"days_overdue": 1, "percent": "3"},
                {"days_overdue": 21, "percent": "3", "of": "balance"},
            ],
            "flat": {"USD": "25.00"},
            "monthly_interest": "1.5",
            "grace_days": 5,
            "cap": {"percent": "10"},
        }
    )
    text = late_fee_terms(THEME.translations("en"), "en", policy, "USD")
    assert text == [
        "If unpaid 1 day after the due date, 3% of the invoice total is added.",
        "If unpaid 21 days after the due date, 3% of the balance then outstanding is added.",
        "A late fee of $25.00 is added 6 days after the due date.",
        "Interest of 1.5% a month is charged on the overdue balance. "
        "It starts after a grace period of 5 days.",
        "Late fees never exceed 10% of the invoice total.",
    ]
    assert late_fee_terms(THEME.translations("en"), "en", None, "USD") == [
        "No late fees apply to this invoice."
    ]
    polish = late_fee_terms(THEME.translations("pl"), "pl", policy, "PLN")
    assert len(polish) == 4  # the flat fee is set for USD only, so PLN invoices have none
    assert "3%" in polish[0]


def test_per_locale_texts_fall_back_sensibly() -> None:
    texts = {"en": "Thanks", "zh_Hans": "谢谢", "pl": "Dziękujemy"}
    assert _in_locale(texts, "pl_PL") == "Dziękujemy"
    assert _in_locale(texts, "zh_Hans") == "谢谢"
    assert _in_locale(texts, "ru") == "Thanks"
    assert _in_locale("Plain", "ru") == "Plain"
