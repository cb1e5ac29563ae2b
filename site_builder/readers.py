"""Readers: content files -> plain data, remembering where each value came from.

YAML is composed (not loaded) with libyaml, so every node keeps its line, and
scalars are turned into Python values by hand: a YAML float such as
``1500.10`` stays the text ``"1500.10"`` (never a binary float) and dates stay
text for the model to parse and report on. What YAML could do beyond plain data is
refused with a line: tags (``!!python/object``, ``!!binary``) and aliases that expand
past what a content file holds.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Base
except ImportError:  # pragma: no cover - libyaml ships in PyYAML's wheels
    from yaml import SafeLoader as _Base  # type: ignore[assignment]

_PLAIN, _TEXT = "plain", "tag:yaml.org,2002:str"
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {
    **dict.fromkeys(["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"], True),
    **dict.fromkeys(["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"], False),
}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
# Longer is no count of anything, and int() refuses 4,300 digits: such a number stays text
# for the model to refuse with the field's own message.
_INT_DIGITS = 100
# The tags a collection may carry: the loader's own (resolve() gives untagged ones _TEXT) and
# an explicit !!map or !!seq, which mean the same. Any other tag (!!binary, !!python/object,
# !custom), on a collection or a scalar, is refused: silently reading it as text would hide it.
_COLLECTIONS = {_TEXT, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# Aliases repeat a node wherever they name it: a few lines can stand for billions of values
# ("billion laughs"). A content file holds a few thousand; past this many it is refused.
MAX_VALUES = 100_000


class _Loader(_Base):
    """libyaml's parser without PyYAML's implicit typing.

    PyYAML resolves every plain scalar against a table of regular
    expressions (a quarter of the parse time); ``_scalar`` decides the few
    types we accept itself, and floats and dates stay text anyway.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        return _PLAIN if kind is yaml.ScalarNode and implicit[0] else _TEXT


class ReadError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Document:
    """A file's data plus the node tree it came from, for line lookups."""

    data: Any
    node: yaml.Node | None
    line_offset: int = 0

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node on ``loc`` that exists."""
        node = self.node
        if node is None:
            return None
        line = node.start_mark.line
        for key in loc:
            child = _child(node, key)
            if child is None:
                break
            node, line = child
        return line + 1 + self.line_offset


def _child(node: yaml.Node, key: str | int) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                # a missing or scalar value is best pointed at by its key's line
                return v, (
                    k.start_mark.line if isinstance(v, yaml.ScalarNode) else v.start_mark.line
                )
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item = node.value[key]
        return item, item.start_mark.line
    return None


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.tag != _PLAIN:  # quoted or block: text as written
        if node.tag != _TEXT:
            raise _tagged(node)
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text) and len(text) <= _INT_DIGITS:
        return int(text.replace("_", ""))
    # floats and dates keep their source text: exact, and reportable
    return text


def _value(node: yaml.Node, depth: int = 0) -> Any:
    if depth > 50:
        raise ReadError("nesting too deep", node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if node.tag not in _COLLECTIONS:
        raise _tagged(node)
    if isinstance(node, yaml.SequenceNode):
        return [_value(item, depth + 1) for item in node.value]
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ReadError("mapping keys must be plain text", key_node.start_mark.line + 1)
        # one string object per field name across all files: the parsed agency holds a
        # million keys, and the read workers pickle each name once per chunk, not per use
        key = sys.intern(key_node.value)
        if key in result:
            raise ReadError(f"key {key!r} appears twice", key_node.start_mark.line + 1)
        result[key] = _value(value_node, depth + 1)
    return result


def parse_yaml(text: str, line_offset: int = 0) -> Document:
    """Parse one YAML document; syntax errors become a ReadError with a line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        raise ReadError(f"not valid YAML: {_problem(exc, line_offset)}", line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; no mark
        # libyaml counts the position in UTF-8 bytes
        before = text.encode("utf-8", "surrogatepass")[: exc.position]
        raise ReadError(
            f"not valid YAML: a control character (U+{exc.character:04X}) cannot be written "
            "in a YAML file; remove it",
            before.count(b"\n") + 1 + line_offset,
        ) from None
    except yaml.YAMLError as exc:
        raise ReadError(f"not valid YAML: {' '.join(str(exc).split())}", None) from None
    if node is None:
        return Document({}, None, line_offset)
    if "*" in text and _expanded_size(node, {}) > MAX_VALUES:  # only an alias needs a '*'
        raise ReadError(
            f"aliases (*name) expand to more than {MAX_VALUES:,} values or contain "
            "themselves: write the values out",
            node.start_mark.line + 1 + line_offset,
        )
    try:
        data = _value(node)
    except ReadError as exc:  # its line counts from the YAML's start, not the file's
        raise ReadError(exc.message, exc.line and exc.line + line_offset) from None
    return Document(data, node, line_offset)


def _problem(exc: yaml.MarkedYAMLError, line_offset: int) -> str:
    # libyaml's words for its composer's two complaints name neither the anchor nor the place
    if exc.problem == "second occurrence" and exc.context_mark is not None:
        first = exc.context_mark.line + 1 + line_offset
        return f"an anchor (&name) is defined twice, first on line {first}"
    if exc.problem == "found undefined alias":
        return "an alias (*name) names no anchor (&name) written before it"
    return str(exc.problem or exc.context)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int = 0) -> int:
    """How many values ``node`` stands for once aliases are repeated, without repeating them.

    Each distinct node is counted once (``sizes`` by id), so this takes the time of the
    file, not of its expansion; a node that contains itself counts as too many.
    """
    if isinstance(node, yaml.ScalarNode):
        return 1
    if (known := sizes.get(id(node))) is not None:
        return known
    if depth > 50:
        return MAX_VALUES + 1  # _value would refuse it as too deep anyway
    sizes[id(node)] = MAX_VALUES + 1  # until counted: a cycle back to it is too many
    children = node.value if isinstance(node, yaml.SequenceNode) else [v for _, v in node.value]
    total = 1
    for child in children:
        total += _expanded_size(child, sizes, depth + 1)
        if total > MAX_VALUES:
            break
    sizes[id(node)] = total
    return total


def _tagged(node: yaml.Node) -> ReadError:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return ReadError(
        f"YAML tags such as {tag} are not read: write the plain value", node.start_mark.line + 1
    )


def read_text(path: Path) -> str:
    return decode(path.read_bytes())


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", None) from None


@dataclass
class MarkdownDocument:
    meta: Document
    body: str


def read_markdown(path: Path) -> MarkdownDocument:
    return parse_markdown(read_text(path))


def parse_markdown(text: str) -> MarkdownDocument:
    """A note: optional YAML front matter between ``---`` lines, then Markdown."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return MarkdownDocument(Document({}, None), text)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            meta = parse_yaml("".join(lines[1:end]), line_offset=1)
            return MarkdownDocument(meta, "".join(lines[end + 1 :]))
    raise ReadError("front matter opened with '---' is never closed", 1)
