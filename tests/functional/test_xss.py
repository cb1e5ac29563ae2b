"""Hostile text in every field and note yields no executable markup in any page.

The pages are parsed (not grepped): every element and attribute must be one the
templates or the note sanitiser allow, no attribute may hold a handler or a
script URL, and each payload must still show up as plain text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.build import build
from tests.conftest import ROOT, SAMPLE_TODAY, SECRET

PAYLOADS = (ROOT / "tests" / "data" / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
API = "https://api.agency.example"

ALLOWED_TAGS = {
    # the theme
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "footer", "div",
    "section", "article", "address", "h1", "h2", "h3", "p", "a", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "caption", "thead", "tbody", "tr", "th", "td", "form", "input", "button",
    "strong", "span", "br",
    # the note sanitiser
    "abbr", "b", "blockquote", "code", "em", "h4", "hr", "i", "pre",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "data"}
EMPTY_ICON = ("link", "data:,")  # the page's icon is empty: no request for /favicon.ico


def q(text: str) -> str:
    """A YAML double-quoted scalar holding ``text`` exactly."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_hostile_agency(root: Path) -> None:
    (root / "clients").mkdir(parents=True)
    (root / "invoices").mkdir()
    (root / "payments").mkdir()
    (root / "agency.yaml").write_text(
        f"""name: {q(PAYLOADS[0])}
tax_id: {q(PAYLOADS[1])}
email: billing@agency.example
phone: {q(PAYLOADS[2])}
address: [{q(PAYLOADS[3])}, {q(PAYLOADS[4])}]
portal_url: https://portal.agency.example
api_url: {API}
thank_you: {q("Thanks {contact} " + PAYLOADS[5])}
payment_terms: {q(PAYLOADS[6])}
terms:
  net_days: 21
  late_fee: {{steps: [{{days_overdue: 1, percent: "3"}}]}}
""",
        encoding="utf-8",
    )
    for i, payload in enumerate(PAYLOADS):
        p = q(payload)
        locale = ["en", "zh_Hans", "zh_Hant", "ru", "pl", "ms"][i % 6]
        (root / "clients" / f"c{i}.yaml").write_text(
            f"""name: {p}
locale: {locale}
currency: {"JPY" if i % 5 == 0 else "EUR"}
tax_id: {p}
po_number: {p}
address: [{p}, {p}]
thank_you: {q("Dear {contact}, " + payload)}
contacts:
  - {{name: {p}, email: c{i}@client.example, role: billing}}
""",
            encoding="utf-8",
        )
        (root / "invoices" / f"INV-{i}.yaml").write_text(
            f"""client: c{i}
issued: 2026-10-01
title: {p}
memo: {p}
po_number: {p}
tax: {{label: {q(payload[:40])}, percent: "20"}}
items:
  - {{description: {p}, quantity: 2, unit_price: "100"}}
  - {{description: {p}, kind: out_of_scope, quantity: 1, unit_price: "50"}}
  - {{description: {p}, kind: expense, quantity: 1, unit_price: "5"}}
""",
            encoding="utf-8",
        )
        (root / "payments" / f"p{i}.yaml").write_text(
            f"invoice: INV-{i}\namount: 10\ndate: 2026-10-05\nmethod: cheque\nreference: {p}\n",
            encoding="utf-8",
        )
        notes = root / "notes" / f"c{i}"
        notes.mkdir(parents=True)
        (notes / "thanks.md").write_text(
            f"---\ntitle: {p}\ndate: 2026-10-06\n---\n{payload}\n\n*{payload}*\n\n"
            f"- [{payload}](https://x.example/{i})\n- {payload}\n\n> {payload}\n",
            encoding="utf-8",
        )


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None and (tag, value) != EMPTY_ICON:
                scheme = "".join(value.split()).lower().split(":", 1)[0]
                if ":" in value and scheme not in {"https", "http", "mailto"}:
                    self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "meta":
            self.metas.append(values)
        stylesheet = values.get("rel") == "stylesheet" and "/assets/" in (values.get("href") or "")
        icon = values.get("rel") == "icon" and (tag, values.get("href")) == EMPTY_ICON
        if tag == "link" and not (stylesheet or icon):
            self.problems.append(f"link {values}")
        if tag == "form" and values.get("action") != f"{API}/checkout":
            self.problems.append(f"form posting to {values.get('action')!r}")
        if tag == "input" and values.get("type") != "hidden":
            self.problems.append(f"input {values}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_agency(root / "content")
    build(root / "content", root / "out", SAMPLE_TODAY, secret=SECRET)
    return root / "out" / "public"


def test_the_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) >= 60


def test_no_page_carries_executable_markup(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 3 * len(PAYLOADS)  # portal, invoice and receipt per client
    for page in pages:
        audit = PageAudit()
        audit.feed(page.read_text(encoding="utf-8"))
        audit.close()
        assert not audit.problems, f"{page.relative_to(site)}: {audit.problems}"
        csp = [m for m in audit.metas if m.get("http-equiv") == "Content-Security-Policy"]
        assert len(csp) == 1 and "default-src 'none'" in (csp[0]["content"] or "")
        assert not [m for m in audit.metas if (m.get("http-equiv") or "").lower() == "refresh"]


@pytest.mark.parametrize("i", range(len(PAYLOADS)))
def test_each_payload_is_shown_as_text(site: Path, i: int) -> None:
    portal = next(
        p
        for p in (site / "c").glob("*/index.html")
        if f"INV-{i}.html" in p.read_text(encoding="utf-8")
    )
    audit = PageAudit()
    audit.feed(portal.read_text(encoding="utf-8"))
    # the client's name is printed literally: escaped on the way in, intact on the way out
    assert PAYLOADS[i] in "".join(audit.text)
