"""The importer's YAML: any text written is read back as that very text, by us and by PyYAML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.importer.yamlout import document, flow, scalar
from site_builder.readers import parse_yaml

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_any_text_reads_back_as_itself(text: str) -> None:
    written = scalar(text)
    assert parse_yaml(f"k: {written}\n").data["k"] == text
    assert yaml.safe_load(f"k: {written}\n")["k"] == text
    inside = parse_yaml(f"k: {flow({'a': text, 'b': [text]})}\n").data["k"]
    assert inside == {"a": text, "b": [text]}


def test_amounts_are_text_and_dates_are_bare() -> None:
    assert scalar(Decimal("2400.00")) == '"2400.00"'
    assert scalar(Decimal("1E+3")) == '"1000"'
    assert scalar(date(2026, 5, 4)) == "2026-05-04"
    assert scalar("Brand refresh — phase 1") == "Brand refresh — phase 1"
    assert scalar("yes") == '"yes"' and scalar("0x1F") == '"0x1F"' and scalar("1.5") == '"1.5"'


def test_a_document_in_the_content_order() -> None:
    text = document(
        {"items": [{"description": "A, B", "quantity": 2}], "client": "acme", "x": None},
        ["client", "items"],
        head="made by a test",
    )
    assert text == (
        '# made by a test\nclient: acme\nitems:\n  - {description: "A, B", quantity: 2}\nx: null\n'
    )
