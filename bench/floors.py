"""What a cold build cannot go below on this machine, whatever the renderer: the floors.

    python bench/floors.py [--workdir bench/out]

Run it after ``bench/build.py``, on what that left in ``<workdir>``: the generated
``content/`` and the built ``site/public/``. It times, in two processes as the build runs:

1. the scan: ``content.scan``, the build's own (every name and stat);
2. YAML: every content file composed by libyaml, no values made, nothing validated;
3. files: every file of ``public/`` created again, in a fresh folder, from bytes already
   in memory (no rendering): the folders made, each file opened, written and closed.

Then it prints what is left of the full build's 15 s target for everything else the build
does for a client (validate, bill, lay out, render), as CPU milliseconds per client on two
cores. The copy is removed once the figures are printed; on this disk that takes minutes,
and files created meanwhile are slower, so time nothing else until the script returns.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: make `site_builder` importable
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from site_builder import content as cnt  # noqa: E402
from site_builder.readers import _Loader  # noqa: E402

TARGET_S = 15.0
WORKERS = 2  # the build's processes on this machine (site_builder.build: one per core)


def _files(root: Path) -> list[Path]:
    return sorted(Path(folder, name) for folder, _, names in os.walk(root) for name in names)


def dealt(items: list[Path]) -> list[list[Path]]:
    """Every other file to each process: even shares, as the build's read hands out chunks."""
    return [items[i::WORKERS] for i in range(WORKERS)]


def runs(items: list[Path]) -> list[list[Path]]:
    """Runs of the sorted paths, as the build's render workers take whole clients: no two
    processes make files in one folder at once."""
    size = -(-len(items) // WORKERS)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _in_two(
    halves: list[list[Path]],
    load: Callable[[Path], object],
    timed: Callable[[list[object]], None],
) -> float:
    """Both halves loaded first (untimed), then ``timed`` on each at once: the slower's s."""
    fork = multiprocessing.get_context("fork")
    ready = fork.Barrier(len(halves))
    results = fork.SimpleQueue()

    def child(half: list[Path]) -> None:
        loaded = [load(p) for p in half]
        ready.wait()
        started = time.perf_counter()
        timed(loaded)
        results.put(time.perf_counter() - started)

    procs = [fork.Process(target=child, args=(h,)) for h in halves]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a timing process failed (exit code {p.exitcode})")
    return max(results.get() for _ in procs)


def compose_all(texts: list[object]) -> None:
    for text in texts:
        yaml.compose(text, Loader=_Loader)


def create_all(into: Path) -> Callable[[list[object]], None]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC

    def create(files: list[object]) -> None:
        made: set[str] = set()
        for rel, data in files:  # type: ignore[misc]
            path = f"{into}/{rel}"
            folder = path.rpartition("/")[0]
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            fd = os.open(path, flags, 0o666)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    return create


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=BENCH / "out")
    args = parser.parse_args(argv)
    content, public = args.workdir / "content", args.workdir / "site" / "public"
    if not (content / "agency.yaml").exists() or not public.is_dir():
        print(f"run bench/build.py first: it leaves {content} and {public}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    sources, _ = cnt.scan(content)
    scan_s = time.perf_counter() - started
    clients = sum(1 for s in sources if s.kind == "client")

    yaml_files = [content / s.rel for s in sources if s.rel.endswith((".yaml", ".yml"))]
    yaml_s = _in_two(dealt(yaml_files), lambda p: p.read_text(encoding="utf-8"), compose_all)

    site = _files(public)
    copy = args.workdir / f"floors-{os.getpid()}"
    load = lambda p: (p.relative_to(public).as_posix(), p.read_bytes())  # noqa: E731
    create_s = _in_two(runs(site), load, create_all(copy))
    floor = scan_s + yaml_s + create_s
    left_ms = (TARGET_S - floor) * WORKERS / clients * 1000
    print(f"content: {clients:,} clients, {len(sources):,} files; public/: {len(site):,} files")
    print(f"scan (content.scan, one process)        {scan_s:6.2f} s")
    print(f"YAML composed, nothing made of it (x2)  {yaml_s:6.2f} s  ({len(yaml_files):,} files)")
    print(f"public/ files created from memory (x2)  {create_s:6.2f} s  ({len(site):,} files)")
    print(f"floor                                   {floor:6.2f} s of the {TARGET_S:g} s target")
    print(f"left for the rest, per client:          {left_ms:6.2f} ms of CPU on {WORKERS} cores")
    print(f"load average {os.getloadavg()[0]:.1f}; removing the copy", flush=True)
    shutil.rmtree(copy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
