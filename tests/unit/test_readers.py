import pytest

from site_builder.readers import ReadError, parse_markdown, parse_yaml


def test_numbers_keep_their_source_text() -> None:
    doc = parse_yaml("price: 1500.10\nqty: 3\nissued: 2026-03-01\nok: yes\nnone: ~\n")
    assert doc.data == {
        "price": "1500.10",
        "qty": 3,
        "issued": "2026-03-01",
        "ok": True,
        "none": None,
    }


def test_line_of_a_nested_field() -> None:
    doc = parse_yaml(
        "client: acme\n"
        "items:\n"
        "  - description: a\n"
        "    quantity: 1\n"
        "  - description: b\n"
        "    quantity: -2\n"
    )
    assert doc.line_of(("items", 1, "quantity")) == 6
    assert doc.line_of(("items", 1)) == 5
    assert doc.line_of(("client",)) == 1
    assert doc.line_of(("missing",)) == 1  # the document itself


def test_duplicate_keys_are_an_error_with_a_line() -> None:
    with pytest.raises(ReadError) as exc:
        parse_yaml("a: 1\nb: 2\na: 3\n")
    assert exc.value.line == 3


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(ReadError) as exc:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert exc.value.line is not None and exc.value.line >= 2


def test_front_matter_lines_count_from_the_file_start() -> None:
    note = parse_markdown("---\ntitle: Thanks\ndate: 2026-01-02\n---\nHello *you*\n")
    assert note.meta.data == {"title": "Thanks", "date": "2026-01-02"}
    assert note.meta.line_of(("date",)) == 3
    assert note.body == "Hello *you*\n"


def test_unclosed_front_matter() -> None:
    with pytest.raises(ReadError, match="never closed"):
        parse_markdown("---\ntitle: x\n")


def test_yaml_1_1_words_and_quoted_numbers() -> None:
    doc = parse_yaml('a: "123"\nb: off\nc:\nd: 010\ne: !!str 5\nf: -7\ng: 1_000\n')
    assert doc.data == {"a": "123", "b": False, "c": None, "d": "010", "e": "5", "f": -7, "g": 1000}
