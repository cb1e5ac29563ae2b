"""Fuzzing the content: no edit of the sample stops `portal check` other than with a list.

Each example copies the sample content, makes one to three edits that an agency, a
spreadsheet export or a broken tool could make (a field's type changed, a field dropped,
control and other unusual characters, huge values, far dates, duplicate keys, anchors and
aliases, YAML tags, bytes that are not UTF-8, an empty or cut file), and runs what
`portal check` runs. Either that reports ContentInvalid, every problem naming a file, or
the content is valid and a full build into a scratch folder succeeds. Nothing else may
escape: a traceback is a bug in the reader or the model.

FUZZ_EXAMPLES sets the number of examples (default sized for about 30 s on two shared
cores); ``bench/fuzz_content.py`` runs many more and lists the distinct problems found.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.build import build
from site_builder.errors import ContentError, ContentInvalid
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SKIP = {"schema"}  # generated for editors; the build never reads it

Path_ = tuple[str | int, ...]  # a place in a file's data: keys and list indexes


# --- the sample, as plain data to aim edits at --------------------------------


@cache
def sample_files() -> tuple[str, ...]:
    return tuple(
        p.relative_to(SAMPLE).as_posix()
        for p in sorted(SAMPLE.rglob("*"))
        if p.is_file() and p.relative_to(SAMPLE).parts[0] not in SKIP
    )


def _split(text: str, rel: str) -> tuple[str, str, str]:
    """(before, YAML, after): a note's front matter is its YAML, the Markdown stays as is."""
    if not rel.endswith(".md"):
        return "", text, ""
    _, meta, body = text.split("---\n", 2)
    return "---\n", meta, "---\n" + body


@cache
def sample_data(rel: str) -> Any:
    return yaml.safe_load(_split((SAMPLE / rel).read_text(encoding="utf-8"), rel)[1])


def places(data: Any, here: Path_ = ()) -> list[Path_]:
    """Every place in ``data``, the root included, in a stable order."""
    found = [here]
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, (*here, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += places(value, (*here, index))
    return found


# --- edits --------------------------------------------------------------------


@dataclass(frozen=True)
class SetValue:
    """Put ``value`` at ``at`` (a key that is not there is added)."""

    rel: str
    at: Path_
    value: Any


@dataclass(frozen=True)
class Retype:
    """Keep the value but change its type: str, int, list, map or null."""

    rel: str
    at: Path_
    to: str


@dataclass(frozen=True)
class Digits:
    """Write a plain integer of ``count`` digits at ``at`` (too long to keep in the example)."""

    rel: str
    at: Path_
    count: int


@dataclass(frozen=True)
class Drop:
    rel: str
    at: Path_


@dataclass(frozen=True)
class Garble:
    """Insert ``chars`` into a text value (or its key's name, when it is not text)."""

    rel: str
    at: Path_
    chars: str
    where: int


@dataclass(frozen=True)
class Splice:
    """Replace ``cut`` bytes at a share ``share`` of the file with ``data``."""

    rel: str
    share: float
    cut: int
    data: bytes


@dataclass(frozen=True)
class Append:
    rel: str
    text: str


@dataclass(frozen=True)
class Whole:
    """Replace the whole file."""

    rel: str
    data: bytes


Edit = SetValue | Digits | Retype | Drop | Garble | Splice | Append | Whole


def _parent(data: Any, at: Path_) -> Any:
    for key in at[:-1]:
        data = data[key]
    return data


def _retyped(value: Any, to: str) -> Any:
    text = value if isinstance(value, str) else yaml.safe_dump(value).removesuffix("\n...\n")
    return {
        "str": str(value),
        "int": int(value) if isinstance(value, int) else len(text),
        "list": [value],
        "map": {"value": value},
        "null": None,
    }[to]


def _digits_marker(count: int) -> str:
    return f"DIGITS{count}MARKER"


def _edit_data(data: Any, edit: Edit) -> Any:
    at = edit.at  # type: ignore[union-attr]
    if not at:
        if isinstance(edit, SetValue):
            return edit.value
        if isinstance(edit, Digits):
            return _digits_marker(edit.count)
        if isinstance(edit, Retype):
            return _retyped(data, edit.to)
        return None if isinstance(edit, Drop) else data
    parent = _parent(data, at)
    key = at[-1]
    if isinstance(edit, SetValue):
        parent[key] = edit.value
    elif isinstance(edit, Digits):
        parent[key] = _digits_marker(edit.count)
    elif isinstance(edit, Retype):
        parent[key] = _retyped(parent[key], edit.to)
    elif isinstance(edit, Drop):
        del parent[key]
    elif isinstance(edit, Garble):
        value = parent[key]
        if isinstance(value, str):
            cut = edit.where % (len(value) + 1)
            parent[key] = value[:cut] + edit.chars + value[cut:]
        elif isinstance(parent, dict):  # a key with odd characters: an unknown field
            parent[f"{key}{edit.chars}"] = parent.pop(key)
    return data


def apply(content: Path, edit: Edit) -> None:
    path = content / edit.rel
    if isinstance(edit, Whole):
        path.write_bytes(edit.data)
        return
    raw = path.read_bytes()
    if isinstance(edit, Splice):
        at = int(edit.share * len(raw))
        path.write_bytes(raw[:at] + edit.data + raw[at + edit.cut :])
        return
    if isinstance(edit, Append):
        path.write_bytes(raw + edit.text.encode("utf-8", "surrogatepass"))
        return
    try:  # an edit of the data: only while an earlier edit left it readable
        before, meta, after = _split(raw.decode("utf-8"), edit.rel)
        data = _edit_data(yaml.safe_load(meta), edit)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, LookupError, TypeError):
        return  # e.g. a YAML tag or a 5,000-digit number written by an earlier edit
    if isinstance(edit, Digits):
        text = text.replace(_digits_marker(edit.count), "9" * edit.count)
    path.write_bytes((before + text + after).encode("utf-8", "surrogatepass"))


# --- what to write ------------------------------------------------------------

# Characters that break lines, headers or display: controls, separators, bidi overrides
SPECIAL = (
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x9f"
    "\u00a0\u200b\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\ufffd\U0001f600\u0301"
)
special = st.text(alphabet=SPECIAL, min_size=1, max_size=4)
words = st.text(alphabet="abc XYZ-.,'&é中", max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**30, -(10**30), 0, -1, 2**63, 10**100]),
    st.floats(),
    st.text(max_size=30),  # any Unicode, controls included
    st.builds(lambda a, s, b: a + s + b, words, special, words),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2),  # surrogates
    st.sampled_from(
        [
            *("x" * 10_000, "9" * 400, "1e999999", "-1e-999999", "NaN", "Infinity", ".inf"),
            *("-0", "1_000.50", "0x1F", "1e30", "1500.105", "", " ", "~", "null", "2026-02-30"),
        ]
    ),
    st.dates(),
    st.sampled_from([date.min, date.max, "0001-01-01", "9999-12-31", "10000-01-01"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
    max_leaves=6,
)

# Text that passes every check but may trip the rendering: scripts, marks, markup, templates
odd_text = st.one_of(
    st.text(
        alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp", "Cf"]),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(
        [
            *("<script>alert(1)</script>", "</style><b>", "{contact} {client} {0} {}", "{{ 7*7 }}"),
            *("%s%n%d", '=HYPERLINK("x")', "BEGIN:VEVENT;\\,", "x" * 2000, "中" * 2000),
            *("word " * 400, "\u200f\u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645"),
            *("\U0001f469\u200d\U0001f469\u200d\U0001f467" * 20, "a\u0301" * 300, "\u00a0" * 5),
            *("ǅ ß ﬃ İ", "\U00010348\U0001d11e", "'; DROP TABLE invoices; --", "*a* _b_ [c](d)"),
        ]
    ),
)
INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]
YAML_BITS = [
    b": ",
    b"- ",
    b"{",
    b"]",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"\t",
    b"\n---\n",
    b"%YAML 1.1\n",
    b"\xef\xbb\xbf",
    b"\x00",
    b"'",
    b'"',
    b"#",
    b"? ",
    b"|\n",
]


def _bomb(levels: int, width: int) -> str:
    """A "billion laughs" of width**levels values, kept small enough to run."""
    lines = [f"bomb0: &b0 [{', '.join(['lol'] * width)}]"]
    for n in range(1, levels + 1):
        lines.append(f"bomb{n}: &b{n} [{', '.join([f'*b{n - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _appended(first_line: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("\n" + first_line + "\n"),  # the first key again: a duplicate key
        st.builds(_bomb, st.integers(1, 4), st.integers(1, 6)).map(lambda b: "\n" + b),
        st.sampled_from(
            [
                "\nextra: &x {a: 1}\nagain: *x\n",
                "\nmerged: {<<: *nowhere}\n",
                "\nself: &s [*s]\n",
                "\nobj: !!python/object:os.system echo hi\n",
                "\nobj: !!python/object/apply:os.system [echo hi]\n",
                "\nbin: !!binary aGVsbG8=\n",
                "\ncustom: !thing x\n",
                "\nset: !!set {a, b}\n",
                "\nwhen: !!timestamp 2026-01-01\n",
                "\n? [a, b]\n: c\n",
                "\n- a list after a map\n",
                "\n---\nsecond: document\n",
            ]
        ),
    )


def _first_line(rel: str) -> str:
    meta = _split((SAMPLE / rel).read_text(encoding="utf-8"), rel)[1]
    return next((line for line in meta.splitlines() if re.match(r"\w+:", line)), "name: x")


@st.composite
def edits(draw: st.DrawFn) -> Edit:
    rel = draw(st.sampled_from(sample_files()))
    data = sample_data(rel)
    # the root too rarely: "the file is not a mapping" is one problem, Whole writes it
    at = draw(st.sampled_from(places(data)[1:] or [()]))
    tagged = draw(st.sampled_from(["!!python/object:os.system", "!!binary", "!custom", "!!int"]))
    kind = draw(st.integers(0, 10))
    if kind == 0:
        return SetValue(rel, at, draw(values))
    if kind == 1 and draw(st.booleans()):
        return Digits(rel, at, draw(st.sampled_from([20, 29, 40, 4301, 5000])))
    if kind == 1 and isinstance(data, dict):
        key = draw(st.sampled_from([*data.keys(), "colour"]))
        return SetValue(rel, (key,), draw(values))
    if kind == 2:
        return Retype(rel, at, draw(st.sampled_from(["str", "int", "list", "map", "null"])))
    if kind == 3 and at:
        return Drop(rel, at)
    if kind == 4:
        return Garble(rel, at, draw(special | words), draw(st.integers(0, 200)))
    if kind == 5:
        data_bytes = draw(st.sampled_from(INVALID_UTF8 + YAML_BITS) | st.binary(max_size=8))
        return Splice(rel, draw(st.floats(0, 1)), draw(st.integers(0, 12)), data_bytes)
    if kind == 6:
        return Append(rel, draw(_appended(_first_line(rel))))
    if kind == 7:
        key = _first_line(rel).split(":", 1)[0]
        return Append(rel, f"\n{key}_tagged: {tagged} x\n")
    if kind == 8:
        return Whole(
            rel,
            draw(
                st.sampled_from(
                    [
                        *(b"", b"\n", b"---\n", b"---\n---\n", b"[]", b"null", b"- a\n- b\n"),
                        *(b"42", b"\xff\xfe\x00a", "name: \u202eevil".encode(), b"\x00" * 10),
                        _bomb(4, 6).encode(),
                    ]
                )
            ),
        )
    if kind == 9:
        return SetValue(rel, at, draw(scalars))
    # a text replaced with odd but valid text: the content should still build
    texts = [p for p in places(data) if isinstance(_value_at(data, p), str)] or [at]
    return SetValue(rel, draw(st.sampled_from(texts)), draw(odd_text))


def _value_at(data: Any, at: Path_) -> Any:
    for key in at:
        data = data[key]
    return data


# --- what must hold -----------------------------------------------------------


def check_then_build(content: Path, out: Path) -> list[ContentError]:
    """What `portal check` runs; when it finds nothing, a real build. Returns the problems."""
    try:
        build(content, out, SAMPLE_TODAY, secret=SECRET, check_only=True, workers=1)
    except ContentInvalid as exc:
        return exc.errors
    build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1)
    return []


def assert_named(errors: list[ContentError], content: Path) -> None:
    for error in errors:
        assert error.path, f"a problem names no file: {error}"
        assert "\n" not in str(error), f"a problem spans lines: {error!r}"
        assert error.path == "agency.yaml" or (content / error.path).exists(), error


def run_example(changes: list[Edit], record: Callable[[list[ContentError]], None] | None) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(SAMPLE, content, ignore=shutil.ignore_patterns(*SKIP))
        for change in changes:
            apply(content, change)
        errors = check_then_build(content, Path(tmp) / "out")
        assert_named(errors, content)
        if record is not None:
            record(errors)


examples = st.lists(edits(), min_size=1, max_size=3)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(changes=examples)
def test_any_edit_is_reported_or_builds(changes: list[Edit]) -> None:
    run_example(changes, None)
