"""Benchmark the build: cold, unchanged, and after one invoice changed.

    python bench/build.py [--clients 10000] [--invoices 10] [--workdir bench/out]

Generates a synthetic agency into ``<workdir>/content`` (skipped when a stamp
file says the same arguments and generator made the one already there), then
times three builds into ``<workdir>/site`` through the public API
``site_builder.build.build(content, out, today)``:

1. full: the previous output moved aside first (deleted only once every timing is done: a
   mass delete slows the next mass create on this disk), everything parsed and rendered;
2. no change: the same content again, nothing should be re-rendered;
3. incremental: one invoice's first quantity changed (``touch_one_invoice``),
   one client should be re-rendered. The invoice is restored afterwards, so
   the content folder stays what the stamp says it is;
4. and 5. the same two told what changed (``build(changed=...)``, as ``portal serve``'s
   watcher tells it): nothing, then the one invoice.

Then Hugo on the same page count (``bench/peers.py``), in the same run, and each figure as a
ratio to Hugo's (``--no-peers`` skips it; without ``hugo`` installed it is skipped and said).

Prints the machine, a table of the results and the performance targets
(full ≤ 15 s for 10,000 × 10; incremental ≤ 1 s, ≤ 0.3 s at 1,000 × 10; no change ≤ 0.3 s).
The pages only (``pdfs=False``): the PDFs beside them are made once per changed page and
cached (``bench/pdf.py`` measures them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` and `site_builder` importable
    sys.path.insert(0, str(ROOT))

from bench.generate import (  # noqa: E402
    DEFAULT_TODAY,
    _generate,
    pick_invoice,
    touch_one_invoice,
)

REFERENCE = (10_000, 10)  # the size the targets are stated for
FULL_TARGET_S = 15.0
FULL_TARGET_PAGES_S = 7_000
INCREMENTAL_TARGET_S = 1.0
INCREMENTAL_TARGET_SMALL_S = 0.3  # at 1,000 × 10
SMALL = (1_000, 10)
NO_CHANGE_TARGET_S = 0.3
STAMP = "stamp.json"
BENCH_SECRET = "bench-only-secret-never-use-in-production-0123456789"


@dataclass
class Row:
    scenario: str
    pages: int
    rendered: int
    skipped: int
    seconds: float
    target: str
    verdict: str
    hugo: float | None = None  # Hugo's seconds for the same scenario, in the same run

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


# --- the machine ------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[tuple[str, str]]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return [
        ("nproc", f"{usable} (os.cpu_count: {os.cpu_count()})"),
        ("cpu", cpu_model()),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("platform", platform.platform()),
        ("commit", head or "unknown"),
    ]


# --- the content ------------------------------------------------------------------


def _stamp(args: argparse.Namespace) -> dict[str, object]:
    generator = (BENCH / "generate.py").read_bytes()
    return {
        "clients": args.clients,
        "invoices": args.invoices,
        "seed": args.seed,
        "today": args.today.isoformat(),
        "generator": hashlib.sha256(generator).hexdigest(),
    }


def ensure_content(args: argparse.Namespace) -> tuple[Path, str]:
    """The agency in ``<workdir>/content``, generated unless the stamp matches."""
    workdir: Path = args.workdir
    content = workdir / "content"
    stamp_path = workdir / STAMP
    wanted = _stamp(args)
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        stamp = None
    if stamp == wanted and (content / "agency.yaml").is_file():
        return content, "reused (stamp matches)"
    workdir.mkdir(parents=True, exist_ok=True)
    stamp_path.unlink(missing_ok=True)  # an interrupted generation must not look complete
    started = time.perf_counter()
    counts = _generate(content, args.clients, args.invoices, args.seed, args.today)
    seconds = time.perf_counter() - started
    stamp_path.write_text(json.dumps(wanted, indent=2) + "\n")
    return content, (
        f"generated {counts.files:,} files ({counts.clients:,} clients, {counts.invoices:,} "
        f"invoices, {counts.payments:,} payments, {counts.notes:,} notes) in {seconds:.2f} s"
    )


# --- the builds ---------------------------------------------------------------------


def code_fingerprint() -> tuple[tuple[str, int, int], ...]:
    """Stat of the build's code and theme, which the build's settings key hashes.

    Others edit them while a benchmark runs; a change between two builds makes
    the second one a full rebuild, which is then no measure of an incremental one.
    """
    files = [*(ROOT / "site_builder").rglob("*.py"), *(ROOT / "themes").rglob("*")]
    stats = []
    for path in sorted(files):
        try:
            st = path.stat()
        except OSError:
            continue
        if path.is_file():
            stats.append((str(path.relative_to(ROOT)), st.st_mtime_ns, st.st_size))
    return tuple(stats)


PROBE_FILES = 2_000


def disk_probe(workdir: Path) -> str:
    """How long a new file takes on the disk right now, as a note beside a cold build's time.

    On this machine's disk (ext4 without a journal) a file created in the minutes after a
    mass delete takes several times longer (RESULTS.md, "The floors"), whatever the build
    does: the note says which state a figure was taken in. The probe's files are removed
    with the moved-aside output, after the last timing, since removing them would slow
    the next creates too.
    """
    folder = workdir / f".disk-probe-{os.getpid()}-{time.time_ns()}"
    folder.mkdir(parents=True)
    data = b"x" * 4096
    started = time.perf_counter()
    for i in range(PROBE_FILES):
        (folder / f"{i}.html").write_bytes(data)
    per_file = (time.perf_counter() - started) / PROBE_FILES * 1e6
    return (
        f"{per_file:.0f} µs to create a file (on this disk ~20 µs when quiet, "
        "140–200 µs in the minutes after a mass delete)"
    )


def run(args: argparse.Namespace, content: Path) -> tuple[list[Row], list[str]]:
    from site_builder.build import build

    out: Path = args.workdir / "site"
    size = (args.clients, args.invoices)
    at_reference = size in (REFERENCE, SMALL)
    rows: list[Row] = []
    notes: list[str] = []
    fingerprints = [code_fingerprint()]

    def timed(
        scenario: str,
        expected: int,
        target: str,
        limit_s: float | None,
        changed: set[str] | None = None,
    ) -> None:
        started = time.perf_counter()
        report = build(content, out, args.today, pdfs=False, changed=changed)
        seconds = time.perf_counter() - started
        fingerprints.append(code_fingerprint())
        ok = None
        if limit_s is not None and at_reference:
            ok = seconds <= limit_s
            if scenario.startswith("full"):
                ok = ok and report.pages_written >= FULL_TARGET_PAGES_S * seconds
        verdict = "—" if ok is None else "PASS" if ok else "FAIL"
        rows.append(
            Row(
                scenario,
                report.pages_written,
                report.clients_rendered,
                report.clients_skipped,
                seconds,
                target,
                verdict,
            )
        )
        stages = ", ".join(f"{k} {v:.2f}" for k, v in report.phases.items())
        # a shared machine: the load says how much of the time was the neighbours'
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        notes.append(f"{scenario}: seconds by stage: {stages or '—'}; load average {load:.1f}")
        if report.clients_rendered != expected:
            notes.append(
                f"{scenario}: {report.clients_rendered:,} clients rendered, expected {expected:,}"
            )
        if len(fingerprints) > 2 and fingerprints[-3] != fingerprints[-2]:
            notes.append(
                f"{scenario}: site_builder/ or themes/ changed since the previous build, "
                "so this build re-rendered everything: run the benchmark again"
            )

    # 1. cold: no previous output, no manifest (the old one moved aside, deleted at the end)
    if out.exists():
        os.replace(out, args.workdir / f"site.old-{os.getpid()}-{time.time_ns()}")
    notes.append(f"full (cold): the disk before it: {disk_probe(args.workdir)}")
    full_target = f"≤ {FULL_TARGET_S:g} s and ≥ {FULL_TARGET_PAGES_S:,} pages/s"
    timed("full (cold)", args.clients, full_target, FULL_TARGET_S if size == REFERENCE else None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    notes.append(
        f"full (cold): peak memory {peak:,.0f} MiB in the main process, "
        f"{workers:,.0f} MiB in the largest worker (target ≤ 2,048 MiB)"
    )
    # 2. nothing changed
    no_change = f"≤ {NO_CHANGE_TARGET_S:g} s"
    timed("no change", 0, no_change, NO_CHANGE_TARGET_S if size == REFERENCE else None)
    # 3. one invoice changed; put back afterwards, so the content matches its stamp
    one = INCREMENTAL_TARGET_S if size == REFERENCE else INCREMENTAL_TARGET_SMALL_S
    original = pick_invoice(content, args.seed).read_bytes()
    path = touch_one_invoice(content, args.seed)
    try:
        timed("incremental", 1, f"≤ {one:g} s", one)
    finally:
        path.write_bytes(original)
    # the restored invoice is a change too: built untimed, so the next two start level
    build(content, out, args.today, pdfs=False)
    # 4. and 5. the same, told what changed (portal serve's watcher does)
    timed("no change, told", 0, no_change, NO_CHANGE_TARGET_S if size == REFERENCE else None, set())
    path = touch_one_invoice(content, args.seed)
    try:
        timed("incremental, told", 1, f"≤ {one:g} s", one, {str(path)})
    finally:
        path.write_bytes(original)
    build(content, out, args.today, pdfs=False, changed={str(path)})
    rel = path.relative_to(content).as_posix()
    notes.insert(0, f"incremental: changed the first quantity of {rel}, then restored it")
    return rows, notes


def with_peers(args: argparse.Namespace, rows: list[Row], notes: list[str]) -> None:
    """Hugo's three builds on the same page count, beside ours (bench/peers.py)."""
    from bench import peers

    if args.no_peers:
        return
    if peers.hugo_path() is None:
        notes.append("hugo is not installed, so no ratios: make bench installs Debian's")
        return
    pages = args.clients * (1 + args.invoices)
    site = args.workdir / "hugo"
    notes.append(peers.ensure_site(site, pages))
    notes.append(f"Hugo: the disk before its builds: {disk_probe(args.workdir)}")
    timings, peak = peers.run(site, pages)
    by_scenario = {t.scenario: t.seconds for t in timings}
    for row in rows:
        row.hugo = by_scenario.get(row.scenario.split(",")[0])
    notes.append(
        f"{peers.hugo_version()} on {pages:,} Markdown pages (one per portal and invoice "
        f"page, ~300 words and a 10-row table): full {by_scenario['full (cold)']:.2f} s, "
        f"again with nothing changed {by_scenario['no change']:.2f} s, one page changed "
        f"{by_scenario['incremental']:.2f} s; peak memory {peak:,.0f} MiB"
    )


def clear_moved(args: argparse.Namespace) -> None:
    """The outputs moved aside before the cold builds, deleted now that nothing is timed."""
    from bench import peers

    for old in [*args.workdir.glob("site.old-*"), *args.workdir.glob(".disk-probe-*")]:
        shutil.rmtree(old, ignore_errors=True)
    peers.clear_moved(args.workdir / "hugo")


# --- output ---------------------------------------------------------------------------


def show(args: argparse.Namespace, origin: str, rows: list[Row], run_notes: list[str]) -> None:
    title = (
        f"clientportal build: {args.clients:,} clients × {args.invoices} invoices, "
        f"seed {args.seed}, today {args.today}"
    )
    notes = [f"content: {args.workdir / 'content'} — {origin}"]
    if (args.clients, args.invoices) == SMALL:
        notes.append("at 1,000 × 10 only the one-change targets apply (≤ 0.3 s)")
    elif (args.clients, args.invoices) != REFERENCE:
        notes.append("targets are stated for 10,000 × 10 and 1,000 × 10: no PASS/FAIL here")
    notes += run_notes
    headers = ["scenario", "pages written", "rendered", "skipped", "seconds", "pages/s"]
    headers += ["Hugo s", "ratio", "target", "result"]
    cells = [
        [
            r.scenario,
            f"{r.pages:,}",
            f"{r.rendered:,}",
            f"{r.skipped:,}",
            f"{r.seconds:.3f}",
            f"{r.pages_per_s:,.0f}",
            "—" if r.hugo is None else f"{r.hugo:.2f}",
            "—" if r.hugo is None else f"{r.seconds / r.hugo:.3f}",
            r.target,
            r.verdict,
        ]
        for r in rows
    ]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text
        print(title)
        for key, value in machine():
            print(f"  {key:9} {value}")
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        for line in [headers, *cells]:
            print(
                "  ".join(
                    c.rjust(w) if 0 < i < 8 else c.ljust(w)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        for note in notes:
            print(f"note: {note}")
        return
    console = Console(width=None if sys.stdout.isatty() else 130)
    console.print(f"[bold]{title}[/bold]")
    for key, value in machine():
        console.print(f"  {key:9} {value}")
    table = Table()
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if 0 < i < 8 else "left")
    for r, line in zip(rows, cells, strict=True):
        style = {"PASS": "green", "FAIL": "red"}.get(r.verdict)
        table.add_row(*line[:-1], f"[{style}]{r.verdict}[/{style}]" if style else r.verdict)
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark full, unchanged and incremental builds."
    )
    parser.add_argument("--clients", type=int, default=REFERENCE[0])
    parser.add_argument("--invoices", type=int, default=REFERENCE[1], help="invoices per client")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    parser.add_argument("--workdir", type=Path, default=BENCH / "out")
    parser.add_argument("--no-peers", action="store_true", help="skip Hugo")
    args = parser.parse_args(argv)
    args.workdir = args.workdir.resolve()
    # a fixed secret: no development-secret warning, and the same tokens every run
    os.environ.setdefault("PORTAL_SECRET", BENCH_SECRET)

    content, origin = ensure_content(args)
    print(f"content: {origin}", file=sys.stderr)
    from site_builder.errors import ContentInvalid

    try:
        rows, run_notes = run(args, content)
    except ContentInvalid as exc:
        print(f"the build refused the generated content: {exc}", file=sys.stderr)
        for error in exc.errors[:20]:
            print(f"  {error}", file=sys.stderr)
        if len(exc.errors) > 20:
            print(f"  … and {len(exc.errors) - 20} more", file=sys.stderr)
        return 1
    with_peers(args, rows, run_notes)
    show(args, origin, rows, run_notes)
    clear_moved(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
