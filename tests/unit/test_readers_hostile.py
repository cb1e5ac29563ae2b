"""Readers against hostile YAML: alias bombs, tags, huge numbers, characters YAML forbids."""

from __future__ import annotations

import time

import pytest

from site_builder.readers import MAX_VALUES, ReadError, parse_markdown, parse_yaml


def _bomb(levels: int, width: int = 9) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(ReadError, match="aliases") as exc:
        parse_yaml(_bomb(9))  # 9**10 values once expanded
    assert time.perf_counter() - started < 1
    assert exc.value.line == 1


def test_small_aliases_still_work() -> None:
    data = parse_yaml("base: &addr [1 Road, Town]\nother: *addr\n").data
    assert data == {"base": ["1 Road", "Town"], "other": ["1 Road", "Town"]}
    assert parse_yaml(_bomb(4)).data["a4"][0][0][0][0] == ["lol"] * 9
    assert MAX_VALUES > 9**5  # what a4 expands to


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(ReadError, match="contain themselves"):
        parse_yaml("a: &x [1, *x]\n")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: 1\nb: !!python/object/apply:os.system [echo hi]\n", "!!python/object/apply:os.system"),
        ("a: 1\nb: !!binary aGVsbG8=\n", "!!binary"),
        ("a: 1\nb: !custom x\n", "!custom"),
        ("a: 1\nb: !!set {x, y}\n", "!!set"),
        ("a: 1\nb: !!int 12\n", "!!int"),
    ],
)
def test_yaml_tags_are_refused_not_silently_dropped(text: str, tag: str) -> None:
    with pytest.raises(ReadError, match="YAML tags") as exc:
        parse_yaml(text)
    assert tag in exc.value.message
    assert exc.value.line == 2


def test_str_tags_and_plain_maps_stay_allowed() -> None:
    assert parse_yaml("a: !!str 5\nb: !!map {c: 1}\n").data == {"a": "5", "b": {"c": 1}}


def test_a_number_too_long_for_int_stays_text() -> None:
    # int() refuses 4,300 digits; the model then says what the field expected
    assert parse_yaml("a: " + "9" * 5000).data == {"a": "9" * 5000}
    assert parse_yaml("a: 12").data == {"a": 12}


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_raw_control_character_is_one_line_with_its_line(char: str) -> None:
    with pytest.raises(ReadError) as exc:
        parse_yaml(f"name: Café\nnote: a{char}b\n")
    assert f"U+{ord(char):04X}" in exc.value.message
    assert "\n" not in exc.value.message
    assert exc.value.line == 2


def test_front_matter_problems_count_lines_from_the_file_start() -> None:
    with pytest.raises(ReadError, match="appears twice") as exc:
        parse_markdown("---\ntitle: a\ntitle: b\n---\nbody\n")
    assert exc.value.line == 3
    with pytest.raises(ReadError, match="YAML tags") as exc:
        parse_markdown("---\ntitle: a\ndate: !!timestamp 2026-01-01\n---\nbody\n")
    assert exc.value.line == 3


def test_anchor_and_alias_mistakes_say_what_is_wrong() -> None:
    with pytest.raises(ReadError, match="defined twice, first on line 1") as exc:
        parse_yaml("a: &x 1\nb: &x 2\n")
    assert exc.value.line == 2
    with pytest.raises(ReadError, match="names no anchor"):
        parse_yaml("a: *nowhere\n")
