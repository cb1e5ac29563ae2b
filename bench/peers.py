"""Hugo on the same page count, for a ratio that a noisy machine cannot flatter.

    python bench/peers.py [--clients 10000] [--invoices 10] [--workdir bench/out]

Writes a Hugo site with one Markdown page per portal and per invoice page that the
portal build makes (``clients × (1 + invoices)``: 110,000 at 10,000 × 10), each about 300
words with a 10-row table, the comparison of issue 16, under minimal layouts (no taxonomies,
RSS or sitemap), into ``<workdir>/hugo`` (kept while the same arguments made it), then times
``hugo`` there:

1. full: the previous ``public/`` moved aside (not deleted: a mass delete slows the next
   mass create on this disk), then a build;
2. no change: ``hugo`` again over its own output;
3. one page changed: one word added to one page, ``hugo`` again (Hugo's command-line build
   renders every page each time; only ``hugo server`` keeps a site in memory), then the page
   is put back.

``bench/build.py`` runs it in the same run as the portal's builds and prints the ratios.
``make bench`` installs Debian's ``hugo`` when it is missing; nothing else needs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
STAMP = "stamp.json"
WORDS = [
    "invoice",
    "client",
    "retainer",
    "design",
    "review",
    "scope",
    "sprint",
    "launch",
    "copy",
    "layout",
    "brand",
    "audit",
    "research",
    "workshop",
    "strategy",
    "content",
    "update",
    "support",
    "hours",
    "expense",
    "travel",
    "licence",
    "photography",
    "editing",
    "delivery",
    "milestone",
    "approval",
    "revision",
    "meeting",
    "planning",
    "report",
    "the",
    "a",
    "of",
    "and",
    "to",
    "for",
    "with",
    "on",
    "in",
    "by",
    "from",
    "per",
    "each",
    "this",
    "that",
    "next",
    "final",
    "first",
]

CONFIG = """\
baseURL = "https://peer.example/"
title = "Peer"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = false
"""
BASEOF = """\
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>\
<link rel="stylesheet" href="/portal.css"></head><body><main>{{ block "main" . }}{{ end }}\
</main></body></html>
"""
SINGLE = '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n'
LIST = '{{ define "main" }}<h1>{{ .Title }}</h1>{{ end }}\n'


@dataclass
class Timing:
    scenario: str
    seconds: float
    pages: int


def page(rng: random.Random, n: int) -> str:
    """About 300 words of prose and a 10-row table, as Markdown with front matter."""
    prose = []
    for _ in range(5):
        prose.append(" ".join(rng.choice(WORDS) for _ in range(56)).capitalize() + ".")
    rows = [
        f"| {i + 1} | {rng.choice(WORDS)} {rng.choice(WORDS)} | {rng.randint(1, 40)} "
        f"| {rng.randint(50, 900)}.00 | {rng.randint(50, 36000)}.00 |"
        for i in range(10)
    ]
    return (
        f'---\ntitle: "Page {n}"\n---\n\n'
        + "\n\n".join(prose[:3])
        + "\n\n| # | item | qty | price | amount |\n|---:|---|---:|---:|---:|\n"
        + "\n".join(rows)
        + "\n\n"
        + "\n\n".join(prose[3:])
        + "\n"
    )


def ensure_site(site: Path, pages: int, seed: int = 1) -> str:
    """The Hugo site in ``site``, written unless its stamp says the same pages are there."""
    wanted = {"pages": pages, "seed": seed, "generator": _self_hash()}
    try:
        if json.loads((site / STAMP).read_text()) == wanted:
            return f"Hugo site reused ({pages:,} pages)"
    except (OSError, ValueError):
        pass
    started = time.perf_counter()
    if site.exists():
        os.replace(site, site.with_name(f"{site.name}.old-{os.getpid()}"))
    rng = random.Random(seed)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(CONFIG)
    (site / "layouts" / "_default" / "baseof.html").write_text(BASEOF)
    (site / "layouts" / "_default" / "single.html").write_text(SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(LIST)
    folder = site / "content" / "p"
    folder.mkdir(parents=True)
    for n in range(pages):
        with open(folder / f"{n:06d}.md", "w", encoding="utf-8", newline="\n") as f:
            f.write(page(rng, n))
    (site / STAMP).write_text(json.dumps(wanted))
    return f"Hugo site written ({pages:,} pages) in {time.perf_counter() - started:.1f} s"


def _self_hash() -> str:
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def hugo_path() -> str | None:
    return shutil.which("hugo")


def hugo_version() -> str:
    exe = hugo_path()
    if exe is None:
        return "not installed"
    out = subprocess.run([exe, "version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().split(" BuildDate")[0]


def _hugo(site: Path) -> float:
    exe = hugo_path()
    assert exe is not None
    started = time.perf_counter()
    subprocess.run(
        [exe, "--quiet", "--source", str(site), "--destination", str(site / "public")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def run(site: Path, pages: int) -> tuple[list[Timing], float]:
    """Hugo's three builds; and its peak resident memory in MiB (of all children so far)."""
    public = site / "public"
    if public.exists():
        os.replace(public, site / f"public.old-{os.getpid()}-{time.time_ns()}")
    timings = [Timing("full (cold)", _hugo(site), pages)]
    timings.append(Timing("no change", _hugo(site), pages))
    target = site / "content" / "p" / f"{pages // 2:06d}.md"
    original = target.read_bytes()
    try:
        target.write_bytes(original.replace(b"\n\n", b" changed\n\n", 1))
        timings.append(Timing("incremental", _hugo(site), pages))
    finally:
        target.write_bytes(original)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return timings, peak


def clear_moved(site: Path) -> None:
    """Old output moved aside by ``run``: deleted once every timing is done."""
    for old in site.glob("public.old-*"):
        shutil.rmtree(old, ignore_errors=True)
    for old in site.parent.glob(f"{site.name}.old-*"):
        shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time Hugo on the portal's page count.")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=10)
    parser.add_argument("--workdir", type=Path, default=BENCH / "out")
    args = parser.parse_args(argv)
    if hugo_path() is None:
        print("hugo is not installed (make bench installs Debian's)", file=sys.stderr)
        return 1
    pages = args.clients * (1 + args.invoices)
    site = args.workdir.resolve() / "hugo"
    print(ensure_site(site, pages))
    timings, peak = run(site, pages)
    clear_moved(site)
    print(f"{hugo_version()}, {pages:,} pages")
    for t in timings:
        print(f"  {t.scenario:12} {t.seconds:8.3f} s  {t.pages / t.seconds:8,.0f} pages/s")
    print(f"  peak memory {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
