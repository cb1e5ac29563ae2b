"""Regressions from "Nothing one bad input can stop": each found by hand or by the fuzzer.

A contact name with CR/LF, a short PORTAL_SECRET, and what tests/functional/test_fuzz_content.py
found: each is now a problem `portal check` lists (file, line, field), never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from portal.cli import app
from site_builder.build import build
from site_builder.errors import ContentError, ContentInvalid
from tests.conftest import SAMPLE_TODAY, SECRET

TODAY = SAMPLE_TODAY.isoformat()


def _problems(content: Path) -> list[ContentError]:
    with pytest.raises(ContentInvalid) as exc:
        build(content, content.parent / "out", SAMPLE_TODAY, secret=SECRET, check_only=True)
    return exc.value.errors


def _client_file(content: Path) -> Path:
    return content / "clients" / "harbor-light.yaml"


def test_a_contact_name_with_a_line_break_fails_check_with_file_line_and_field(
    content: Path,
) -> None:
    path = _client_file(content)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, 1) if "Megan O'Connor" in text)
    injected = '"Megan O\'Connor\\r\\nBcc: x@evil.example"'  # YAML escapes: a real CR LF
    lines[line - 1] = lines[line - 1].replace("Megan O'Connor", injected)
    path.write_text("".join(lines), encoding="utf-8")

    result = CliRunner().invoke(app, ["check", "--content", str(content), "--today", TODAY])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    expected = f"clients/harbor-light.yaml:{line}: contacts[0].name: contains a carriage return"
    assert expected in result.output
    assert "write it on one line" in result.output


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_short_portal_secret_is_one_clear_line(command: str, tmp_path: Path) -> None:
    args = [command, "--today", TODAY]
    if command == "build":
        args += ["--out", str(tmp_path / "out"), "--store", str(tmp_path / "store.sqlite3")]

    result = CliRunner().invoke(app, args, env={"PORTAL_SECRET": "too-short"})

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "PORTAL_SECRET must be at least 16 bytes" in result.output
    assert "secrets.token_urlsafe(32)" in result.output
    assert not (tmp_path / "out" / "public").exists()


def test_a_problem_quoting_a_line_break_stays_on_one_line(content: Path) -> None:
    invoice = content / "invoices" / "INV-2026-0101.yaml"
    text = invoice.read_text(encoding="utf-8")
    invoice.write_text(
        re.sub(r"^client: .*$", 'client: "\\nharbor-light"', text, flags=re.M), encoding="utf-8"
    )
    problems = _problems(content)
    assert any("unknown client" in str(p) for p in problems)
    assert all("\n" not in str(p) for p in problems)


def test_a_huge_value_is_quoted_short(content: Path) -> None:
    path = _client_file(content)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("token_version: 1\n", f"token_version: {'9' * 5000}\n"))
    (problem,) = [p for p in _problems(content) if p.field == "token_version"]
    assert "(5,000 characters)" in problem.message
    assert len(str(problem)) < 200


def test_a_payment_too_large_for_exact_arithmetic_is_a_problem(content: Path) -> None:
    payment = sorted((content / "payments").glob("*.yaml"))[0]
    text = payment.read_text(encoding="utf-8")
    payment.write_text(re.sub(r"^amount: .*$", "amount: " + "1" + "0" * 29, text, flags=re.M))
    (problem,) = [p for p in _problems(content) if p.field == "amount"]
    assert "less than 10**15" in problem.message


def test_an_issue_date_near_the_end_of_the_calendar_is_a_problem(content: Path) -> None:
    invoice = content / "invoices" / "INV-2026-0101.yaml"
    text = invoice.read_text(encoding="utf-8")
    invoice.write_text(re.sub(r"^issued: .*$", "issued: 9999-12-20", text, flags=re.M))
    (problem,) = [p for p in _problems(content) if p.field == "issued"]
    assert problem.path == "invoices/INV-2026-0101.yaml" and problem.line == 2
    assert "between 1970-01-01 and 2199-12-31" in problem.message


def test_an_alias_bomb_is_a_problem_of_its_file(content: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    bomb = content / "clients" / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = [p for p in _problems(content) if p.path == "clients/bomb.yaml"]
    assert problems and "aliases" in problems[0].message


def test_compounding_monthly_interest_over_years_is_named_not_a_crash(content: Path) -> None:
    """Decades of 10% a month: exact arithmetic (percent_of works in integers, not in
    Decimal's 28 digits) until the fees pass any invoice's size, then a clear error."""
    agency = content / "agency.yaml"
    text = agency.read_text(encoding="utf-8")
    agency.write_text(text.replace('    cap: {percent: "10"}\n', '    monthly_interest: "10"\n'))
    invoice = content / "invoices" / "INV-2026-0101.yaml"
    text = invoice.read_text(encoding="utf-8")
    invoice.write_text(re.sub(r"^issued: .*$", "issued: 1980-01-01", text, flags=re.M))
    with pytest.raises(ContentInvalid) as found:
        build(content, content.parent / "out", SAMPLE_TODAY, secret=SECRET, workers=1)
    (error,) = found.value.errors
    assert "invoices/INV-2026-0101.yaml" in str(error) and "terms.late_fee" in str(error)
    assert "give the late fee a cap" in str(error)


def test_an_empty_thank_you_by_language_is_named(content: Path) -> None:
    """Found by the content fuzzer: ``thank_you: {}`` once crashed the build."""
    agency = content / "agency.yaml"
    data = yaml.safe_load(agency.read_text(encoding="utf-8"))
    agency.write_text(yaml.safe_dump({**data, "thank_you": {}}, allow_unicode=True), "utf-8")
    with pytest.raises(ContentInvalid) as found:
        build(content, content.parent / "out", SAMPLE_TODAY, secret=SECRET, workers=1)
    assert any("agency.yaml" in str(e) and "thank_you" in str(e) for e in found.value.errors)
