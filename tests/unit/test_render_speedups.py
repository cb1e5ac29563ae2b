"""The build's shortcuts print what the long way printed (issue 16: no output byte changes).

Each shortcut is compared with the code it stands in for: Jinja's ``escape`` and
``Markup % values``, Jinja's attribute lookup on the views' rows, the full-stop pattern,
the kept money texts, and a statement whose day-independent part was kept from an earlier
call (by the invoice's identity) against one worked out afresh.
"""

from __future__ import annotations

import re
import sys
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment
from markupsafe import Markup, escape

from site_builder.billing import resolve_terms, statement
from site_builder.formatting import money_formatter
from site_builder.model import Terms
from site_builder.render import Theme, _escape, _fmt
from site_builder.views import Row
from site_builder.wording import BRACES, PERCENT, single_stops
from tests.unit.factories import invoice, pay

# the module (the package's ``statement`` is its function)
statement_module = sys.modules["site_builder.billing.statement"]


class _Html:
    autoescape = True


values = st.one_of(
    st.text(),
    st.text().map(Markup),
    st.integers(),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False),
    st.none(),
)


@given(values)
def test_escape_prints_what_markupsafe_prints(value: object) -> None:
    assert str(_escape(value)) == str(escape(value))


@given(st.text(), st.dictionaries(st.sampled_from(["a", "b", "n"]), values, min_size=3))
def test_fmt_is_markup_percent(text: str, named: dict[str, object]) -> None:
    template = text.replace("%", "%%") + " %(a)s · %(b)s. %(n)s"
    expected = Markup(single_stops(template, named)) % named
    got = _fmt(_Html(), template, **named)  # type: ignore[arg-type]
    assert isinstance(got, Markup)
    assert got == expected


def _single_stops_by_pattern(template: str, values: dict[str, object], placeholder: str) -> str:
    def stop(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0)[:-1] if str(value).endswith(".") else match.group(0)

    return re.sub(placeholder + r"\.", stop, template)


@given(
    st.lists(st.sampled_from(["%(x)s", "%(x)s.", "%(n)d.", "{x}", "{x}.", ".", "a", ")s"])).map(
        "".join
    ),
    st.sampled_from(["Inc.", "Acme", "г."]),
)
def test_single_stops_shortcut(template: str, x: str) -> None:
    for placeholder in (PERCENT, BRACES):
        expected = _single_stops_by_pattern(template, {"x": x, "n": 3}, placeholder)
        assert single_stops(template, {"x": x, "n": 3}, placeholder) == expected


def test_rows_read_as_jinja_reads_them() -> None:
    row = Row({"name": "Deposit", "items": "a key", "missing": None})
    theme_env = Theme().environment("en")
    plain = Environment()
    for attribute in ("name", "items", "keys", "missing", "absent"):
        got, expected = theme_env.getattr(row, attribute), plain.getattr(row, attribute)
        assert type(got) is type(expected) or (
            # both undefined: each environment's own Undefined class
            "Undefined" in type(got).__name__ and "Undefined" in type(expected).__name__
        )
        if "Undefined" not in type(got).__name__:
            assert got == expected
    assert theme_env.getattr(row, "items") == row.items  # a dict's method wins, as in Jinja


def test_kept_money_texts_match_fresh_ones() -> None:
    kept = money_formatter("pl", "PLN")
    figures = [0, 5, -5, 123456, 10**12, -(10**9) - 1]
    first = [kept(m) for m in figures]
    again = [kept(m) for m in figures]  # from what it kept
    fresh = money_formatter.__wrapped__("pl", "PLN")  # a new formatter, nothing kept
    assert first == again == [fresh(m) for m in figures]


TERMS = resolve_terms(
    Terms.model_validate(
        {"net_days": 21, "late_fee": {"steps": [{"days_overdue": 1, "percent": "3"}]}}
    )
)


def test_statement_from_a_kept_basis_is_a_fresh_one() -> None:
    inv = invoice()
    payments = [pay(date(2026, 3, 10), 40000), pay(date(2026, 4, 2), 10000)]
    days = [date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 23), date(2026, 4, 5)]
    kept = [statement(inv, TERMS, payments, day) for day in days]  # bases kept between calls
    for day, st_kept in zip(days, kept, strict=True):
        statement_module._bases.clear()
        statement_module._schedules.clear()
        assert statement(inv, TERMS, payments, day) == st_kept
    # the same invoice with other payments, and other terms, is not given the kept figures
    statement(inv, TERMS, payments, date(2026, 5, 1))
    assert statement(inv, TERMS, [], date(2026, 5, 1)).paid == 0
    no_fees = resolve_terms(Terms.model_validate({"net_days": 21}))
    assert statement(inv, no_fees, [], date(2026, 5, 1)).late_fees == 0
    assert statement(inv, TERMS, [], date(2026, 5, 1)).late_fees > 0
    # an equal invoice that is another object gets its own entry
    assert statement(inv.model_copy(), TERMS, [], date(2026, 5, 1)).late_fees > 0


def test_kept_bases_are_bounded() -> None:
    for i in range(statement_module._KEPT + 5):
        statement(invoice(number=f"INV-{i}"), TERMS, [], date(2026, 3, 1))
    assert len(statement_module._bases) <= statement_module._KEPT
    assert len(statement_module._schedules) <= statement_module._KEPT
