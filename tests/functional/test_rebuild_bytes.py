"""An incremental build makes, byte for byte, the site a fresh full build makes.

The quick paths of the rebuild (``site_builder.changes``: the last build's files with their
stats taken anew, or only the paths a watcher names; ``site_builder.manifest``: records read
and written in part) must never change what is published: after edits, additions and
deletions, ``public/``, the snapshots and the ledger equal those of a full build of the same
content into an empty folder.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from site_builder import manifest
from site_builder.build import build
from tests.conftest import SAMPLE_TODAY, SECRET


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def published(out: Path) -> dict[str, object]:
    """What a build publishes: public/, the snapshots, and the ledger less its timestamp."""
    ledger = json.loads((out / "build" / "ledger.json").read_bytes())
    del ledger["generated"]
    return {
        "public": tree(out / "public"),
        "clients": tree(out / "build" / "clients"),
        "ledger": ledger,
    }


def fresh(content: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    report = build(content, target, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False)
    assert report.full
    return target


def assert_same_as_full(out: Path, content: Path, tmp_path: Path, name: str) -> None:
    expected = published(fresh(content, tmp_path, name))
    got = published(out)
    assert sorted(got["public"]) == sorted(expected["public"])  # type: ignore[arg-type]
    assert got == expected


def bump_quantity(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("quantity: 1,", "quantity: 2,", 1), encoding="utf-8")


@pytest.fixture
def out(tmp_path: Path, content: Path) -> Path:
    target = tmp_path / "out"
    build(content, target, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False)
    return target


def incremental(content: Path, out: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    report = build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False, **kwargs)
    assert not report.full
    return report


def test_edits_additions_and_deletions_equal_a_full_build(
    out: Path, content: Path, tmp_path: Path
) -> None:
    invoice = content / "invoices" / "INV-2026-0101.yaml"
    bump_quantity(invoice)
    report = incremental(content, out)
    assert report.clients_rendered == 1
    assert_same_as_full(out, content, tmp_path, "full-1")

    # a payment deleted: its receipt page goes, its invoice is owed again
    payment = sorted((content / "payments").glob("*.yaml"))[0]
    payment.unlink()
    # a new invoice for another client, copied from one of its own
    source = next(
        p
        for p in sorted((content / "invoices").glob("*.yaml"))
        if "client: yantar" in p.read_text()
    )
    (content / "invoices" / "INV-2026-9001.yaml").write_text(
        source.read_text(encoding="utf-8"), encoding="utf-8"
    )
    incremental(content, out)
    assert_same_as_full(out, content, tmp_path, "full-2")

    # a whole client deleted, with every file of theirs: their portal goes
    gone = "xinghe"
    for path in [*content.rglob("*.yaml"), *content.rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        if path.stem == gone or f"client: {gone}" in text or path.parent.name == gone:
            path.unlink()
    for path in sorted((content / "payments").glob("*.yaml")):
        invoice_number = next(
            (
                line.split(":", 1)[1].strip()
                for line in path.read_text().splitlines()
                if line.startswith("invoice:")
            ),
            "",
        )
        if invoice_number and not (content / "invoices" / f"{invoice_number}.yaml").exists():
            path.unlink()
    shutil.rmtree(content / "notes" / gone, ignore_errors=True)
    report = incremental(content, out)
    assert_same_as_full(out, content, tmp_path, "full-3")


def test_a_touched_file_is_hashed_not_rendered(out: Path, content: Path, tmp_path: Path) -> None:
    invoice = content / "invoices" / "INV-2026-0102.yaml"
    st = invoice.stat()
    os.utime(invoice, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    report = incremental(content, out)
    assert report.clients_rendered == 0
    # and the new stat is recorded: the next build has nothing to look at again
    assert incremental(content, out).clients_rendered == 0
    assert_same_as_full(out, content, tmp_path, "full")


def test_a_watcher_s_paths_rebuild_what_a_full_look_would(
    out: Path, content: Path, tmp_path: Path
) -> None:
    invoice = content / "invoices" / "INV-2026-0103.yaml"
    bump_quantity(invoice)
    theme_file = tmp_path / "theme" / "x.css"  # outside the content: in the settings key
    report = incremental(content, out, changed={str(invoice), str(theme_file)})
    assert report.clients_rendered == 1
    assert_same_as_full(out, content, tmp_path, "full-1")

    # nothing named, nothing changed
    assert incremental(content, out, changed=set()).clients_rendered == 0

    # a path the last build did not read (a new file) sends the build back to the listing
    source = content / "invoices" / "INV-2026-0104.yaml"
    (content / "invoices" / "INV-2026-9002.yaml").write_text(
        source.read_text(encoding="utf-8"), encoding="utf-8"
    )
    report = incremental(content, out, changed={"invoices/INV-2026-9002.yaml"})
    assert report.clients_rendered == 1
    # a deleted one too
    (content / "invoices" / "INV-2026-9002.yaml").unlink()
    report = incremental(content, out, changed={"invoices/INV-2026-9002.yaml"})
    assert report.clients_rendered == 1
    assert_same_as_full(out, content, tmp_path, "full-2")


def test_an_edit_the_listing_cannot_see_is_still_found(
    out: Path, content: Path, tmp_path: Path
) -> None:
    """Edited in place, same size, folder untouched: only the file's own stat shows it."""
    invoice = content / "invoices" / "INV-2026-0105.yaml"
    folder = invoice.parent.stat()
    data = invoice.read_bytes()
    edited = data.replace(b"quantity: 1,", b"quantity: 3,", 1)
    assert edited != data and len(edited) == len(data)
    with open(invoice, "r+b") as handle:
        handle.write(edited)
    os.utime(invoice.parent, ns=(folder.st_atime_ns, folder.st_mtime_ns))
    assert incremental(content, out).clients_rendered == 1
    assert_same_as_full(out, content, tmp_path, "full")


def test_records_read_in_part_equal_those_of_a_full_build(
    out: Path, content: Path, tmp_path: Path
) -> None:
    for number in ("0101", "0102", "0103"):
        bump_quantity(content / "invoices" / f"INV-2026-{number}.yaml")
        incremental(content, out)
    loaded = manifest.load(out / "build")
    expected = manifest.load(fresh(content, tmp_path, "full") / "build")
    assert loaded is not None and expected is not None
    assert {c: (r.token, r.outputs, r.ledger) for c, r in loaded.clients.items()} == {
        c: (r.token, r.outputs, r.ledger) for c, r in expected.clients.items()
    }
    assert loaded.files == expected.files


def test_a_manifest_that_does_not_match_its_files_means_a_full_build(
    out: Path, content: Path
) -> None:
    (out / "build" / "files.bin").write_bytes(b"\x00" * 16)
    assert build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False).full
    data = json.loads((out / "build" / "manifest.json").read_bytes())
    data["stamp"] = "0" * 16  # as if the build stopped between files.bin and manifest.json
    (out / "build" / "manifest.json").write_text(json.dumps(data))
    assert build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False).full
    # the ledger, read only when a build saves, written by something else since
    ledger = out / "build" / "ledger.json"
    ledger.write_bytes(ledger.read_bytes() + b" ")
    assert build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False).full
    (out / "build" / "outputs.jsonl").unlink()
    assert build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False).full
    assert not build(content, out, SAMPLE_TODAY, secret=SECRET, workers=1, pdfs=False).full


def test_spliced_ledger_and_patched_columns_equal_a_full_build(
    out: Path, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same names as the last build: the ledger's unchanged lines are copied from the old
    file in runs and files.bin's unchanged columns written back as read; the first, a middle
    and the last client of the ledger re-rendered, then an invoice moved to another client."""

    def every_record(self: manifest.Files) -> dict[str, manifest.FileRecord]:
        raise AssertionError("the same names: no record of every file is needed")

    monkeypatch.setattr(manifest.Files, "records", every_record)
    for number in ("0110", "0105", "0106"):  # batik-warisan, open-trails, yantar
        bump_quantity(content / "invoices" / f"INV-2026-{number}.yaml")
    report = incremental(content, out)
    assert report.clients_rendered == 3
    moved = content / "invoices" / "INV-2026-0109.yaml"
    moved.write_text(
        moved.read_text(encoding="utf-8").replace("client: harbor-light", "client: thames-rowe"),
        encoding="utf-8",
    )
    report = incremental(content, out, changed={str(moved)})
    assert report.clients_rendered == 2
    monkeypatch.undo()
    full = fresh(content, tmp_path, "full")
    assert_same_as_full(out, content, tmp_path, "full-again")
    # the ledger byte for byte, its first line (the time it was generated) aside
    got, expected = ((o / "build" / "ledger.json").read_bytes() for o in (out, full))
    assert got.split(b"\n", 1)[1] == expected.split(b"\n", 1)[1]
    loaded, made = manifest.load(out / "build"), manifest.load(full / "build")
    assert loaded is not None and made is not None
    assert loaded.files == made.files
    assert loaded.columns.columns() == made.columns.columns()  # type: ignore[union-attr]
    # and what the next build reads back: each client's line where the manifest says
    for cid, record in loaded.clients.items():
        where = record.in_old_ledger
        assert (where is None) == (not made.clients[cid].ledger)
        if where is not None:
            assert got[where[0] : where[0] + where[1]] == made.clients[cid].ledger


def test_without_a_kernel_copy_the_ledger_is_read_and_written(
    out: Path, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_copy(*args: object) -> int:
        raise OSError(errno.EXDEV, "not here")  # another file system, or not Linux

    monkeypatch.setattr(manifest.os, "copy_file_range", no_copy)
    bump_quantity(content / "invoices" / "INV-2026-0105.yaml")
    assert incremental(content, out).clients_rendered == 1
    assert_same_as_full(out, content, tmp_path, "full")
