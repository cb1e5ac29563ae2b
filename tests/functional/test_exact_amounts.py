"""Amounts finer than their currency and empty late-fee overrides: named with file and line.

One `portal check` of the sample with a few broken files added: every problem is listed (not
only the first), each as `file:line: field: what is wrong`, and nothing is rounded away.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal.cli import app
from tests.conftest import SAMPLE, SAMPLE_TODAY

CLIENT = (
    "name: Exact Ltd\nlocale: en\ncurrency: USD\n"
    "contacts:\n  - {name: Ana, email: ana@exact.example, role: billing}\n"
)
HEAD = "client: exact\nissued: 2026-11-01\n"
INVOICES = {
    # a line whose amount is not a whole number of cents (3 x 33.335 = 100.005)
    "INV-2026-0901": HEAD + "items:\n"
    '  - {description: Design, quantity: 1, unit_price: "10.00"}\n'
    '  - {description: Hours, quantity: 3, unit_price: "33.335"}\n',
    # a deposit of a tenth of a cent
    "INV-2026-0902": HEAD + 'items:\n  - {description: Build, unit_price: "1000.00"}\n'
    'deposit: {amount: "100.005"}\n',
    # an instalment of 450.005
    "INV-2026-0903": HEAD + 'items:\n  - {description: Build, unit_price: "1000.00"}\n'
    "instalments:\n"
    '  - {due: 2026-12-01, amount: "549.995"}\n'
    '  - {due: 2027-01-01, amount: "450.005"}\n',
    # fine: a unit price with more places than cents, on a line that comes out whole
    "INV-2026-0904": HEAD
    + 'items:\n  - {description: API calls, quantity: 8, unit_price: "0.125"}\n',
}


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    content = tmp_path_factory.mktemp("exact") / "content"
    shutil.copytree(SAMPLE, content)
    (content / "clients" / "exact.yaml").write_text(CLIENT, encoding="utf-8")
    for number, text in INVOICES.items():
        (content / "invoices" / f"{number}.yaml").write_text(text, encoding="utf-8")
    (content / "payments" / "pay-exact.yaml").write_text(
        'invoice: INV-2026-0904\namount: "450.005"\ndate: 2026-11-02\n', encoding="utf-8"
    )
    # an empty override that would silently switch the studio's fees off
    client = content / "clients" / "harbor-light.yaml"
    client.write_text(client.read_text(encoding="utf-8") + "terms:\n  late_fee:\n", "utf-8")
    return check(content)


def check(content: Path) -> list[str]:
    result = CliRunner().invoke(
        app, ["check", "--content", str(content), "--today", SAMPLE_TODAY.isoformat()]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output.splitlines()


def problem(output: list[str], where: str) -> str:
    found = [line for line in output if line.startswith(where)]
    assert len(found) == 1, f"{where!r} in:\n" + "\n".join(output)
    return found[0]


def test_a_line_that_is_not_whole_names_its_line_and_both_figures(output: list[str]) -> None:
    line = problem(output, "invoices/INV-2026-0901.yaml:5: items[1].unit_price: ")
    assert "3 x 33.335 comes to 100.005 USD" in line and "more than 2 decimal places" in line


def test_a_deposit_or_instalment_finer_than_a_cent_is_named(output: list[str]) -> None:
    assert "100.005 has more than 2 decimal places for USD" in problem(
        output, "invoices/INV-2026-0902.yaml:5: deposit.amount: "
    )
    assert "549.995 has more than 2 decimal places" in problem(
        output, "invoices/INV-2026-0903.yaml:6: instalments[0].amount: "
    )


def test_a_payment_finer_than_a_cent_is_named(output: list[str]) -> None:
    assert "450.005" in problem(output, "payments/pay-exact.yaml:2: amount: ")


def test_a_fine_unit_price_on_a_whole_line_is_no_problem(output: list[str]) -> None:
    assert not [line for line in output if "INV-2026-0904.yaml" in line]


def test_an_empty_late_fee_says_to_write_none(output: list[str]) -> None:
    line = problem(output, "clients/harbor-light.yaml:")
    assert " terms.late_fee: empty: write `none` to turn late fees off" in line


def test_a_per_currency_fee_figure_is_checked_against_its_own_currency(content: Path) -> None:
    agency = content / "agency.yaml"
    text = agency.read_text(encoding="utf-8")
    old = '    cap: {percent: "10"}\n'
    assert old in text
    agency.write_text(text.replace(old, old + '    flat: {USD: "25.00", JPY: "25.5"}\n'), "utf-8")
    line = problem(check(content), "agency.yaml:")
    assert (
        " terms.late_fee.flat: " in line and "25.5 has more than 0 decimal places for JPY" in line
    )
    number = int(line.split(":")[1])
    assert agency.read_text(encoding="utf-8").splitlines()[number - 1].startswith("    flat:")


def test_a_bare_fee_figure_is_checked_against_each_invoices_currency(content: Path) -> None:
    # 25.50 is a fee in dollars, złoty or euros; the studio's yen invoices cannot charge it
    agency = content / "agency.yaml"
    text = agency.read_text(encoding="utf-8")
    old = '    cap: {percent: "10"}\n'
    agency.write_text(text.replace(old, old + '    flat: "25.50"\n'), "utf-8")
    found = [line for line in check(content) if " terms.late_fee.flat: " in line]
    assert found and all(line.startswith("invoices/") for line in found)
    assert all("give JPY a figure of its own" in line for line in found)
