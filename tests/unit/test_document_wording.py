"""The words of an invoice an accounts department reads: one full stop, each part named,
the terms in short, the agency's own text in the reader's language or marked as not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from site_builder.formatting import format_day
from site_builder.render import Theme
from site_builder.wording import (
    BRACES,
    fill,
    in_language,
    marked,
    part_names,
    payment_terms,
    single_stops,
    terms_in_short,
)

THEME = Theme()


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("Private to %(client)s.", {"client": "Acme Inc."}, "Private to Acme Inc."),
        ("до %(date)s.", {"date": "1 декабря 2026 г."}, "до 1 декабря 2026 г."),
        ("Hello %(name)s. Here", {"name": "Ltd."}, "Hello Ltd. Here"),
        # a name without a full stop keeps the sentence's
        ("to %(client)s.", {"client": "Acme"}, "to Acme."),
        # only a period goes: the value's own and other marks stay
        ("Thanks, %(client)s!", {"client": "Acme Inc."}, "Thanks, Acme Inc.!"),
        ("%(n)d.", {"n": 3}, "3."),
    ],
)
def test_a_sentence_ending_in_a_name_with_a_period_has_one(
    template: str, values: dict[str, object], expected: str
) -> None:
    assert fill(template, values) == expected


def test_free_texts_with_braces_lose_the_doubled_stop_too() -> None:
    text = "It is a pleasure to work with {client}. Thanks, {contact}."
    assert single_stops(text, {"client": "Harbor Light, Inc.", "contact": "Ann"}, BRACES) == (
        "It is a pleasure to work with {client} Thanks, {contact}."
    )


def test_the_russian_due_date_sentence_ends_once() -> None:
    t = THEME.translations("ru")
    due = date(2026, 12, 1)
    text = payment_terms(t, "ru", _Terms(), date(2026, 11, 10), due, "EUR", 0)  # type: ignore[arg-type]
    assert text[0].endswith(format_day(due, "ru")), text  # "… до 1 декабря 2026 г."
    assert format_day(due, "ru").endswith("г.") and not text[0].endswith("..")


@dataclass(frozen=True)
class _Terms:
    early_discount: None = None


@dataclass(frozen=True)
class _Part:
    n: int
    kind: str


@pytest.mark.parametrize(
    ("locale", "kinds", "names"),
    [
        ("en", ["instalment"] * 3, ["Instalment 1 of 3", "Instalment 2 of 3", "Instalment 3 of 3"]),
        ("en", ["deposit", "balance"], ["Deposit", "Balance"]),
        # numbered as the Pay button, a payment's instalment: and the reminders number them
        ("en", ["deposit", "instalment", "instalment"],
         ["Deposit", "Instalment 2 of 3", "Instalment 3 of 3"]),
        ("pl", ["instalment"] * 2, ["Rata 1 z 2", "Rata 2 z 2"]),
        ("ru", ["deposit", "balance"], ["Предоплата", "Остаток"]),
        ("zh_Hant", ["instalment"] * 2, ["第 1 期（共 2 期）", "第 2 期（共 2 期）"]),
        ("ms", ["instalment"] * 2, ["Ansuran 1 daripada 2", "Ansuran 2 daripada 2"]),
        ("en", ["full"], [None]),
    ],
)  # fmt: skip
def test_every_part_of_a_plan_has_a_name(
    locale: str, kinds: list[str], names: list[str | None]
) -> None:
    parts = [_Part(n, kind) for n, kind in enumerate(kinds, start=1)]
    got = part_names(THEME.translations(locale), parts)
    assert [got[p.n] for p in parts] == names


@pytest.mark.parametrize(
    ("locale", "due", "parts", "expected"),
    [
        ("en", date(2026, 12, 1), 1, "Net 21 days"),
        ("en", date(2026, 11, 11), 1, "Net 1 day"),
        ("en", date(2026, 11, 10), 1, "Due on receipt"),
        ("en", date(2026, 12, 1), 3, "Payment plan, 3 parts"),
        ("pl", date(2026, 12, 1), 1, "21 dni"),
        ("ru", date(2026, 12, 1), 1, "21 день"),
        ("ru", date(2026, 11, 12), 1, "2 дня"),
        ("zh_Hant", date(2026, 12, 1), 1, "21 天"),
    ],
)
def test_the_terms_in_short(locale: str, due: date, parts: int, expected: str) -> None:
    t = THEME.translations(locale)
    assert terms_in_short(t, date(2026, 11, 10), due, parts) == expected


TERMS = {"en": "Pay by transfer.", "pl": "Zapłać przelewem."}


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        (TERMS, "pl", ("Zapłać przelewem.", None)),
        (TERMS, "pl_PL", ("Zapłać przelewem.", None)),  # the language's text serves its variants
        (TERMS, "en_GB", ("Pay by transfer.", None)),
        (TERMS, "ru", ("Pay by transfer.", "en")),  # none in Russian: the agency's own, marked
        ("Pay by transfer.", "en", ("Pay by transfer.", None)),
        ("Pay by transfer.", "zh_Hans", ("Pay by transfer.", "en")),  # one text: the agency's
        ({"pl": "Zapłać przelewem."}, "ms", ("Zapłać przelewem.", "pl")),  # the first given
    ],
)
def test_the_agency_s_text_in_the_reader_s_language_or_marked(
    text: str | dict[str, str], locale: str, expected: tuple[str, str | None]
) -> None:
    assert in_language(text, locale, "en") == expected


@pytest.mark.parametrize(
    ("locale", "marker"),
    [
        ("ru", "(на языке: английский)"),
        ("pl", "(w języku: angielski)"),
        ("zh_Hans", "（英语）"),
        ("zh_Hant", "（英文）"),
        ("ms", "(dalam bahasa Inggeris)"),
    ],
)
def test_the_marker_names_the_language_in_the_reader_s(locale: str, marker: str) -> None:
    text = marked(THEME.translations(locale), locale, {"en": "Pay by transfer."}, "en")
    assert text == f"{marker} Pay by transfer."
    assert marked(THEME.translations(locale), locale, None, "en") is None
