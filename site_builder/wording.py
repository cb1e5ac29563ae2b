"""Plain-language sentences about money and dates, in the client's language.

"Due 14 March 2026", never a bare "Net 21", and never "in 21 days" either: a page is read on
days after it was built. The amounts by period, and the late-payment terms spelled out.
Pure functions of their arguments and a gettext catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Protocol

from babel import Locale
from babel.dates import format_interval
from babel.numbers import format_percent
from babel.support import Translations

from site_builder.billing import ResolvedTerms
from site_builder.billing.discount import Part, discount_withheld
from site_builder.billing.timeline import Period
from site_builder.formatting import format_day, format_money
from site_builder.i18n import resolve_locale
from site_builder.model import LateFeePolicy
from site_builder.money import HUNDRED, to_minor

# A placeholder as gettext messages write it ("%(date)s"), and as free texts do ("{client}")
PERCENT = r"%\((\w+)\)[sd]"
BRACES = r"\{(\w+)\}"


def single_stops(template: str, values: Mapping[str, object], placeholder: str = PERCENT) -> str:
    """``template`` without the full stop after a placeholder whose value already ends in one.

    A sentence that ends with a name or a date ends with its full stop: "… to work with
    Harbor Light, Inc." and "до 1 декабря 2026 г.", never "Inc.." or "г..". Only a period
    right after the placeholder goes; "!", "?" and the CJK "。" are kept.
    """

    # most sentences have no placeholder right before a full stop: no pattern to run
    if not any(end in template for end in _STOPS.get(placeholder, ".")):
        return template

    def stop(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0)[:-1] if str(value).endswith(".") else match.group(0)

    return re.sub(placeholder + r"\.", stop, template)


# what each kind of placeholder looks like followed by a full stop
_STOPS = {PERCENT: (")s.", ")d."), BRACES: ("}.",)}


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template % values`` with no doubled full stop (see ``single_stops``)."""
    return single_stops(template, values) % values


@cache
def format_pct(percent: Decimal, locale_tag: str) -> str:
    locale, _ = resolve_locale(locale_tag)
    # the locale's own pattern ("3 %" in Polish), allowing "1.5" to keep its decimal
    pattern = locale.percent_formats[None].pattern.replace("#,##0", "#,##0.##", 1)
    return format_percent(percent / HUNDRED, pattern, locale=locale)


def due_line(t: Translations, locale: str, due: date, status: str) -> str:
    """When an invoice or instalment is (or was) due: true on every day until its status moves.

    Never "in 3 days": a page is read on days after it was built.
    """
    when = format_day(due, locale)
    if status == "void":
        return t.gettext("Void — nothing to pay")
    if status == "paid":
        return t.gettext("Paid in full (was due %(date)s)") % {"date": when}
    if status == "disputed":
        return t.gettext("Disputed — we will contact you about this invoice")
    if status == "overdue":
        return t.gettext("Was due %(date)s — overdue") % {"date": when}
    return t.gettext("Due %(date)s") % {"date": when}


def due_line_on(t: Translations, locale: str, due: date, today: date, status: str) -> str:
    """``due_line`` counted in days from ``today``, for an email: it is dated, a page is not."""
    if status not in ("open", "partially_paid", "overdue"):
        return due_line(t, locale, due, status)
    when = format_day(due, locale)
    days = (due - today).days
    if days > 0:
        return t.ngettext(
            "Due %(date)s — in %(num)d day", "Due %(date)s — in %(num)d days", days
        ) % {"date": when, "num": days}
    if days == 0:
        return t.gettext("Due today, %(date)s") % {"date": when}
    return t.ngettext(
        "Was due %(date)s — overdue by %(num)d day",
        "Was due %(date)s — overdue by %(num)d days",
        -days,
    ) % {"date": when, "num": -days}


def period_lines(
    t: Translations, locale: str, periods: Sequence[Period], fmt: Callable[[int], str]
) -> list[tuple[str, str]]:
    """(when, amount) for each period of a timeline: "If paid by 15 January 2027", "$980.00".

    One period that never changes needs no "when": the empty string.
    """
    if len(periods) == 1 and periods[0].end is None:
        return [("", fmt(periods[0].amount_due))]
    lines = []
    for i, period in enumerate(periods):
        if period.end is None:
            when = t.gettext("If paid from %(date)s") % {"date": format_day(period.start, locale)}
        elif i == 0:
            when = t.gettext("If paid by %(date)s") % {"date": format_day(period.end, locale)}
        elif period.start == period.end:
            when = t.gettext("If paid on %(date)s") % {"date": format_day(period.start, locale)}
        else:
            dates = _interval(period.start, period.end, locale)
            when = t.gettext("If paid %(dates)s") % {"dates": dates}
        lines.append((when, fmt(period.amount_due)))
    if (end := periods[-1].end) is not None:  # the rules go on past what a page can list
        after = format_day(end + timedelta(days=1), locale)
        lines.append(
            (t.gettext("From %(date)s: more, as the late-payment terms say") % {"date": after}, "")
        )
    return lines


def _babel(locale_tag: str) -> Locale:
    return resolve_locale(locale_tag)[0]


@cache
def _interval(start: date, end: date, locale_tag: str) -> str:
    # Babel matches a skeleton on every call (~130 µs); a build meets few distinct periods
    return format_interval(start, end, "yMMMMd", locale=_babel(locale_tag))


def _fixed(amount: Decimal | dict[str, Decimal], currency: str, locale: str) -> str | None:
    value = amount.get(currency) if isinstance(amount, dict) else amount
    return None if value is None else format_money(to_minor(value, currency), currency, locale)


def late_fee_terms(
    t: Translations, locale: str, policy: LateFeePolicy | None, currency: str, plan: bool = False
) -> list[str]:
    """The late-payment terms in words, one sentence per rule.

    Each fee says what its percentage is of. On an invoice paid in one go that is the
    invoice's total (or its balance); on a payment plan (``plan``) each part is charged on
    its own, by its own due date, so a step is a percentage of that instalment and a cap
    limits the fees on each instalment (``fees.late_fee_charges`` charges them so).
    """
    if policy is None or not (policy.steps or policy.flat or policy.monthly_interest):
        return [t.gettext("No late fees apply to this invoice.")]
    sentences = [
        _step_sentence(t, locale, step.days_overdue, step.percent, step.of, plan)
        for step in policy.steps
    ]
    if policy.flat is not None and (flat := _fixed(policy.flat, currency, locale)):
        args = {"amount": flat, "num": policy.grace_days + 1}
        if plan:
            sentences.append(
                t.ngettext(
                    "A late fee of %(amount)s is added to each instalment still unpaid "
                    "%(num)d day after its due date.",
                    "A late fee of %(amount)s is added to each instalment still unpaid "
                    "%(num)d days after its due date.",
                    policy.grace_days + 1,
                )
                % args
            )
        else:
            sentences.append(
                t.ngettext(
                    "A late fee of %(amount)s is added %(num)d day after the due date.",
                    "A late fee of %(amount)s is added %(num)d days after the due date.",
                    policy.grace_days + 1,
                )
                % args
            )
    if policy.monthly_interest is not None:
        sentence = t.gettext(
            "Interest of %(percent)s a month is charged on the overdue balance."
        ) % {"percent": format_pct(policy.monthly_interest, locale)}
        if policy.grace_days:
            sentence += " " + t.ngettext(
                "It starts after a grace period of %(num)d day.",
                "It starts after a grace period of %(num)d days.",
                policy.grace_days,
            ) % {"num": policy.grace_days}
        sentences.append(sentence)
    if policy.cap is not None:
        sentences.extend(_cap_sentence(t, locale, policy, currency, plan))
    return sentences


def _step_sentence(
    t: Translations, locale: str, days: int, percent: Decimal, of: str, plan: bool
) -> str:
    args = {"num": days, "percent": format_pct(percent, locale)}
    if plan and of == "total":
        text = t.ngettext(
            "If an instalment is unpaid %(num)d day after its due date, %(percent)s of that "
            "instalment is added.",
            "If an instalment is unpaid %(num)d days after its due date, %(percent)s of that "
            "instalment is added.",
            days,
        )
    elif plan:
        text = t.ngettext(
            "If an instalment is unpaid %(num)d day after its due date, %(percent)s of what "
            "is then outstanding on that instalment is added.",
            "If an instalment is unpaid %(num)d days after its due date, %(percent)s of what "
            "is then outstanding on that instalment is added.",
            days,
        )
    elif of == "total":
        text = t.ngettext(
            "If unpaid %(num)d day after the due date, %(percent)s of the invoice total is added.",
            "If unpaid %(num)d days after the due date, %(percent)s of the invoice total is added.",
            days,
        )
    else:
        text = t.ngettext(
            "If unpaid %(num)d day after the due date, %(percent)s of the balance "
            "then outstanding is added.",
            "If unpaid %(num)d days after the due date, %(percent)s of the balance "
            "then outstanding is added.",
            days,
        )
    return text % args


def _cap_sentence(
    t: Translations, locale: str, policy: LateFeePolicy, currency: str, plan: bool
) -> list[str]:
    assert policy.cap is not None
    if policy.cap.percent is not None:
        percent = {"percent": format_pct(policy.cap.percent, locale)}
        if plan:
            return [
                t.gettext("Late fees on an instalment never exceed %(percent)s of that instalment.")
                % percent
            ]
        limit = t.gettext("%(percent)s of the invoice total") % percent
    else:
        limit = _fixed(policy.cap.amount or Decimal(0), currency, locale) or ""
        if limit and plan:
            return [
                fill(
                    t.gettext("Late fees on an instalment never exceed %(limit)s."),
                    {"limit": limit},
                )
            ]
    return [fill(t.gettext("Late fees never exceed %(limit)s."), {"limit": limit})] if limit else []


def payment_terms(
    t: Translations,
    locale: str,
    terms: ResolvedTerms,
    issued: date,
    due: date,
    currency: str,
    discount: int,
    entries: Sequence[Part] = (),
) -> list[str]:
    """When payment is due, and the early-payment discount while it is on offer.

    ``entries``: the invoice's payable parts. A plan's are each due on their own date (the
    plan's table lists them) and the invoice is due with the last; a plan gets no early
    discount, and where the terms offer one the sentence says so.
    """
    days = (due - issued).days
    if len(entries) > 1:
        sentences = [
            fill(
                t.ngettext(
                    "Payment is due in %(num)d part, as the payment plan sets out; the last is "
                    "due %(date)s.",
                    "Payment is due in %(num)d parts, as the payment plan sets out; the last is "
                    "due %(date)s.",
                    len(entries),
                ),
                {"num": len(entries), "date": format_day(due, locale)},
            )
        ]
    elif days == 0:
        sentences = [t.gettext("Payment is due on receipt of this invoice.")]
    else:
        sentences = [
            fill(
                t.ngettext(
                    "Payment is due within %(num)d day of the invoice date, by %(date)s.",
                    "Payment is due within %(num)d days of the invoice date, by %(date)s.",
                    days,
                ),
                {"num": days, "date": format_day(due, locale)},
            )
        ]
    offer = terms.early_discount
    if offer is not None and entries and discount_withheld(entries, terms):
        sentences.append(
            t.gettext(
                "The early-payment discount of %(percent)s is not offered on an invoice paid "
                "by a payment plan: the plan already sets when each part is due."
            )
            % {"percent": format_pct(offer.percent, locale)}
        )
    elif offer is not None and discount > 0:
        sentences.append(
            fill(
                t.gettext("Pay by %(date)s and take %(percent)s off: you save %(amount)s."),
                {
                    "date": format_day(issued + timedelta(days=offer.within_days), locale),
                    "percent": format_pct(offer.percent, locale),
                    "amount": format_money(discount, currency, locale),
                },
            )
        )
    return sentences


class Entry(Protocol):
    """A numbered payable part: a schedule entry, or an entry of a statement."""

    @property
    def n(self) -> int: ...
    @property
    def kind(self) -> str: ...


def part_names(t: Translations, entries: Sequence[Entry]) -> dict[int, str | None]:
    """What each payable part is, by its number: "Deposit", "Balance", "Instalment 2 of 3".

    An instalment is counted as the plan numbers its parts everywhere else (the Pay button,
    a payment's ``instalment:``, the reminders): its place among all of them, so after a
    deposit the first instalment is "Instalment 2 of 3". A label the agency gave is shown
    beside the name, not instead of it. The one part of an invoice paid in one go has none.
    """
    names: dict[int, str | None] = {}
    for e in entries:
        if e.kind == "deposit":
            names[e.n] = t.gettext("Deposit")
        elif e.kind == "balance":
            names[e.n] = t.gettext("Balance")
        elif e.kind == "instalment":
            names[e.n] = t.gettext("Instalment %(n)d of %(count)d") % {
                "n": e.n,
                "count": len(entries),
            }
        else:
            names[e.n] = None
    return names


def terms_in_short(t: Translations, issued: date, due: date, parts: int) -> str:
    """The terms in a few words, for the invoice's details: "Net 21 days", "Due on receipt".

    The due date is printed beside it, so a reader never has to count the days.
    """
    if parts > 1:
        return t.ngettext("Payment plan, %(num)d part", "Payment plan, %(num)d parts", parts) % {
            "num": parts
        }
    days = (due - issued).days
    if days == 0:
        return t.gettext("Due on receipt")
    return t.ngettext("Net %(num)d day", "Net %(num)d days", days) % {"num": days}


def in_language(text: str | Mapping[str, str], locale: str, own: str) -> tuple[str, str | None]:
    """The agency's text for a reader in ``locale``, and the language it is in if not theirs.

    ``text`` is one text in the agency's own locale ``own``, or one per locale: the reader's
    exact tag, else their language's, else the agency's own, else the first given. The second
    value is the tag of the language the reader gets instead of theirs (None: their own), so
    a page can say "(in English)" rather than pass a foreign text off as a translation.
    """
    catalog = resolve_locale(locale)[1]
    if isinstance(text, str):
        chosen, tag = text, own
    else:
        by_catalog = {resolve_locale(tag)[1]: tag for tag in text}
        own_tag = own if own in text else by_catalog.get(resolve_locale(own)[1])
        tag = locale if locale in text else by_catalog.get(catalog) or own_tag or next(iter(text))
        chosen = text[tag]
    return chosen, None if resolve_locale(tag)[1] == catalog else tag


def language_marker(t: Translations, locale: str, tag: str) -> str:
    """ "(in English)", in the reader's language: says a text was not written in it."""
    name = resolve_locale(tag)[0].get_language_name(resolve_locale(locale)[0])
    return t.gettext("(in %(language)s)") % {"language": name}


def marked(
    t: Translations, locale: str, text: str | Mapping[str, str] | None, own: str
) -> str | None:
    """``in_language``'s text with its marker in front, for plain text (an email)."""
    if text is None:
        return None
    chosen, tag = in_language(text, locale, own)
    return chosen if tag is None else f"{language_marker(t, locale, tag)} {chosen}"
