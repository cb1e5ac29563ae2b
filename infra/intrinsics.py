"""CloudFormation's intrinsic functions, for the few places the deploy evaluates them itself.

Only with ``--endpoint-url``: resources an emulator's CloudFormation cannot create are made
through their own APIs (``local.emulated``), so their properties must be evaluated here, and
references to them in the rest of the template replaced by the values they got.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# "${Name}" or "${Name.Attribute}" inside Fn::Sub; "${!Literal}" is an escaped "${Literal}"
_SUB = re.compile(r"\$\{(!?)([A-Za-z0-9:_.]+)\}")

# logical id -> attribute ("Ref" for Ref) -> value
Values = Mapping[str, Mapping[str, Any]]


class Unresolved(LookupError):
    """A value depends on a resource whose values are not known yet."""

    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


def _get_att(spec: Any) -> tuple[str, str]:
    if isinstance(spec, str):
        spec = spec.split(".", 1)
    return str(spec[0]), str(spec[1])


def resolve(value: Any, values: Values) -> Any:
    """``value`` with every intrinsic function evaluated; raises Unresolved naming what's missing.

    ``values`` holds parameters and pseudo parameters (under "Ref") and resources.
    """

    def lookup(name: str, attribute: str) -> Any:
        if name not in values or attribute not in values[name]:
            raise Unresolved(name)
        return values[name][attribute]

    return _walk(value, lambda name, attribute: lookup(name, attribute))


def substitute(value: Any, values: Values) -> Any:
    """``value`` with references to the resources in ``values`` replaced by their values.

    Every other intrinsic function is left for CloudFormation to evaluate.
    """

    def known(name: str, attribute: str) -> Any:
        if name in values:
            if attribute not in values[name]:
                raise KeyError(f"{name} has no attribute {attribute} here")
            return values[name][attribute]
        return None

    return _rewrite(value, known)


def references(value: Any) -> set[str]:
    """The logical ids (and parameters) ``value`` refers to."""
    found: set[str] = set()

    def note(name: str, attribute: str) -> Any:
        found.add(name)
        return ""

    _walk(value, note, lenient=True)
    return found


def _walk(value: Any, lookup: Callable[[str, str], Any], *, lenient: bool = False) -> Any:
    if isinstance(value, list):
        return [_walk(v, lookup, lenient=lenient) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return lookup(arg, "Ref")
        if key == "Fn::GetAtt":
            return lookup(*_get_att(arg))
        if key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            local = {k: _walk(v, lookup, lenient=lenient) for k, v in local.items()}

            def one(match: re.Match[str]) -> str:
                if match.group(1):
                    return "${" + match.group(2) + "}"
                name = match.group(2)
                if name in local:
                    return str(local[name])
                name, _, attribute = name.partition(".")
                return str(lookup(name, attribute or "Ref"))

            return _SUB.sub(one, text)
        if key == "Fn::Join":
            separator, parts = arg
            return separator.join(str(p) for p in _walk(parts, lookup, lenient=lenient))
        if key.startswith("Fn::") and not lenient:
            raise NotImplementedError(f"{key} is not evaluated by the deploy")
    return {k: _walk(v, lookup, lenient=lenient) for k, v in value.items()}


def _rewrite(value: Any, known: Callable[[str, str], Any]) -> Any:
    if isinstance(value, list):
        return [_rewrite(v, known) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and (found := known(arg, "Ref")) is not None:
            return found
        if key == "Fn::GetAtt" and (found := known(*_get_att(arg))) is not None:
            return found
        if key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

            def one(match: re.Match[str]) -> str:
                name = match.group(2)
                if match.group(1) or name in local:
                    return match.group(0)
                logical, _, attribute = name.partition(".")
                found = known(logical, attribute or "Ref")
                return match.group(0) if found is None else str(found)

            text = _SUB.sub(one, text)
            return {key: text if not local else [text, _rewrite(local, known)]}
    return {k: _rewrite(v, known) for k, v in value.items()}
