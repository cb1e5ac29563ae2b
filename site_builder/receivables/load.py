"""Reading what receivables are computed from: the build's ledger and the agency's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from site_builder import content as cnt
from site_builder.errors import ContentError, ContentInvalid
from site_builder.model import Agency


class NoBuild(Exception):
    """There is no build to report on (or its ledger cannot be read)."""


@dataclass(frozen=True)
class Ledger:
    build_day: str  # the day the build computed its amounts for
    generated: str  # when the build ran
    invoices: dict[str, dict[str, Any]]

    @property
    def complete(self) -> bool:
        """Whether the build wrote the receivables fields (builds before them did not)."""
        return all("payments" in e for e in self.invoices.values())


def load_ledger(build_dir: Path) -> Ledger:
    path = build_dir / "ledger.json"
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise NoBuild(f"no {path}: run portal build first") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise NoBuild(f"cannot read {path}: {exc}") from None
    return Ledger(data.get("today", ""), data.get("generated", ""), data.get("invoices", {}))


def load_agency(content: Path) -> Agency:
    """The agency's settings (one small file), validated; ContentInvalid names file and line."""
    try:  # only this file: scanning the whole content tree would cost a second at 100,000
        stat = (content / "agency.yaml").stat()
    except OSError:
        raise ContentInvalid(
            [ContentError("agency.yaml", None, "", f"missing in {content}: the agency's settings")]
        ) from None
    source = cnt.Source("agency.yaml", "agency", "agency", stat.st_mtime_ns, stat.st_size)
    validator = cnt.Validator(content)
    agency = validator.agency(cnt.read(content, source))
    if agency is None:
        raise ContentInvalid(validator.errors)
    return agency
