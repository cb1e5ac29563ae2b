"""`portal serve`'s small parts: the static site's paths, the mailbox, the watcher, settings."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import pytest
from watchfiles import Change

from functions.mailer import Mail, to_mime
from local.serve import mailbox
from local.serve.agency_page import page_key
from local.serve.static import resolve
from local.serve.system import ServeError, payments_from_env
from local.serve.watcher import ContentFilter, Watcher


def test_resolve_serves_files_of_the_site_and_nothing_else(tmp_path: Path) -> None:
    site = tmp_path / "public"
    (site / "c" / "tok" / "invoices").mkdir(parents=True)
    (site / "c" / "tok" / "index.html").write_text("portal")
    (site / "c" / "tok" / "invoices" / ".INV-1.html.123.tmp").write_text("half written")
    (tmp_path / "secret.txt").write_text("private")
    assert resolve(site, "c/tok/index.html") == site / "c" / "tok" / "index.html"
    assert resolve(site, "c/tok/") == site / "c" / "tok" / "index.html"
    assert resolve(site, "c/tok") == site / "c" / "tok" / "index.html"
    for path in (
        "",
        "c/",
        "../secret.txt",
        "c/../../secret.txt",
        "c/tok/invoices/.INV-1.html.123.tmp",
        "c/tok/missing.html",
        "c\\..\\..\\secret.txt",
        "c/tok/index.html\x00.png",
    ):
        assert resolve(site, path) is None, path
    os.symlink(tmp_path / "secret.txt", site / "c" / "link.txt")
    assert resolve(site, "c/link.txt") is None  # a link out of the site is outside it


def letter_bytes(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "to": ("Anna <anna@client.example>",),
        "cc": ("boss@client.example",),
        "subject": "Receipt R-pi_1 for invoice INV-1",
        "text": "Thank you",
        "html": "<p>Thank you<script>alert(1)</script></p>",
        "sender": "billing@agency.example",
        "message_id": "receipt:pi_1",
    }
    fields.update(changes)
    return to_mime(Mail(**fields)).as_bytes()  # type: ignore[arg-type]


def test_the_mailbox_reads_what_the_folder_mailer_wrote(tmp_path: Path) -> None:
    (tmp_path / "receipt%3Api_1@clientportal.eml").write_bytes(letter_bytes())
    (tmp_path / "receipt%3Api_2@clientportal.eml").write_bytes(
        letter_bytes(subject="Second", message_id="receipt:pi_2", cc=())
    )
    (tmp_path / ".tmp123.tmp").write_bytes(letter_bytes())  # a write in progress
    found = mailbox.letters(tmp_path)
    assert {one.subject for one in found} == {"Receipt R-pi_1 for invoice INV-1", "Second"}
    first = next(one for one in found if one.name.startswith("receipt%3Api_1"))
    assert first.to == ("Anna <anna@client.example>",) and first.cc == ("boss@client.example",)
    assert first.sender == "billing@agency.example" and first.date is not None
    assert first.html is not None and "<script>" in first.html  # kept as sent: shown sandboxed
    assert first.text is not None and first.text.strip() == "Thank you"
    assert mailbox.letters(tmp_path / "none") == []


def test_a_letter_is_found_only_by_a_name_the_mailer_would_write(tmp_path: Path) -> None:
    (tmp_path / "ok@clientportal.eml").write_bytes(letter_bytes())
    assert mailbox.letter(tmp_path, "ok@clientportal.eml") is not None
    for name in ("../ok@clientportal.eml", ".hidden.eml", "ok@clientportal", "a/b.eml", ""):
        assert mailbox.letter(tmp_path, name) is None, name


def changes_until(batches: queue.Queue[set[str]], wanted: set[str]) -> set[str]:
    """Every file reported until all of ``wanted`` have been (the test fails after 5 s)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 5
    while not wanted <= seen:
        seen |= batches.get(timeout=max(deadline - time.monotonic(), 0.01))
    # folders are reported too (always when polling: their own times change)
    return {path for path in seen if not os.path.isdir(path)}


def test_the_watcher_reports_an_edit_once_and_no_temporary_file(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "invoices").mkdir(parents=True)
    (content / "notes").mkdir()
    invoice = content / "invoices" / "INV-1.yaml"
    invoice.write_text("a: 1\n")
    os.utime(invoice, (time.time() - 60,) * 2)  # saved a while ago: polling sees whole seconds
    new = content / "notes" / "new.md"
    batches: queue.Queue[set[str]] = queue.Queue()
    watcher = Watcher([content], batches.put).start()  # watching once it returns
    try:
        (content / "invoices" / ".INV-1.yaml.swp").write_text("editor")
        (content / "invoices" / "#INV-1.yaml#").write_text("autosave")
        (content / "invoices" / "INV-1.yaml~").write_text("backup")
        (content / ".git").mkdir()
        (content / ".git" / "index").write_text("hidden folder")
        half = content / "notes" / "new.md.123.tmp"  # an atomic writer: written, then renamed
        half.write_text("hello")
        half.replace(new)
        invoice.write_text("a: 22\n")
        # nothing else came before or with them: the temporary files alone reported nothing
        assert changes_until(batches, {str(invoice), str(new)}) == {str(invoice), str(new)}
        invoice.unlink()
        assert changes_until(batches, {str(invoice)}) == {str(invoice)}  # the edit is not repeated
    finally:
        started = time.monotonic()
        watcher.stop()
    assert time.monotonic() - started < 2
    assert watcher._thread is not None and not watcher._thread.is_alive()


def test_the_watcher_filter_looks_only_below_the_watched_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theme = tmp_path / ".venv" / "site-packages" / "themes" / "default"
    keep = ContentFilter([theme])
    assert keep(Change.modified, str(theme / "templates" / "invoice.html"))
    for name in (".hidden/page.html", "page.html.swp", "#page.html#", "page.html~", "x.tmp"):
        assert not keep(Change.added, str(theme / "templates" / name)), name
    monkeypatch.chdir(tmp_path)  # a relative folder, named as given when polling
    relative = ContentFilter([Path("content")])
    assert relative(Change.added, "content/notes/a.md")
    assert not relative(Change.added, "content/.git/index")
    assert not relative(Change.added, str(tmp_path / "content" / ".git" / "index"))


def test_a_watcher_of_a_missing_folder_says_so_at_start(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        Watcher([tmp_path / "missing"], print).start()


def test_stripe_test_mode_needs_a_test_key_and_the_webhook_secret() -> None:
    assert payments_from_env({}) is None  # the local Stripe-compatible server
    with pytest.raises(ServeError, match="test-mode key only"):
        payments_from_env({"STRIPE_SECRET_KEY": "sk_live_123"})
    with pytest.raises(ServeError, match="stripe listen --forward-to"):
        payments_from_env({"STRIPE_SECRET_KEY": "sk_test_123"})
    stripe = payments_from_env({"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "w"})
    assert stripe is not None and not stripe.local
    assert stripe.checkout_url == "https://checkout.stripe.com" and stripe.api_base is None
    elsewhere = payments_from_env(
        {
            "STRIPE_SECRET_KEY": "sk_test_1",
            "STRIPE_WEBHOOK_SECRET": "w",
            "STRIPE_API_BASE": "http://127.0.0.1:12111/",
        }
    )
    assert elsewhere is not None and elsewhere.checkout_url == "http://127.0.0.1:12111"


def test_the_agency_page_key_follows_the_secret() -> None:
    key = page_key("secret-one-0123456789")
    assert key == page_key("secret-one-0123456789") != page_key("secret-two-0123456789")
    assert len(key) == 32 and key.isalnum()


def test_a_letter_in_an_unknown_charset_is_read_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "odd.eml").write_bytes(
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: odd\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nHello there\r\n"
    )
    (found,) = mailbox.letters(tmp_path)
    assert found.subject == "odd" and found.text is not None and "Hello there" in found.text
