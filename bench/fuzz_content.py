"""Fuzz the content for longer than the test suite does, and list what it found.

    python bench/fuzz_content.py [--examples 2000] [--seed 1]

Runs the edits of ``tests/functional/test_fuzz_content.py`` (a copy of the sample
content, one to three edits, then what ``portal check`` runs and, when that finds
nothing, a full build) without stopping at the first failure. Prints the examples
run, the seconds taken, how many were refused with problems and how many built, the
distinct problems ``portal check`` reported (their messages with values blanked out,
most frequent first) and every crash: an exception other than ContentInvalid, or a
problem that names no file or spans lines. A crash is a bug in the reader or the model.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` and `site_builder` importable
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from site_builder.errors import ContentError  # noqa: E402
from tests.functional.test_fuzz_content import Edit, examples, run_example  # noqa: E402

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBER = re.compile(r"(?<!U\+)\b\d[\d,._]*")  # not the code of a character: U+000A


def kind_of(error: ContentError) -> str:
    """A problem with its values blanked out, so that problems of one kind count together."""
    text = _QUOTED.sub("'…'", error.message)
    text = _NUMBER.sub("N", text)
    text = text.split(", got ")[0]
    return text[:110]


def crash_of(exc: BaseException) -> str:
    """Where and what: the innermost frame in the project's code, and the exception."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename
    ]
    place = next(
        (f"{Path(f.filename).relative_to(ROOT)}:{f.lineno}" for f in reversed(frames)
         if f.filename.startswith(str(ROOT)) and "/tests/" not in f.filename),
        "tests",
    )  # fmt: skip
    first = (str(exc).splitlines() or [""])[0][:100]
    return f"{type(exc).__name__} at {place}: {first}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    problems: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    crash_example: dict[str, list[Edit]] = {}
    outcome: Counter[str] = Counter()

    def record(errors: list[ContentError]) -> None:
        outcome["refused" if errors else "built"] += 1
        problems.update({kind_of(e) for e in errors})

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every example counts; nothing is shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(changes=examples)
    def fuzz(changes: list[Edit]) -> None:
        try:
            run_example(changes, record)
        except Exception as exc:  # the point: list every crash, stop at none
            outcome["crashed"] += 1
            what = crash_of(exc)
            crashes[what] += 1
            crash_example.setdefault(what, changes)

    started = time.perf_counter()
    fuzz()
    seconds = time.perf_counter() - started
    run = sum(outcome.values())

    print(f"examples run: {run}   seconds: {seconds:.1f}   ({run / seconds:.1f} per second)")
    print(
        f"refused with problems: {outcome['refused']}   built: {outcome['built']}   "
        f"crashed: {outcome['crashed']}"
    )
    print(f"\ndistinct problems reported ({len(problems)}):")
    for text, count in problems.most_common():
        print(f"  {count:6}  {text}")
    print(f"\ncrashes ({len(crashes)} distinct):" if crashes else "\ncrashes: none")
    for what, count in crashes.most_common():
        print(f"  {count:6}  {what}")
        print(f"          e.g. {crash_example[what]!r}"[:400])
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
