"""What a text field of the content may hold: one line, or paragraphs; never hidden controls."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from site_builder import model
from site_builder.model import Agency, Client, Contact, Invoice, LineItem, Note, Payment

LINE_BREAKS = ["\n", "\r", "\r\n", "\x85", "\x0b", "\x0c", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x80", "\x9f"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
ALLOWED = ["\u200e", "\u200f", "\u061c", "\u00a0", "é", "中", "\U0001f600", "O'Connor & Co."]

# Fields that hold paragraphs and keep their line breaks; every other text is one line
MULTI_LINE = {
    "Agency.thank_you",
    "Agency.payment_terms",
    "Client.thank_you",
    "Invoice.memo",
    "Note.body",
}
# Validators that let no control character through (the names of their functions)
SAFE = {"_one_line", "_prose", "_slug", "_currency", "_locale", "_timezone"}


def contact(name: str) -> Contact:
    return Contact(name=name, email="anna@acme.example")


@pytest.mark.parametrize("char", LINE_BREAKS)
def test_a_line_break_in_a_name_is_refused_and_named(char: str) -> None:
    with pytest.raises(ValidationError) as exc:
        contact(f"Anna{char}Nowak")
    message = exc.value.errors()[0]["msg"]
    assert f"U+{ord(char[0]):04X}" in message
    assert "at character 5" in message
    assert "write it on one line" in message


def test_the_reported_header_injection_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"carriage return \(U\+000D\) at character 11"):
        contact("Anna Nowak\r\nBcc: everyone@example.com")


@pytest.mark.parametrize("char", ["\t", *CONTROLS, *BIDI])
def test_tabs_controls_and_bidi_overrides_are_refused(char: str) -> None:
    with pytest.raises(ValidationError) as exc:
        contact(f"Anna{char}Nowak")
    message = exc.value.errors()[0]["msg"]
    assert f"U+{ord(char):04X}" in message
    if char == "\t":
        assert "a tab" in message and "use spaces" in message
    elif char in BIDI:
        assert "bidirectional control" in message and "display differently" in message
    else:
        assert "control character" in message


@pytest.mark.parametrize("char", ALLOWED)
def test_marks_and_letters_of_any_script_are_kept(char: str) -> None:
    assert contact(f"Anna{char}Nowak").name == f"Anna{char}Nowak"


def test_surrounding_whitespace_is_trimmed_not_refused() -> None:
    # a YAML block scalar (name: |) ends in a line break: trimmed, like spaces
    assert contact("  Anna Nowak\n").name == "Anna Nowak"


def test_email_addresses_and_urls_are_one_line_too() -> None:
    with pytest.raises(ValidationError, match="line break"):
        Contact(name="Anna", email="anna@acme.example\nBcc: x@y.example")
    with pytest.raises(ValidationError, match="control character"):
        Contact(name="Anna", email="an\x00na@acme.example")
    with pytest.raises(ValidationError, match="bidirectional"):
        Agency.model_validate({**AGENCY, "portal_url": "https://portal\u202e.example"})


def test_paragraphs_keep_line_breaks_but_not_controls() -> None:
    text = "Thank you, {contact}!\n\nIt was a pleasure.\r\n\tSee you soon."
    assert Agency.model_validate({**AGENCY, "thank_you": text}).thank_you == text
    for bad in ["\x00", "\x1b", "\u202e", "\u2028", "\x0c"]:
        with pytest.raises(ValidationError, match=f"U\\+{ord(bad):04X}"):
            Agency.model_validate({**AGENCY, "payment_terms": f"IBAN {bad}XX00 1234"})


def test_a_note_body_keeps_its_markdown_and_refuses_controls() -> None:
    body = "Dear Megan,\r\n\n- one\n\t- two"
    note = Note(client="acme", slug="hi", title="Thanks", date=date(2026, 1, 2), body=body)
    assert note.body == body
    with pytest.raises(ValidationError, match="U\\+0000"):
        Note(client="acme", slug="hi", title="Thanks", date=date(2026, 1, 2), body="a\x00b")


def test_a_tax_label_is_one_line_and_still_40_characters_at_most() -> None:
    item = {"description": "Design", "unit_price": "1"}
    base = {"number": "INV-1", "client": "acme", "issued": "2026-01-01", "currency": "USD"}
    with pytest.raises(ValidationError, match="line break"):
        Invoice.model_validate({**base, "items": [item], "tax": {"label": "V\nAT", "percent": 1}})
    with pytest.raises(ValidationError, match="at most 40 characters"):
        Invoice.model_validate({**base, "items": [item], "tax": {"label": "x" * 41, "percent": 1}})


# --- every text field is covered ----------------------------------------------


def _validators(metadata: tuple[Any, ...]) -> set[str]:
    return {m.func.__name__ for m in metadata if isinstance(m, AfterValidator)}


def _text_fields(
    tp: Any, where: str, metadata: tuple[Any, ...] = ()
) -> Iterator[tuple[str, set[str]]]:
    """(field, names of its validators) for every str the type can hold, however nested."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *more = get_args(tp)
        yield from _text_fields(base, where, metadata + tuple(more))
    elif tp is str:
        yield where, _validators(metadata)
    elif origin in (Union, types.UnionType, list, dict, tuple):
        for arg in get_args(tp):
            yield from _text_fields(arg, where)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            yield from _text_fields(info.annotation, f"{tp.__name__}.{name}", tuple(info.metadata))
    else:
        assert origin is typing.Literal or tp in (int, bool, date, Decimal, type(None)), (where, tp)


def test_every_text_field_of_the_content_refuses_control_characters() -> None:
    fields = [f for m in (Agency, Client, Invoice, Payment, Note) for f in _text_fields(m, "")]
    assert len({name for name, _ in fields}) > 30  # the walk reached the nested models
    unsafe = sorted({name for name, checks in fields if not checks & SAFE})
    assert unsafe == [], "text fields without a character check (use model.Line)"
    multi = sorted({name for name, checks in fields if "_prose" in checks})
    assert multi == sorted(MULTI_LINE)


@pytest.mark.parametrize(
    "check",
    [model._slug, model._currency, model._locale, model._timezone],
    ids=lambda f: f.__name__,
)
def test_the_other_text_checks_refuse_controls_too(check: Any) -> None:
    for char in ["\n", "\x00", "\u202e"]:
        with pytest.raises(ValueError):
            check(f"en{char}US")


AGENCY = {
    "name": "Northwind Studio",
    "email": "billing@northwind.example",
    "address": ["12 Harbour Road"],
    "portal_url": "https://portal.northwind.example",
    "api_url": "https://api.northwind.example",
}


def test_line_items_and_amounts_stay_within_exact_arithmetic() -> None:
    with pytest.raises(ValidationError, match="less than 10\\*\\*15"):
        LineItem(description="x", unit_price=Decimal(10) ** 30)
    with pytest.raises(ValidationError, match="a quadrillion"):
        LineItem(description="x", quantity=Decimal(10) ** 10, unit_price=Decimal(10) ** 10)
    with pytest.raises(ValidationError, match="less than 10\\*\\*15"):
        LineItem(description="x", unit_price="1e999999")
    assert LineItem(description="x", quantity=3, unit_price="999999999999.99").quantity == 3


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "2200-01-01", "9999-12-31"])
def test_dates_far_in_the_past_or_future_are_refused(day: str) -> None:
    payment = {"id": "p1", "invoice": "INV-1", "amount": "1", "currency": "USD"}
    with pytest.raises(ValidationError, match="between 1970-01-01 and 2199-12-31"):
        Payment.model_validate({**payment, "date": day})
