"""Starting from nothing: portal schema, portal init, portal new invoice."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from portal import scaffold
from portal.cli import app
from portal.scaffold import next_number
from site_builder.content import scan
from site_builder.readers import parse_yaml, read_markdown, read_text
from site_builder.schema import schemas
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

DAY = SAMPLE_TODAY.isoformat()
KIND_OF_FOLDER = {"clients": "client", "invoices": "invoice", "payments": "payment"}


def run(*argv: str) -> Any:
    return CliRunner().invoke(app, list(argv), env={"PORTAL_SECRET": SECRET})


def validators() -> dict[str, Draft202012Validator]:
    found = {}
    for name, text in schemas().items():
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
        found[name.removesuffix(".schema.json")] = Draft202012Validator(schema)
    return found


def content_files(root: Path) -> list[tuple[str, Path, Any]]:
    """(kind, path, data as the project's reader sees it) of every content file under root."""
    found: list[tuple[str, Path, Any]] = [
        ("agency", root / "agency.yaml", parse_yaml(read_text(root / "agency.yaml")).data)
    ]
    for folder, kind in KIND_OF_FOLDER.items():
        for path in sorted((root / folder).rglob("*.yaml")):
            found.append((kind, path, parse_yaml(read_text(path)).data))
    for path in sorted((root / "notes").rglob("*.md")):
        found.append(("note", path, read_markdown(path).meta.data))
    return found


def problems(kind: str, data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validators()[kind].iter_errors(data)]


# --- the schema ----------------------------------------------------------------


def test_the_committed_schema_files_are_what_portal_schema_writes_now() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in (SAMPLE / "schema").glob("*")}
    assert committed == schemas(), "run: portal schema (content/schema/ is stale)"


def test_schema_bytes_are_stable_and_each_file_names_itself() -> None:
    assert schemas() == schemas()
    for name, text in schemas().items():
        schema = json.loads(text)
        assert schema["$id"] == name and schema["title"].startswith("clientportal: ")
        assert text == json.dumps(schema, indent=2, sort_keys=True) + "\n"
    assert set(schemas()) == {
        f"{kind}.schema.json" for kind in ("agency", "client", "invoice", "payment", "note")
    }


def test_every_sample_file_passes_its_schema() -> None:
    files = content_files(SAMPLE)
    assert {kind for kind, _, _ in files} == {"agency", "client", "invoice", "payment", "note"}
    failures = {str(path): problems(kind, data) for kind, path, data in files}
    assert {path: found for path, found in failures.items() if found} == {}


def test_the_schema_accepts_what_the_reader_accepts() -> None:
    invoice = parse_yaml(
        "client: acme\n"
        "issued: 2026-03-01\n"  # no number (the file name), no currency (the client's)
        "items:\n"
        '  - {description: Text amount, unit_price: "1500.00"}\n'
        "  - {description: Integer amount, unit_price: 4500, quantity: 3}\n"
        "  - {description: Unquoted decimal, unit_price: 95.10, quantity: 1.5}\n"
        '  - {description: Underscores, unit_price: "1_000.00"}\n'
    ).data
    assert problems("invoice", invoice) == []
    agency = parse_yaml(read_text(SAMPLE / "agency.yaml")).data
    agency["reminders"]["overdue"] = [1, {"days": 7, "tone": "firm", "cc_leadership": True}]
    assert problems("agency", agency) == []
    client = {"name": "Acme", "contacts": [{"name": "A", "email": "a@acme.example"}]}
    assert problems("client", client) == []  # the id is the file name
    payment = {"invoice": "INV-1", "amount": "10.00", "date": "2026-03-02"}
    assert problems("payment", payment) == []


def test_the_schema_rejects_wrong_types_and_unknown_fields() -> None:
    base = parse_yaml(read_text(next((SAMPLE / "invoices").glob("INV-*.yaml")))).data
    assert problems("invoice", {**base, "items": 5}) == ["['items']: 5 is not of type 'array'"]
    priced = {**base, "items": [{"description": "x", "unit_price": "12,50"}]}
    assert problems("invoice", priced)
    assert problems("invoice", {**base, "colour": "blue"})
    assert problems("invoice", {key: v for key, v in base.items() if key != "items"})
    agency = parse_yaml(read_text(SAMPLE / "agency.yaml")).data
    assert problems("agency", {**agency, "reminders": {"overdue": [0]}})  # days start at 1


def test_a_schema_folder_in_the_content_is_not_content(content: Path) -> None:
    (content / "schema" / "README.md").write_text("Editors' schema files.\n", encoding="utf-8")
    sources, errors = scan(content)
    assert errors == [] and not [s for s in sources if s.rel.startswith("schema/")]
    rewritten = run("schema", "--content", str(content))
    assert rewritten.exit_code == 0, rewritten.output
    assert "0 written, 5 up to date" in rewritten.output
    checked = run("check", "--content", str(content), "--today", DAY)
    assert checked.exit_code == 0, checked.output


def test_portal_schema_writes_where_asked(tmp_path: Path) -> None:
    result = run("schema", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "s").iterdir()}
    assert written == schemas()
    missing = run("schema", "--content", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and not (tmp_path / "nowhere").exists()


# --- portal init ------------------------------------------------------------------


def test_init_then_check_then_build(tmp_path: Path) -> None:
    folder = tmp_path / "agency"
    started = run("init", str(folder), "--today", DAY)
    assert started.exit_code == 0, started.output
    assert f"portal check --content {folder}" in started.output
    assert f"portal build --content {folder}" in started.output
    assert (folder / "invoices" / "INV-2026-0001.yaml").is_file()

    for kind, path, data in content_files(folder):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == (folder / "schema" / f"{kind}.schema.json").resolve()
        assert target.is_file()
        assert problems(kind, data) == [], path
    assert {p.name: p.read_text() for p in (folder / "schema").iterdir()} == schemas()

    checked = run("check", "--content", str(folder), "--today", DAY)
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "out"
    store = str(tmp_path / "store.sqlite3")
    built = run(
        "build", "--content", str(folder), "--out", str(out), "--today", DAY, "--store", store
    )
    assert built.exit_code == 0, built.output
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    assert ledger["INV-2026-0001"]["total"] == 1500_00 + 3 * 29_99
    assert ledger["INV-2026-0001"]["due"] == "2026-12-14"  # issued today, Net 21
    assert len(list((out / "public" / "c").glob("*/index.html"))) == 1


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run("init", str(folder))
    assert result.exit_code == 2
    assert "not empty" in result.output and str(folder) in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("init", str(empty), "--today", DAY).exit_code == 0


# --- numbering --------------------------------------------------------------------

Y2026 = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("existing", "today", "expected"),
    [
        ([], Y2026, "INV-2026-0001"),
        (["INV-2026-0041", "INV-2026-0042"], Y2026, "INV-2026-0043"),
        (["INV-2026-0001", "INV-2026-0002", "INV-2026-0005"], Y2026, "INV-2026-0006"),  # gap
        (["INV-2025-0099", "INV-2025-0100"], Y2026, "INV-2026-0001"),  # a new year
        (["INV-2025-0100", "INV-2025-0101", "INV-2026-0003"], Y2026, "INV-2026-0004"),
        (["INV-2025-1234"], Y2026, "INV-2026-0001"),  # the width survives the new year
        (["INV-2026-9999"], Y2026, "INV-2026-10000"),  # grows rather than wraps
        (["2026-017", "2026-018"], Y2026, "2026-019"),
        (["ACME2026-07"], Y2026, "ACME2026-08"),
        (["1041", "1042"], Y2026, "1043"),  # no year: one sequence for ever
        (["A-7", "A-12"], Y2026, "A-13"),
        (["RET-2026-YANTAR", "INV-2026-0007"], Y2026, "INV-2026-0008"),  # not a series
        (["RET-2026-YANTAR"], Y2026, "INV-2026-0001"),
        (["Q-1", "INV-2026-0001", "INV-2026-0002"], Y2026, "INV-2026-0003"),  # most follow it
        (["OLD-2024-0001", "NEW-2026-0001"], Y2026, "NEW-2026-0002"),  # a tie: the latest
    ],
)
def test_next_number(existing: list[str], today: date, expected: str) -> None:
    assert next_number(existing, today) == expected
    assert next_number(reversed(existing), today) == expected


def test_next_number_of_the_sample() -> None:
    sources, _ = scan(SAMPLE)
    numbers = [s.key for s in sources if s.kind == "invoice"]
    assert next_number(numbers, SAMPLE_TODAY) == "INV-2026-0139"
    assert next_number(numbers, date(2027, 1, 4)) == "INV-2027-0001"


# --- portal new invoice ------------------------------------------------------------


def test_new_invoice_is_the_next_number_and_builds(content: Path, tmp_path: Path) -> None:
    result = run(
        "new", "invoice", "--client", "harbor-light", "--content", str(content), "--today", DAY
    )
    assert result.exit_code == 0, result.output
    path = content / "invoices" / "INV-2026-0139.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/invoice.schema.json\n")
    data = parse_yaml(text).data
    assert data["client"] == "harbor-light" and data["issued"] == DAY
    assert data["status"] == "draft" and len(data["items"]) == 1
    assert problems("invoice", data) == []
    checked = run("check", "--content", str(content), "--today", DAY)
    assert checked.exit_code == 0, checked.output

    # filled in and issued, it is on the client's portal
    text = text.replace("status: draft", "").replace('"0.00"', '"250.00"')
    path.write_text(text, encoding="utf-8")
    out, store = tmp_path / "out", str(tmp_path / "store.sqlite3")
    built = run(
        "build", "--content", str(content), "--out", str(out), "--today", DAY, "--store", store
    )
    assert built.exit_code == 0, built.output
    entry = json.loads((out / "build" / "ledger.json").read_text())["invoices"]["INV-2026-0139"]
    assert entry["client"] == "harbor-light" and entry["total"] == 250_00

    again = run(
        "new", "invoice", "--client", "harbor-light", "--content", str(content), "--today", DAY
    )
    assert again.exit_code == 0 and (content / "invoices" / "INV-2026-0140.yaml").is_file()


def test_new_invoice_follows_the_terms_and_the_agency_timezone(tmp_path: Path) -> None:
    folder = tmp_path / "agency"
    assert run("init", str(folder), "--today", "2026-12-30").exit_code == 0
    made = scaffold.new_invoice(folder, "first-client", date(2027, 1, 2))
    assert made.number == "INV-2027-0001" and not made.schema_missing
    assert "due 2027-01-23 (Net 21)" in made.path.read_text(encoding="utf-8")

    client = folder / "clients" / "first-client.yaml"
    client.write_text(client.read_text() + "terms: {net_days: 45}\n", encoding="utf-8")
    made = scaffold.new_invoice(folder, "first-client", date(2027, 1, 2))
    assert made.number == "INV-2027-0002"
    assert "due 2027-02-16 (Net 45)" in made.path.read_text(encoding="utf-8")

    agency = folder / "agency.yaml"
    issued = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        agency.write_text(
            re.sub(r"(?m)^timezone: UTC", f"timezone: {zone}", agency.read_text()), "utf-8"
        )
        before = datetime.now(ZoneInfo(zone)).date()
        issued[zone] = scaffold.new_invoice(folder, "first-client").issued
        assert issued[zone] in (before, datetime.now(ZoneInfo(zone)).date())
        agency.write_text(agency.read_text().replace(zone, "UTC"), "utf-8")
    assert issued["Pacific/Kiritimati"] > issued["Pacific/Pago_Pago"]


def test_new_invoice_for_an_unknown_client(content: Path) -> None:
    before = sorted(p.name for p in (content / "invoices").iterdir())
    result = run("new", "invoice", "--client", "harbr", "--content", str(content), "--today", DAY)
    assert result.exit_code == 2
    assert "unknown client 'harbr'" in result.output
    assert "harbor-light" in result.output  # the closest known ids first
    assert sorted(p.name for p in (content / "invoices").iterdir()) == before


def test_new_invoice_never_overwrites(content: Path) -> None:
    blocker = content / "invoices" / "INV-2026-0139.yaml"
    blocker.mkdir()  # not an invoice file (scan walks into it), but the name is taken
    result = run(
        "new", "invoice", "--client", "harbor-light", "--content", str(content), "--today", DAY
    )
    assert result.exit_code == 2
    assert "already exists" in result.output and blocker.is_dir()
