"""Benchmark the daily boundary re-publish: how many clients' pages change each day, and the cost.

    python bench/boundaries.py [--clients 10000] [--invoices 10] [--days 31] [--workdir bench/out]

A page holds for a period (``site_builder/billing/timeline.py``): a client's pages change only
when a discount ends, a due date passes, a late fee falls due or a retainer's period begins.
On AWS the 5-minute drain queues a re-publish for each client whose pages change today
(``functions/pages.py``), and the re-publish PUTs only the files whose bytes differ from what
S3 holds (``functions/publish.py``). This benchmark counts that work on a synthetic agency:

1. the agency of ``bench/generate.py`` in ``<workdir>/content``, shared with ``bench/build.py``
   (same stamp: generated only when the arguments or the generator changed);
2. a full build on ``--today`` into ``<workdir>/boundaries/site`` (an earlier output is moved
   aside first and deleted after the run: this disk creates files slowly right after a mass
   delete), then the same day again (nothing to do: the fixed cost of a build);
3. optionally (``--sample N``), the re-publish the Lambda runs (``functions.publish.republish``)
   for N of the clients due on the first day, from their snapshots, into a copy of their
   pages: its seconds per client, and whether it writes the same files as the build;
4. one incremental build a day for ``--days`` days into the same folder. For each day: the
   clients due (their ``changes_on`` has come: what the drain queues), their pages, the
   build's seconds (wall, and CPU of this process and its workers), and the files under
   ``public/`` whose bytes changed, were added or were deleted since the day before: the S3
   PUTs (and deletes) of that day's re-publish. The files are not read:
   ``build/manifest.json`` holds every output's content hash (``writer.digest``).
   Each re-rendered client's ledger entries, before and after, say which boundary it crossed.

Prints the machine, a table per day, the boundary kinds, a summary with the monthly cost at
the list prices of ``bench/cost.py`` (S3 PUT/LIST, Lambda GB-s) and, for comparison, the old
behaviour (the day in the build's settings key: every client re-rendered, every page written,
every day). A day whose build was a full one (``site_builder/``, ``themes/`` or agency.yaml
changed under the run) keeps its counts and loses its seconds; while others edit the tree, run
the benchmark from a copy of it. Takes about 17 minutes at 10,000 × 10 and 31 days here.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `site_builder` importable
    sys.path.insert(0, str(ROOT))

from bench.build import (  # noqa: E402
    BENCH_SECRET,
    REFERENCE,
    ensure_content,
    machine,
)
from bench.cost import ASSUME, PRICES  # noqa: E402
from bench.generate import DEFAULT_TODAY, EARLY_DISCOUNT_DAYS  # noqa: E402
from site_builder import manifest  # noqa: E402

TARGET_LAMBDA_S = 60.0  # PERFORMANCE.md: daily boundary re-publish, 10,000 clients
MONTH_DAYS = 30
# A 512 MB function has 512/1,769 of a vCPU (Lambda gives one vCPU at 1,769 MB): CPU-bound work
# takes up to this many times as long there as on one core here
LAMBDA_SLOWER = 1769 / 512
# What a client's folder holds: path under the site root ("c/<token>/...") -> content hash
Outputs = dict[str, str]


@dataclass
class Day:
    day: date
    clients: int  # due: their pages did not hold on this day, so the drain re-publishes them
    pages: int  # rendered for them (the build writes them all; the re-publish, the PUTs only)
    seconds: float
    cpu: float  # seconds of CPU, this process and its workers
    puts: int = 0  # files whose bytes changed or that are new: one S3 PUT each
    added: int = 0  # of the PUTs, files that did not exist the day before
    deleted: int = 0
    unchanged_clients: int = 0  # re-rendered, every byte as before: no PUT
    ledger: int = 0  # ledger entries the re-publish writes back (each invoice of each client)
    unexplained: int = 0  # files changed, yet no ledger entry did (e.g. an instalment overdue)
    full: bool = False  # the build re-rendered everything (code changed under it)
    kinds: Counter[str] = field(default_factory=Counter)  # boundary crossed -> invoices
    files: Counter[str] = field(default_factory=Counter)  # kind of file -> PUTs
    phases: dict[str, float] = field(default_factory=dict)  # the build's seconds by stage


@dataclass
class Sample:
    clients: int
    seconds: list[float]  # per client: snapshot, store, billing, render, compare, write
    written: dict[str, set[str]]  # client id -> paths the re-publish wrote


# --- what the build left behind -------------------------------------------------------


def snapshot(site: Path) -> dict[str, manifest.ClientRecord]:
    """Every client's record (token, output hashes, ledger line, period) of the last build."""
    loaded = manifest.load(site / "build")
    if loaded is None:
        raise SystemExit(f"{site}/build: no manifest the build can read")
    return loaded.clients


def outputs(record: manifest.ClientRecord) -> Outputs:
    prefix = f"c/{record.token}/"
    return {prefix + rel: sha for rel, sha in record.outputs.items()}


def entries(record: manifest.ClientRecord) -> dict[str, dict[str, Any]]:
    """The client's ledger entries (invoice number -> entry), from its line of ledger.json."""
    return orjson.loads(b"{" + record.ledger + b"}") if record.ledger else {}


def diff(before: Outputs, after: Outputs) -> tuple[list[str], int, int]:
    """(files to PUT: changed or added, how many added, how many deleted) of one client."""
    put = [path for path, sha in after.items() if before.get(path) != sha]
    added = sum(1 for path in after if path not in before)
    deleted = sum(1 for path in before if path not in after)
    return put, added, deleted


def file_kind(path: str) -> str:
    """What a file under ``c/<token>/`` is: the portal, an invoice page, a calendar, a receipt."""
    rel = path.split("/", 2)[2]
    if rel == "index.html":
        return "portal page"
    if rel.endswith(".ics"):
        return "calendar (.ics)"
    return {"invoices": "invoice page", "receipts": "receipt"}.get(rel.split("/", 1)[0], rel)


def _fees(entry: Mapping[str, Any]) -> int:
    return int(entry["late_fees"]) + sum(int(i["late_fees"]) for i in entry["instalments"])


def _due(entry: Mapping[str, Any]) -> tuple[int, ...]:
    return (int(entry["amount_due"]), *(int(i["amount_due"]) for i in entry["instalments"]))


def boundary(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str | None:
    """What changed one invoice's figures between two days, from its ledger entries.

    None: nothing the ledger holds (an instalment's status is not in it).
    """
    if old is None:
        return "new invoice (a retainer period began)"
    tags = []
    if new["discount"] != old["discount"]:
        tags.append("discount ended")
    if new["status"] != old["status"]:
        overdue = new["status"] == "overdue"
        tags.append("due date passed" if overdue else f"{old['status']} -> {new['status']}")
    if _fees(new) != _fees(old):
        tags.append("late fee")
    if not tags and _due(new) != _due(old):
        tags.append("amount due changed")
    return " + ".join(tags) or None


# --- the runs ---------------------------------------------------------------------------


def timed_build(content: Path, out: Path, day: date) -> tuple[Any, float, float]:
    from site_builder.build import build

    before, started = os.times(), time.perf_counter()
    report = build(content, out, day, pdfs=False)  # PDFs: bench/pdf.py
    seconds = time.perf_counter() - started
    after = os.times()
    cpu = sum(after[i] - before[i] for i in range(4))  # user, system, children's
    return report, seconds, cpu


def sample_republish(
    site: Path, records: Mapping[str, manifest.ClientRecord], day: date, n: int, seed: int
) -> Sample:
    """Time the Lambda's re-publish for ``n`` clients due on ``day``, on copies of their pages."""
    from functions.publish import republish
    from functions.site import FolderSite
    from functions.snapshots import FolderSnapshots
    from functions.store.sqlite import SqliteStore
    from site_builder.render import Theme
    from site_builder.tokens import portal_secret

    due = sorted(cid for cid, r in records.items() if not r.current_on(day.isoformat()))
    chosen = sorted(random.Random(seed).sample(due, min(n, len(due))))
    work = site.parent / "sample"
    shutil.rmtree(work, ignore_errors=True)  # a few thousand files at most
    for cid in chosen:
        token = records[cid].token
        shutil.copytree(site / "public" / "c" / token, work / "public" / "c" / token)
    store = SqliteStore(work / "store.sqlite3")
    snapshots = FolderSnapshots(site / "build" / "clients")
    target, theme, secret = FolderSite(work / "public"), Theme(), portal_secret()
    seconds, written = [], {}
    for cid in chosen:
        started = time.perf_counter()
        done = republish(
            cid,
            snapshots=snapshots,
            store=store,
            site=target,
            theme=theme,
            secret=secret,
            today=day,
        )
        seconds.append(time.perf_counter() - started)
        written[cid] = set(done.written)
    shutil.rmtree(work, ignore_errors=True)
    return Sample(len(chosen), seconds, written)


Run = tuple[Day, Day, list[Day], Sample | None, list[str]]


def run(args: argparse.Namespace, content: Path) -> Run:
    notes: list[str] = []
    folder: Path = args.workdir / "boundaries"
    site = folder / "site"
    aside = None
    if site.exists():  # moved, not deleted: file creation is ~3x slower after a mass delete
        aside = folder / f"old-{os.getpid()}-{time.time_ns()}"
        os.replace(site, aside)
    folder.mkdir(parents=True, exist_ok=True)

    report, seconds, cpu = timed_build(content, site, args.today)
    first = Day(args.today, report.clients_rendered, report.pages_written, seconds, cpu)
    first.full = report.full
    report, seconds, cpu = timed_build(content, site, args.today)  # the same day: nothing to do
    again = Day(args.today, report.clients_rendered, report.pages_written, seconds, cpu)
    if report.clients_rendered:
        notes.append(
            "the same day again re-rendered clients: site_builder/, themes/ or agency.yaml "
            "changed between the two builds"
        )
    records = snapshot(site)

    sample = None
    if args.sample:
        sample = sample_republish(site, records, args.today + timedelta(days=1), args.sample, 1)

    days: list[Day] = []
    for n in range(1, args.days + 1):
        day = args.today + timedelta(days=n)
        # what the drain queues: the clients whose pages, as last made, do not hold today
        due = {cid for cid, r in records.items() if not r.current_on(day.isoformat())}
        report, seconds, cpu = timed_build(content, site, day)
        row = Day(day, len(due), 0, seconds, cpu, full=report.full, phases=report.phases)
        if report.full:
            notes.append(
                f"{day}: site_builder/, themes/ or agency.yaml changed during the run, so this "
                "build re-rendered every client: its seconds are left out, its PUTs still count"
            )
        elif report.clients_rendered != len(due):
            notes.append(
                f"{day}: the build re-rendered {report.clients_rendered:,} clients, "
                f"{len(due):,} were due"
            )
        new = snapshot(site)
        for cid, record in new.items():
            old = records.get(cid)
            was = outputs(old) if old is not None else {}
            put, added, deleted = diff(was, outputs(record))
            row.puts += len(put)
            row.added += added
            row.deleted += deleted
            row.files.update(file_kind(path) for path in put)
            if cid not in due:
                if put or deleted:
                    notes.append(f"{day}: {cid} was not due, yet its files changed")
                continue
            row.pages += len(record.outputs)
            row.ledger += record.invoices
            if not (put or deleted):
                row.unchanged_clients += 1
            before = entries(old) if old is not None else {}
            crossed = 0
            for number, entry in entries(record).items():
                if (kind := boundary(before.get(number), entry)) is not None:
                    row.kinds[kind] += 1
                    crossed += 1
            if not crossed and (put or deleted):
                row.unexplained += 1
            republished = sample.written.get(cid) if sample is not None and n == 1 else None
            if republished is not None and set(put) != republished:
                notes.append(
                    f"{day}: the re-publish of {cid} wrote {len(republished)} files, "
                    f"the build changed {len(put)}"
                )
        for cid in set(records) - set(new):
            row.deleted += len(records[cid].outputs)
        records = new
        days.append(row)
        print(
            f"{day}: {row.clients:,} clients due, {report.clients_rendered:,} re-rendered, "
            f"{row.puts:,} PUTs, {row.seconds:.2f} s",
            file=sys.stderr,
        )

    if aside is not None:  # after the timed builds
        shutil.rmtree(aside, ignore_errors=True)
    if sample is not None and not any("re-publish of" in note for note in notes):
        notes.append(
            f"the Lambda's re-publish of {sample.clients} clients due on "
            f"{args.today + timedelta(days=1)} wrote exactly the files the build changed"
        )
    return first, again, days, sample, notes


# --- the figures --------------------------------------------------------------------------


def money(x: Decimal | float) -> str:
    return f"${Decimal(str(x)):,.2f}"


def put_cost(requests: float) -> Decimal:
    return Decimal(str(round(requests, 3))) / 1000 * PRICES["s3_put_1k"]


def lambda_cost(seconds: float) -> Decimal:
    gb_s = Decimal(str(round(seconds, 3))) * Decimal(str(ASSUME["memory_gb"]))
    return gb_s * PRICES["lambda_arm_gb_s"]


def table(headers: list[str], rows: list[list[str]], right_from: int = 1) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i >= right_from else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    print(line(headers))
    print(
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if i >= right_from else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    for row in rows:
        print(line(row))


def show(
    args: argparse.Namespace,
    origin: str,
    first: Day,
    again: Day,
    days: list[Day],
    sample: Sample | None,
    notes: list[str],
) -> None:
    clients_total = args.clients
    print(
        f"Daily boundary re-publish: {args.clients:,} clients × {args.invoices} invoices, "
        f"seed {args.seed}, full build on {args.today}, then {args.days} days"
    )
    for key, value in machine():
        print(f"  {key:9} {value}")
    print(f"  content   {args.workdir / 'content'}: {origin}")
    print()
    table(
        ["build", "day", "clients re-rendered", "pages written", "seconds", "cpu s"],
        [
            [what, str(d.day), f"{d.clients:,}", f"{d.pages:,}", f"{d.seconds:.2f}", f"{d.cpu:.2f}"]
            for what, d in (("full", first), ("same day again", again))
        ],
        right_from=2,
    )
    print()
    headers = ["day", "clients due", "pages rendered", "seconds", "cpu s", "PUTs", "of them new"]
    headers += ["deleted", "re-rendered, no change", "changed, ledger same"]
    table(
        headers,
        [
            [
                f"{d.day} {d.day:%a}" + (" (full build)" if d.full else ""),
                f"{d.clients:,}",
                f"{d.pages:,}",
                f"{d.seconds:.2f}",
                f"{d.cpu:.2f}",
                f"{d.puts:,}",
                f"{d.added:,}",
                f"{d.deleted:,}",
                f"{d.unchanged_clients:,}",
                f"{d.unexplained:,}",
            ]
            for d in days
        ],
    )

    # which boundaries: invoices whose figures changed, by what changed them
    kinds: Counter[str] = Counter()
    for d in days:
        kinds.update(d.kinds)
    fed = min(args.days, EARLY_DISCOUNT_DAYS + 1)
    early: Counter[str] = Counter()
    for d in days[:fed]:
        early.update(d.kinds)
    print()
    total = sum(kinds.values()) or 1
    headers = ["boundary crossed (an invoice's ledger entry, day before -> day)", "invoices"]
    headers += ["share", f"days 1-{fed}", f"days {fed + 1}-{args.days}"]
    cut = len(headers) if args.days > fed else 3
    table(
        headers[:cut],
        [
            [k, f"{v:,}", f"{v / total:.0%}", f"{early[k]:,}", f"{v - early[k]:,}"][:cut]
            for k, v in kinds.most_common()
        ],
    )

    files: Counter[str] = Counter()
    for d in days:
        files.update(d.files)
    puts = sum(files.values()) or 1
    print()
    print(
        "PUTs by file: "
        + ", ".join(f"{kind} {count:,} ({count / puts:.0%})" for kind, count in files.most_common())
    )

    # the summary: counts from every day, seconds from the days built incrementally
    timed = [d for d in days if not d.full] or days
    steady = [d for d in days if (d.day - args.today).days <= fed]
    steady_timed = [d for d in steady if not d.full]
    mean_clients = statistics.mean(d.clients for d in days)
    peak = max(days, key=lambda d: d.clients)
    mean_s = statistics.mean(d.seconds for d in timed)
    steady_s = statistics.mean(d.seconds for d in steady_timed) if steady_timed else mean_s
    mean_puts = statistics.mean(d.puts for d in days)
    fit = (
        statistics.linear_regression([d.clients for d in timed], [d.seconds for d in timed])
        if len({d.clients for d in timed}) > 1
        else None
    )
    per_client = fit.slope if fit else mean_s / max(mean_clients, 1)

    print()
    print(f"Summary over {len(days)} days ({days[0].day} to {days[-1].day}):")
    print(
        f"- clients re-published a day: mean {mean_clients:,.0f} "
        f"({mean_clients / clients_total:.1%} of {clients_total:,}), max {peak.clients:,} on "
        f"{peak.day} {peak.day:%a}, min {min(d.clients for d in days):,}; days 1-{fed} (every "
        f"boundary kind still fed by the content's issue dates): mean "
        f"{statistics.mean(d.clients for d in steady):,.0f}"
    )
    print(
        f"- seconds a day (local build, {os.cpu_count()} workers, {len(timed)} days): mean "
        f"{mean_s:.2f} wall, {statistics.mean(d.cpu for d in timed):.2f} CPU; max "
        f"{max(d.seconds for d in timed):.2f} wall; a build with nothing to do: "
        f"{again.seconds:.2f} s"
    )
    stages = {k: statistics.mean(d.phases.get(k, 0.0) for d in timed) for k in timed[0].phases}
    print(
        "- where a day's seconds go (mean, the build's stages): "
        + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
    )
    if fit and fit.intercept >= 0:  # on a noisy machine the fit can make no sense
        print(
            f"- per client re-rendered (least squares over the days): {fit.slope * 1000:.1f} ms "
            f"wall, plus {fit.intercept:.2f} s a build (scanning the content, the manifest)"
        )
    print(
        f"- per client, the full build: {first.seconds / max(first.clients, 1) * 1000:.1f} ms "
        f"wall, {first.cpu / max(first.clients, 1) * 1000:.1f} ms CPU"
    )
    if sample is not None and sample.seconds:
        print(
            f"- the Lambda's re-publish (functions.publish.republish in one process: snapshot, "
            f"SQLite store, billing, render, compare, write to a local folder for S3), "
            f"{sample.clients} clients due on {args.today + timedelta(days=1)}: median "
            f"{statistics.median(sample.seconds) * 1000:.1f} ms, mean "
            f"{statistics.mean(sample.seconds) * 1000:.1f} ms a client"
        )
    held = statistics.mean(d.pages for d in days) / max(mean_clients, 1)
    print(
        f"- S3 PUTs a day: mean {mean_puts:,.0f} ({mean_puts / max(mean_clients, 1):.2f} per "
        f"client re-published, of {held:.1f} files each), max {max(d.puts for d in days):,}; "
        f"deletes: {sum(d.deleted for d in days):,} in all; a LIST per client re-published"
    )
    ledger = statistics.mean(d.ledger for d in days)
    print(
        f"- ledger entries the re-publish writes back to the store a day: mean {ledger:,.0f} "
        f"(every invoice of each client re-published)"
    )
    print()

    def month(label: str, ds: list[Day], seconds: float) -> list[str]:
        lists = statistics.mean(d.clients for d in ds) * MONTH_DAYS
        puts = statistics.mean(d.puts for d in ds) * MONTH_DAYS
        seconds *= MONTH_DAYS
        s3, compute = put_cost(lists + puts), lambda_cost(seconds)
        return [
            label,
            f"{lists:,.0f}",
            f"{lists / clients_total:.2f}",
            f"{puts:,.0f}",
            f"{puts / clients_total:.2f}",
            money(s3),
            f"{seconds:,.0f}",
            money(compute),
            money(s3 + compute),
        ]

    old = Day(args.today, clients_total, first.pages, first.seconds, first.cpu, puts=first.pages)
    print(f"A month ({MONTH_DAYS} days) at the list prices of bench/cost.py:")
    headers = ["", "re-publishes (LISTs)", "per client", "PUTs", "per client", "S3 PUT+LIST"]
    headers += ["Lambda s", "Lambda GB-s", "total"]
    table(
        headers,
        [
            month(f"boundaries, days 1-{len(days)}", days, mean_s),
            *([month(f"boundaries, days 1-{fed}", steady, steady_s)] if len(days) > fed else []),
            month("old: every client, every page, every day", [old], first.seconds),
        ],
    )
    print(
        f"(S3 PUT/LIST {PRICES['s3_put_1k']} USD per 1,000; Lambda arm64 "
        f"{PRICES['lambda_arm_gb_s']} USD per GB-s at {ASSUME['memory_gb']} GB. Lambda seconds "
        "are this machine's mean build seconds, used as the estimate: the function renders at "
        "its own speed; at 512 MB it has about 0.29 of a vCPU (one vCPU at 1,769 MB), so its "
        "duration may be up to ~3.5x the CPU seconds, its GB-s then about CPU s × 1.77 whatever "
        "the memory. The old behaviour: the full build's seconds once a day, and every page "
        "written uploaded.)"
    )
    if sample is not None and sample.seconds:
        each, how = statistics.mean(sample.seconds), "the re-publish's mean here"
    else:
        each, how = per_client, "the build's per-client seconds"
    lambda_day = each * peak.clients
    verdict = "—"
    if (args.clients, args.invoices) == REFERENCE:
        verdict = "PASS" if lambda_day <= TARGET_LAMBDA_S else "FAIL"
    print(
        f"Target ≤ {TARGET_LAMBDA_S:g} s of Lambda time a day: the busiest day, "
        f"{peak.clients:,} clients × {each * 1000:.1f} ms ({how}) = {lambda_day:.1f} s "
        f"({verdict} at this machine's speed); on a 512 MB function (~0.29 vCPU) up to "
        f"~{lambda_day * LAMBDA_SLOWER:.0f} s"
    )
    for note in notes:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the daily boundary re-publish.")
    parser.add_argument("--clients", type=int, default=REFERENCE[0])
    parser.add_argument("--invoices", type=int, default=REFERENCE[1], help="invoices per client")
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    parser.add_argument("--workdir", type=Path, default=BENCH / "out")
    parser.add_argument(
        "--sample",
        type=int,
        default=200,
        help="clients due on day 1 to re-publish as the Lambda does (0: none)",
    )
    args = parser.parse_args(argv)
    args.workdir = args.workdir.resolve()
    os.environ.setdefault("PORTAL_SECRET", BENCH_SECRET)

    content, origin = ensure_content(args)
    print(f"content: {origin}", file=sys.stderr)
    from site_builder.errors import ContentInvalid

    try:
        first, again, days, sample, notes = run(args, content)
    except ContentInvalid as exc:
        print(f"the build refused the generated content: {exc}", file=sys.stderr)
        for error in exc.errors[:20]:
            print(f"  {error}", file=sys.stderr)
        return 1
    show(args, origin, first, again, days, sample, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
