"""A bad `autopay:` block is a content error that names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder import content as cnt
from site_builder.billing.autopay import autopay_policy
from site_builder.build import build
from site_builder.errors import ContentError, ContentInvalid
from site_builder.model import Agency, Client
from site_builder.readers import parse_yaml, read_text
from tests.conftest import SAMPLE_TODAY, SECRET

SAMPLE_LINE = "autopay: {mode: allowed}\n"


def problems(content: Path, tmp_path: Path) -> list[ContentError]:
    """What `portal check` says (a whole check of the sample: a few seconds)."""
    with pytest.raises(ContentInvalid) as raised:
        build(content, tmp_path / "out", SAMPLE_TODAY, secret=SECRET, check_only=True)
    return raised.value.errors


def settings_problems(content: Path) -> list[ContentError]:
    """What the check's reader says of the agency's and the clients' files alone (fast)."""
    sources, errors = cnt.scan(content)
    validator = cnt.Validator(content)
    for source in sources:
        if source.kind == "agency":
            validator.agency(cnt.read(content, source))
        elif source.kind == "client":
            validator.client(cnt.read(content, source))
    return errors + validator.errors


def with_agency_autopay(content: Path, block: str) -> int:
    """The sample's agency.yaml with ``block`` in place of its autopay line; the line it is on."""
    path = content / "agency.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(SAMPLE_LINE) == 1
    path.write_text(text.replace(SAMPLE_LINE, block), encoding="utf-8")
    return text[: text.index(SAMPLE_LINE)].count("\n") + 1


@pytest.mark.parametrize(
    ("block", "offset", "field", "words"),
    [
        ("autopay: {mode: sometimes}\n", 0, "autopay.mode", "'off', 'allowed' or 'required'"),
        ("autopay:\n  mode: allowed\n  notice_days: -1\n", 2, "autopay.notice_days", "0"),
        ("autopay:\n  mode: allowed\n  retry_days: [7, 3]\n", 2, "autopay.retry_days", "order"),
        ("autopay:\n  mode: allowed\n  retry_days: [3, 3]\n", 2, "autopay.retry_days", "twice"),
        ("autopay:\n  retry_days: [0, 3]\n", 1, "autopay.retry_days[0]", "1"),
        ("autopay:\n  when: monthly\n", 1, "autopay.when", "'due' or 'issue'"),
        ("autopay:\n  mode: allowed\n  colour: blue\n", 2, "autopay.colour", "unknown field"),
    ],
)
def test_a_bad_agency_setting_names_its_file_line_and_field(
    content: Path, block: str, offset: int, field: str, words: str
) -> None:
    line = with_agency_autopay(content, block)
    found = settings_problems(content)
    assert [(e.line, e.field) for e in found] == [(line + offset, field)], found
    assert words in found[0].message
    assert str(found[0]).startswith(f"agency.yaml:{line + offset}: {field}: ")


def test_a_bad_client_setting_names_the_clients_file(content: Path, tmp_path: Path) -> None:
    path = content / "clients" / "open-trails.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "autopay: {mode: required}\n", "autopay:\n  mode: required\n  retry_days: [5, 2]\n"
    )
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  retry_days: [5, 2]") + 1
    (found,) = problems(content, tmp_path)
    assert (found.path, found.line, found.field) == (
        "clients/open-trails.yaml",
        line,
        "autopay.retry_days",
    )
    assert "increasing order" in found.message and "[5, 2]" in found.message


def test_the_sample_settings_are_valid_and_the_late_payer_is_asked(content: Path) -> None:
    assert settings_problems(content) == []
    agency = Agency.model_validate(parse_yaml(read_text(content / "agency.yaml")).data)
    data = parse_yaml(read_text(content / "clients" / "open-trails.yaml")).data
    trails = Client.model_validate({**data, "id": "open-trails"})
    data = parse_yaml(read_text(content / "clients" / "harbor-light.yaml")).data
    harbor = Client.model_validate({**data, "id": "harbor-light"})
    assert autopay_policy(agency, trails).mode == "required"
    assert autopay_policy(agency, harbor).mode == "allowed"
    assert autopay_policy(agency, harbor).retry_days == (3, 7)
