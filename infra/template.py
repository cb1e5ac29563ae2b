"""The CloudFormation template as data: YAML short forms (``!Ref``, ``!Sub``...) read into the
long JSON forms, so the deploy can compare, rewrite and submit it as canonical JSON."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent / "template.yaml"

# The SSM parameters holding the secrets; the template grants and names exactly these.
SECRET_PARAMETERS = {
    "PORTAL_SECRET": "portal-secret",
    "STRIPE_SECRET_KEY": "stripe-secret-key",
    "STRIPE_WEBHOOK_SECRET": "stripe-webhook-secret",
}


def parameter_name(stack: str, variable: str) -> str:
    """The SSM parameter for a secret variable, as the template names it."""
    return f"/clientportal/{stack}/{SECRET_PARAMETERS[variable]}"


class _Loader(yaml.SafeLoader):
    pass


def _short_form(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _short_form)


def parse(text: str) -> dict[str, Any]:
    """A template's text (YAML with short forms, or JSON) as plain data."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: plain data only


@cache
def _template_text() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def load() -> dict[str, Any]:
    """The template, a fresh copy each call (callers rewrite it)."""
    return parse(_template_text())


def dumps(template: dict[str, Any]) -> str:
    """Canonical JSON: the same template always gives the same text (change detection)."""
    return json.dumps(template, sort_keys=True, separators=(",", ":"))
