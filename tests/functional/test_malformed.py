"""A corpus of broken content: each case yields its named error, exit 2, and no output change."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from portal.cli import app
from tests.conftest import SAMPLE_TODAY

Mutation = Callable[[Path], Path]  # edits the content folder, returns the file it broke


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _plain_invoice(content: Path) -> Path:
    for path in sorted((content / "invoices").rglob("*.yaml")):
        data = _load(path)
        if not ({"instalments", "deposit", "retainer"} & data.keys()) and data.get("status") in (
            None,
            "issued",
        ):
            return path
    raise AssertionError("the sample has no plain invoice")


def _payment(content: Path, currency: str | None = None) -> Path:
    for path in sorted((content / "payments").glob("*.yaml")):
        data = _load(path)
        invoice = (
            _load(next((content / "invoices").rglob(f"{data['invoice']}.yaml"), path))
            if currency
            else {}
        )
        if currency is None or _invoice_currency(content, invoice) == currency:
            return path
    raise AssertionError(f"the sample has no payment in {currency}")


def _invoice_currency(content: Path, invoice: dict) -> str | None:
    if "currency" in invoice:
        return invoice["currency"]
    client = content / "clients" / f"{invoice.get('client')}.yaml"
    return _load(client).get("currency") if client.exists() else None


def _client(content: Path) -> Path:
    return sorted((content / "clients").glob("*.yaml"))[0]


def _note(content: Path) -> Path:
    return sorted((content / "notes").rglob("*.md"))[0]


def edit(pick: Callable[[Path], Path], change: Callable[[dict], None]) -> Mutation:
    def mutate(content: Path) -> Path:
        path = pick(content)
        data = _load(path)
        change(data)
        _dump(path, data)
        return path

    return mutate


def text(pick: Callable[[Path], Path], change: Callable[[str], str]) -> Mutation:
    def mutate(content: Path) -> Path:
        path = pick(content)
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return path

    return mutate


def new_file(rel: str, body: bytes | str) -> Mutation:
    def mutate(content: Path) -> Path:
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        return path

    return mutate


def _set(*path: str | int, value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict], None]:
    return lambda data: data.pop(key)


def _duplicate_invoice(content: Path) -> Path:
    source = _plain_invoice(content)
    target = content / "invoices" / "archive" / source.name
    target.parent.mkdir()
    target.write_bytes(source.read_bytes())
    return target


def _note_for_unknown_client(content: Path) -> Path:
    path = content / "notes" / "nobody" / "hello.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: Hi\ndate: 2026-01-01\n---\nHello\n", encoding="utf-8")
    return path


def _payment_for(content: Path, invoice: str, amount: str, currency: str | None = None) -> Path:
    path = content / "payments" / "broken-payment.yaml"
    body = f"invoice: {invoice}\namount: {amount}\ndate: 2026-11-01\nmethod: cheque\n"
    if currency:
        body += f"currency: {currency}\n"
    path.write_text(body, encoding="utf-8")
    return path


def _jpy_invoice(content: Path) -> str:
    for path in sorted((content / "invoices").rglob("*.yaml")):
        data = _load(path)
        if _invoice_currency(content, data) == "JPY" and "retainer" not in data:
            return path.stem
    raise AssertionError("the sample has no JPY invoice")


def _draft_invoice(content: Path) -> str:
    for path in sorted((content / "invoices").rglob("*.yaml")):
        if _load(path).get("status") == "draft":
            return path.stem
    raise AssertionError("the sample has no draft invoice")


def _other_currency_payment(content: Path) -> Path:
    invoice = _plain_invoice(content)
    currency = _invoice_currency(content, _load(invoice))
    return _payment_for(content, invoice.stem, "10.00", "EUR" if currency != "EUR" else "USD")


# (case id, mutation, field named in the error, words the message must contain)
CASES: list[tuple[str, Mutation, str, str]] = [
    (
        "unknown-client",
        edit(_plain_invoice, _set("client", value="nobody")),
        "client",
        "unknown client",
    ),
    (
        "date-that-does-not-exist",
        edit(_plain_invoice, _set("issued", value="2026-02-30")),
        "issued",
        "calendar date",
    ),
    ("month-13", edit(_plain_invoice, _set("due", value="2026-13-01")), "due", "calendar date"),
    (
        "negative-quantity",
        edit(_plain_invoice, _set("items", 0, "quantity", value="-3")),
        "items[0].quantity",
        "must not be negative",
    ),
    (
        "amount-not-a-number",
        edit(_plain_invoice, _set("items", 0, "unit_price", value="12.3.4")),
        "items[0].unit_price",
        "expected a number",
    ),
    (
        "amount-as-a-list",
        edit(_plain_invoice, _set("items", 0, "unit_price", value=[1, 2])),
        "items[0].unit_price",
        "expected a number",
    ),
    (
        "unknown-currency",
        edit(_plain_invoice, _set("currency", value="XYZ")),
        "currency",
        "unknown currency",
    ),
    (
        "lower-case-currency",
        edit(_plain_invoice, _set("currency", value="usd")),
        "currency",
        "unknown currency",
    ),
    ("no-items", edit(_plain_invoice, _set("items", value=[])), "items", "at least 1"),
    (
        "unknown-field",
        edit(_plain_invoice, _set("colour", value="blue")),
        "colour",
        "unknown field",
    ),
    ("missing-issue-date", edit(_plain_invoice, _drop("issued")), "issued", "required"),
    (
        "unknown-line-kind",
        edit(_plain_invoice, _set("items", 0, "kind", value="freebie")),
        "items[0].kind",
        "expected 'scope'",
    ),
    (
        "tax-over-100",
        edit(_plain_invoice, _set("tax", value={"label": "VAT", "percent": "123"})),
        "tax.percent",
        "between 0 and 100",
    ),
    (
        "due-before-issue",
        edit(_plain_invoice, _set("due", value="2020-01-01")),
        "due",
        "before the issue date",
    ),
    (
        "instalments-not-100",
        edit(
            _plain_invoice,
            _set(
                "instalments",
                value=[
                    {"due": "2026-12-01", "percent": "50"},
                    {"due": "2027-01-01", "percent": "40"},
                ],
            ),
        ),
        "instalments",
        "add up to 90",
    ),
    (
        "unknown-status",
        edit(_plain_invoice, _set("status", value="sent")),
        "status",
        "expected 'issued'",
    ),
    (
        "number-not-file-name",
        edit(_plain_invoice, _set("number", value="OTHER-1")),
        "number",
        "must match the file name",
    ),
    ("unknown-locale", edit(_client, _set("locale", value="xx_YY")), "locale", "unknown locale"),
    (
        "locale-without-translation",
        edit(_client, _set("locale", value="fr")),
        "locale",
        "no translation",
    ),
    (
        "bad-email",
        edit(_client, _set("contacts", 0, "email", value="not-an-email")),
        "contacts[0].email",
        "not an email address",
    ),
    (
        "no-billing-contact",
        edit(
            _client,
            _set("contacts", value=[{"name": "A", "email": "a@b.example", "role": "leadership"}]),
        ),
        "contacts",
        "role: billing",
    ),
    (
        "token-version-zero",
        edit(_client, _set("token_version", value=0)),
        "token_version",
        "greater than or equal to 1",
    ),
    (
        "unknown-time-zone",
        edit(lambda c: c / "agency.yaml", _set("timezone", value="Mars/Olympus")),
        "timezone",
        "unknown time zone",
    ),
    (
        "late-fee-steps-out-of-order",
        edit(
            lambda c: c / "agency.yaml",
            _set(
                "terms",
                "late_fee",
                "steps",
                value=[{"days_overdue": 21, "percent": "3"}, {"days_overdue": 1, "percent": "3"}],
            ),
        ),
        "terms.late_fee",
        "increasing order",
    ),
    (
        "script-url",
        edit(lambda c: c / "agency.yaml", _set("portal_url", value="javascript:alert(1)")),
        "portal_url",
        "expected",
    ),
    (
        "payment-unknown-invoice",
        edit(_payment, _set("invoice", value="INV-NOPE")),
        "invoice",
        "unknown invoice",
    ),
    ("payment-currency-mismatch", _other_currency_payment, "currency", "currency mismatch"),
    (
        "payment-yen-fraction",
        lambda c: _payment_for(c, _jpy_invoice(c), "10.5"),
        "amount",
        "decimal places for JPY",
    ),
    (
        "payment-float-fraction",
        lambda c: _payment_for(c, _plain_invoice(c).stem, "1500.105"),
        "amount",
        "decimal places",
    ),
    (
        "payment-for-a-draft",
        lambda c: _payment_for(c, _draft_invoice(c), "10.00"),
        "invoice",
        "is a draft",
    ),
    ("payment-bad-date", edit(_payment, _set("date", value="yesterday")), "date", "calendar date"),
    (
        "payment-unknown-method",
        edit(_payment, _set("method", value="bitcoin")),
        "method",
        "expected 'card'",
    ),
    (
        "note-bad-date",
        text(_note, lambda t: re.sub(r"date: .*", "date: 2026-04-31", t, count=1)),
        "date",
        "calendar date",
    ),
    (
        "note-without-title",
        text(_note, lambda t: re.sub(r"title: .*\n", "", t, count=1)),
        "title",
        "required",
    ),
    ("note-unknown-client", _note_for_unknown_client, "", "unknown client"),
    ("yaml-syntax", text(_plain_invoice, lambda t: t + "items: [unclosed\n"), "", "not valid YAML"),
    (
        "yaml-duplicate-key",
        text(_plain_invoice, lambda t: t + "client: again\n"),
        "",
        "appears twice",
    ),
    (
        "not-utf8",
        new_file("clients/latin1.yaml", "name: Caf\xe9\n".encode("latin-1")),
        "",
        "not UTF-8",
    ),
    ("duplicate-invoice-number", _duplicate_invoice, "", "duplicate invoice"),
    ("stray-file", new_file("invoices/readme.txt", "notes"), "", "not a content file"),
    (
        "deposit-over-total",
        edit(_plain_invoice, _set("deposit", value={"amount": "99999999"})),
        "deposit",
        "deposit",
    ),
    (
        "reminder-unknown-tone",
        edit(
            lambda c: c / "agency.yaml",
            _set("reminders", "overdue", value=[1, 7, {"days": 14, "tone": "harsh"}]),
        ),
        "reminders.overdue[2].tone",
        "expected 'friendly'",
    ),
    (
        "reminder-day-twice",
        edit(lambda c: c / "agency.yaml", _set("reminders", "before_due", value=[5, 5])),
        "reminders.before_due",
        "same day twice",
    ),
    (
        "client-reminder-not-a-day",
        edit(_client, _set("reminders", value={"overdue": ["soon"]})),
        "reminders.overdue[0]",
        "number of days",
    ),
]


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        app, ["build", "--out", str(out), "--today", SAMPLE_TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    return out


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("mutate", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_content_is_named_and_changes_nothing(
    content: Path, built: Path, mutate: Mutation, field: str, words: str
) -> None:
    before = tree_digest(built)
    broken = mutate(content)
    rel = broken.relative_to(content).as_posix()
    runner = CliRunner()

    result = runner.invoke(
        app,
        [
            "build",
            "--content",
            str(content),
            "--out",
            str(built),
            "--today",
            SAMPLE_TODAY.isoformat(),
        ],
    )

    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(rel)]
    assert lines, f"no error names {rel}:\n{result.output}"
    match = [line for line in lines if words in line and (not field or f" {field}:" in line)]
    assert match, f"expected {field!r} / {words!r} in:\n{result.output}"
    if field and "required" not in words:  # the line points at the field (or what holds it)
        line_no = int(match[0].split(":")[1])
        source = broken.read_text(encoding="utf-8").splitlines()
        key = field.split(".")[-1].split("[")[0]
        assert 1 <= line_no <= max(len(source), 1)
        assert (
            key in source[line_no - 1]
            or field.endswith("]")
            or line_no == 1
            or _near(source, line_no, key)
        )
    assert "Traceback" not in result.output
    assert tree_digest(built) == before

    check = runner.invoke(
        app, ["check", "--content", str(content), "--today", SAMPLE_TODAY.isoformat()]
    )
    assert check.exit_code == 2
    assert any(words in line for line in check.output.splitlines())


def _near(source: list[str], line_no: int, key: str) -> bool:
    # a value in a nested mapping or a list may be reported on its parent's line
    return any(key in line for line in source[max(0, line_no - 3) : line_no + 2])


def test_check_passes_on_the_sample() -> None:
    result = CliRunner().invoke(app, ["check", "--today", SAMPLE_TODAY.isoformat()])
    assert result.exit_code == 0, result.output


def test_check_names_an_amount_stripe_cannot_charge_exactly(content: Path) -> None:
    (content / "clients" / "kuwait.yaml").write_text(
        "name: Kuwait Ltd\nlocale: en\ncurrency: KWD\n"
        "contacts:\n  - {name: Ana, email: ana@kuwait.example, role: billing}\n",
        encoding="utf-8",
    )
    (content / "invoices" / "INV-2026-0901.yaml").write_text(
        "client: kuwait\nissued: 2026-11-01\ndue: 2026-12-20\n"
        'items:\n  - {description: Retainer, quantity: 1, unit_price: "10.499"}\n'
        "instalments:\n"
        '  - {due: 2026-12-01, amount: "10.000"}\n'
        '  - {due: 2026-12-20, amount: "0.499"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["check", "--content", str(content), "--today", SAMPLE_TODAY.isoformat()]
    )
    assert result.exit_code == 2, result.output
    (problem,) = [line for line in result.output.splitlines() if "INV-2026-0901" in line]
    assert problem.startswith("invoices/INV-2026-0901.yaml:8: instalments[1]:")
    assert "steps of 0.010" in problem and "paid offline" in problem


def test_check_names_a_currency_stripe_does_not_charge_in(content: Path) -> None:
    (content / "invoices" / "INV-2026-0902.yaml").write_text(
        "client: harbor-light\nissued: 2026-11-01\ncurrency: IRR\n"
        'items:\n  - {description: Retainer, quantity: 1, unit_price: "1500000"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["check", "--content", str(content), "--today", SAMPLE_TODAY.isoformat()]
    )
    assert result.exit_code == 2, result.output
    (problem,) = [line for line in result.output.splitlines() if "INV-2026-0902" in line]
    assert problem.startswith("invoices/INV-2026-0902.yaml:3: currency:")
    assert "Stripe does not charge in IRR" in problem and "paid offline" in problem
