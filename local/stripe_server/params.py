"""Parse Stripe's form encoding (``a[b][0][c]=v``) into nested dicts and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from .errors import StripeError, invalid, unknown

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

# Keys whose children are free-form maps, never lists, even when the keys look like indexes.
_MAP_KEYS = frozenset({"metadata"})


def parse_form(raw: bytes | str) -> dict[str, Any]:
    """Decode an ``application/x-www-form-urlencoded`` body or query string."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return parse_params(parse_qsl(text, keep_blank_values=True))


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build nested containers from bracketed keys; ``[]`` appends, ``[0]`` indexes."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        parts = [match.group(1), *_PART.findall(match.group(2))] if match else [raw_key]
        node = root
        for position, part in enumerate(parts):
            if part == "":
                part = str(sum(1 for key in node if key.isdigit()))
            if position == len(parts) - 1:
                node[part] = value
                break
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
    return _listify(root, None)


def _listify(node: Any, key: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    if key in _MAP_KEYS:
        return {k: _listify(v, None) for k, v in node.items()}
    converted = {k: _listify(v, k) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def check_known(params: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    """Reject keys Stripe would not accept, naming them as Stripe does (``a[b]``)."""
    allowed_set = set(allowed)
    for key in params:
        if key not in allowed_set:
            raise unknown(f"{prefix}[{key}]" if prefix else key)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(param, f"Invalid object: {param} must be a hash.", "parameter_invalid")
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        # ``a[x]=..`` where a list was expected.
        raise invalid(param, f"Invalid array: {param} must be an array.")
    if isinstance(value, str):
        return [value]
    return list(value)


def as_str(value: Any, param: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(param, f"Invalid string: {param} must be a string.")
    return value


def as_int(value: Any, param: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise StripeError(f"Invalid integer: {value!s}", code="parameter_invalid_integer", param=param)


def as_bool(value: Any, param: str) -> bool | None:
    if value is None or value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    raise invalid(param, f"Invalid boolean: {value!s}")


def clean_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Validate metadata as Stripe does: ≤ 50 keys, key ≤ 40 chars, value ≤ 500 chars."""
    data = as_dict(value, param)
    result: dict[str, str] = {}
    for key, item in data.items():
        if not isinstance(item, str):
            raise invalid(f"{param}[{key}]", f"Invalid value for {param}[{key}]: must be a string.")
        if len(key) > 40:
            raise invalid(
                f"{param}[{key}]",
                f"Metadata keys can have up to 40 characters; '{key}' has {len(key)}.",
            )
        if len(item) > 500:
            raise invalid(
                f"{param}[{key}]",
                f"Metadata values can have up to 500 characters, but you passed in a value "
                f"that is {len(item)} characters.",
            )
        if item != "":
            result[key] = item
    if len(result) > 50:
        raise invalid(param, "You can have up to 50 metadata keys.")
    return result
