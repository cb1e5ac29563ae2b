"""Where the public site lives: a local folder, or the S3 bucket behind CloudFront.

Re-publishing one client compares what it rendered with what the site holds
under that client's prefix and writes only the difference, so a payment costs
a handful of PUTs, never a site upload.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from site_builder.writer import write_atomic

CACHE_PAGES = "no-cache"  # pages change after a payment: revalidate each time


class Site(Protocol):
    def fingerprints(self, prefix: str) -> dict[str, str]:
        """path -> fingerprint of every file under ``prefix`` ("c/<token>/")."""
        ...

    def fingerprint(self, data: bytes) -> str: ...
    def put(self, path: str, data: bytes) -> None: ...
    def delete(self, paths: Iterable[str]) -> None: ...


def content_type(path: str) -> str:
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


class FolderSite:
    """``public/`` on this machine (``portal serve``, tests)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def fingerprints(self, prefix: str) -> dict[str, str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return {}
        return {
            p.relative_to(self.root).as_posix(): self.fingerprint(p.read_bytes())
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        }

    def fingerprint(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def put(self, path: str, data: bytes) -> None:
        write_atomic(self.root / path, data)

    def delete(self, paths: Iterable[str]) -> None:
        for path in paths:
            (self.root / path).unlink(missing_ok=True)


class S3Site:
    """The site bucket behind CloudFront.

    Pages go up with ``Cache-Control: no-cache``, so CloudFront revalidates them on
    every view and a re-published page needs no invalidation (which is billed per path).
    """

    def __init__(self, bucket: str, s3: Any) -> None:
        self.bucket, self.s3 = bucket, s3

    def fingerprints(self, prefix: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for obj in page.get("Contents", []):
                found[obj["Key"]] = obj["ETag"].strip('"')
        return found

    def fingerprint(self, data: bytes) -> str:
        # the ETag of a single-part PUT is the MD5 of the body: not a security use
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    def put(self, path: str, data: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=path,
            Body=data,
            ContentType=content_type(path),
            CacheControl=CACHE_PAGES,
        )

    def delete(self, paths: Iterable[str]) -> None:
        keys = [{"Key": p} for p in paths]
        for start in range(0, len(keys), 1000):  # S3's limit per request
            self.s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
            )
