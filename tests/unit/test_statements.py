"""Who gets the monthly statement email on which day (``functions/statements.py``)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from functions.statements import has_account, statement_key, statement_month
from site_builder.billing.account import AccountStatement, CurrencyStatement, Line
from site_builder.billing.aging import BUCKETS
from site_builder.model import ClientStatements, Statements

ON = Statements(email="monthly", day=5)


def test_the_month_is_named_on_the_agencys_day_only() -> None:
    client = ClientStatements()
    assert statement_month(ON, client, date(2026, 12, 5)) == "2026-12"
    assert statement_month(ON, client, date(2027, 1, 5)) == "2027-01"
    assert statement_month(ON, client, date(2026, 12, 4)) is None
    assert statement_month(ON, client, date(2026, 12, 6)) is None


def test_off_unless_turned_on_and_a_client_may_say_otherwise() -> None:
    day = date(2026, 12, 1)
    assert statement_month(Statements(), ClientStatements(), day) is None  # the default
    off = Statements(email="off", day=1)
    assert statement_month(off, ClientStatements(email="monthly"), day) == "2026-12"
    on = Statements(email="monthly", day=1)
    assert statement_month(on, ClientStatements(email="off"), day) is None


def test_yaml_off_is_read_as_the_word_and_the_day_fits_every_month() -> None:
    # the content reader turns a bare `off` into false, as YAML does
    assert ClientStatements.model_validate({"email": False}).email == "off"
    assert Statements.model_validate({"email": False}).email == "off"
    with pytest.raises(ValidationError):
        Statements.model_validate({"email": "weekly"})
    with pytest.raises(ValidationError):
        Statements.model_validate({"day": 29})  # February has none
    with pytest.raises(ValidationError):
        Statements.model_validate({"day": 0})


def _section(closing: int = 0, lines: tuple[Line, ...] = (), credit: int = 0) -> CurrencyStatement:
    return CurrencyStatement(
        currency="USD",
        opening=closing - sum(x.amount for x in lines),
        lines=lines,
        closing=closing,
        charged=0,
        received=0,
        owed=max(closing, 0) + credit,
        credit=credit,
        open_items=(),
        aging=tuple((b, 0) for b in BUCKETS),
    )


def _sheet(*sections: CurrencyStatement) -> AccountStatement:
    return AccountStatement(date(2026, 1, 1), date(2026, 12, 1), sections)


def test_a_client_with_a_balance_or_a_recent_line_has_an_account() -> None:
    today = date(2026, 12, 1)
    assert has_account(_sheet(_section(closing=120_00)), today)
    assert has_account(_sheet(_section(closing=-30_00, credit=30_00)), today)  # in credit
    paid_last_month = (
        Line(date(2026, 11, 10), "invoice", "A", 100_00),
        Line(date(2026, 11, 20), "payment", "A", -100_00),
    )
    assert has_account(_sheet(_section(lines=paid_last_month)), today)


def test_nothing_owed_and_nothing_happened_gets_none() -> None:
    today = date(2026, 12, 1)
    settled_long_ago = (
        Line(date(2026, 9, 1), "invoice", "A", 100_00),
        Line(date(2026, 10, 30), "payment", "A", -100_00),  # before 1 November
    )
    assert not has_account(_sheet(_section(lines=settled_long_ago)), today)
    assert not has_account(_sheet(), today)  # nothing on the account at all
    on_the_day_a_month_ago = (Line(date(2026, 11, 1), "payment", "A", -100_00),)
    assert not has_account(_sheet(_section(lines=on_the_day_a_month_ago)), today)


def test_one_key_a_client_a_month() -> None:
    assert statement_key("yantar", "2026-12") == "statement:yantar:2026-12"
