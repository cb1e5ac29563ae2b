"""Change detection: a folder's names trusted by its change time, stats in two processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder import changes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("clients", "invoices", "notes/acme"):
        (tmp_path / folder).mkdir(parents=True)
    for n in range(30):
        (tmp_path / "invoices" / f"INV-{n:03}.yaml").write_text(f"n: {n}\n")
    (tmp_path / "clients" / "acme.yaml").write_text("name: Acme\n")
    (tmp_path / "notes" / "acme" / "hello.md").write_text("hi\n")
    return tmp_path


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Folders old enough to be trusted by their change time (a fresh tmp folder is not)."""
    monkeypatch.setattr(changes, "RACY_NS", 0)


def test_a_missing_content_folder_is_recorded_as_gone(root: Path) -> None:
    listing = changes.listing(root)
    assert set(listing) == {"clients", "invoices", "payments", "notes", "notes/acme"}
    assert listing["payments"] == changes.GONE
    (root / "payments").mkdir()
    assert changes.same_names(root, listing) is None


@pytest.mark.usefixtures("settled")
def test_unmoved_folders_are_trusted_and_keep_their_record(root: Path) -> None:
    listing = changes.listing(root)
    assert all(ctime > 0 for ctime, _ in listing.values() if (ctime, _) != changes.GONE)
    assert changes.same_names(root, listing) == listing


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "invoices" / "INV-900.yaml").write_text("n: 900\n"),
        lambda root: (root / "invoices" / "INV-003.yaml").unlink(),
        lambda root: (root / "invoices" / "INV-003.yaml").rename(root / "invoices" / "X.yaml"),
        lambda root: (root / "notes" / "beta").mkdir(),
        lambda root: (root / "notes" / "acme" / "second.md").write_text("2\n"),
    ],
    ids=["added", "removed", "renamed", "new subfolder", "added below"],
)
def test_a_name_added_or_removed_anywhere_is_seen(
    root: Path, change: Callable[[Path], object]
) -> None:
    listing = changes.listing(root)
    change(root)
    assert changes.same_names(root, listing) is None


@pytest.mark.usefixtures("settled")
def test_a_save_by_rename_lists_the_folder_again_and_finds_the_same_names(root: Path) -> None:
    listing = changes.listing(root)
    (root / "invoices" / ".INV-004.yaml.tmp").write_text("n: 4, edited\n")
    (root / "invoices" / ".INV-004.yaml.tmp").replace(root / "invoices" / "INV-004.yaml")
    now = changes.same_names(root, listing)
    assert now is not None
    assert now["invoices"][1] == listing["invoices"][1]  # the same names
    assert now["invoices"][0] > listing["invoices"][0]  # at the folder's new change time


def test_a_folder_read_just_after_it_changed_is_not_trusted_by_its_time(root: Path) -> None:
    """Its change time may be shared by a change made the next moment (a clock tick)."""
    listing = changes.listing(root)
    assert listing["invoices"][0] == 0
    (root / "invoices" / "INV-901.yaml").write_text("n: 901\n")
    assert changes.same_names(root, listing) is None


def files_of(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_stats_taken_in_two_processes_are_those_taken_in_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rels = files_of(root)
    one = changes.stats(root, rels)
    monkeypatch.setattr(changes, "SPLIT_FROM", 2)
    two = changes.stats(root, rels)
    assert one is not None and two is not None
    assert [list(a) for a in two] == [list(a) for a in one]
    assert len(two[0]) == len(rels) == 32


@pytest.mark.parametrize("at", [0, -1], ids=["first half", "second half"])
def test_a_file_gone_from_either_half_means_none(
    root: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    monkeypatch.setattr(changes, "SPLIT_FROM", 2)
    rels = files_of(root)
    (root / rels[at]).unlink()
    assert changes.stats(root, rels) is None
