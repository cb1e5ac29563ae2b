"""Files to a bucket by content hash: only new or changed files go up, files gone are deleted,
and only the paths that changed are invalidated in CloudFront.

The hash is S3's own ETag, the MD5 of the bytes for a single-part upload without KMS (the
buckets use SSE-S3): one LIST call per thousand objects tells what the bucket holds, and an
object changed by anything else (a re-publish after a payment) is still seen for what it is.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

UPLOAD_THREADS = 16
DELETE_BATCH = 1000  # DeleteObjects' limit
# CloudFront bills each invalidated path past 1,000 a month ($0.005), and a wildcard counts as
# one: up to this many changed paths are invalidated exactly, then by client folder, and past
# that "/*" (one path for a whole billing run)
MAX_PATHS = 30

# browsers and the edge revalidate pages on every view (see the template's PagesCachePolicy)
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"  # assets/<content-hash>.css
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",  # invoices/<number>.pdf, receipts/<number>.pdf
}


@dataclass
class SyncReport:
    uploaded: list[str] = field(default_factory=list)  # new or changed keys
    changed: list[str] = field(default_factory=list)  # of those, the ones that existed before
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def folder_files(root: Path) -> dict[str, Path]:
    """Every file under ``root`` by its key (relative POSIX path)."""
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def remote_hashes(s3: Any, bucket: str, prefix: str = "") -> dict[str, str]:
    """Key -> ETag (quotes stripped) of what the bucket holds under ``prefix``."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def plan(
    local: Mapping[str, str], remote: Mapping[str, str], owned: Callable[[str], bool]
) -> tuple[list[str], list[str], list[str]]:
    """(to upload, of which changed, to delete): pure, from the hashes on both sides."""
    upload = sorted(k for k, h in local.items() if remote.get(k) != h)
    changed = [k for k in upload if k in remote]
    delete = sorted(k for k in remote if k not in local and owned(k))
    return upload, changed, delete


def headers(key: str) -> dict[str, str]:
    suffix = Path(key).suffix
    cache = ASSET_CACHE if key.startswith("assets/") else PAGE_CACHE
    return {"ContentType": TYPES.get(suffix, "application/octet-stream"), "CacheControl": cache}


def sync(
    s3: Any,
    bucket: str,
    files: Mapping[str, Path],
    *,
    owned: Callable[[str], bool] = lambda key: True,
    prefix: str = "",
) -> SyncReport:
    """Make ``bucket`` hold ``files``; delete the keys ``owned`` says are ours and gone.

    Uploads come first, assets before pages, deletions last: a page never names a missing file.
    """
    local = {key: md5(path) for key, path in files.items()}
    remote = remote_hashes(s3, bucket, prefix)
    upload, changed, delete = plan(local, remote, owned)
    upload.sort(key=lambda k: (not k.startswith("assets/"), k))

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=files[key].read_bytes(), **headers(key))

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        list(pool.map(put, upload))
    for start in range(0, len(delete), DELETE_BATCH):
        batch = delete[start : start + DELETE_BATCH]
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise RuntimeError(
                f"S3 did not delete {first['Key']} from {bucket}: {first['Message']}"
            )
    return SyncReport(upload, changed, delete, len(local) - len(upload))


def invalidation_paths(keys: list[str], limit: int = MAX_PATHS) -> list[str]:
    """The CloudFront paths for changed keys: exact while few, by client folder when many."""
    paths = sorted({"/" + quote(key) for key in keys})
    if len(paths) <= limit:
        return paths
    folders = sorted({_folder(key) for key in keys})
    return folders if len(folders) <= limit else ["/*"]


def _folder(key: str) -> str:
    parts = key.split("/")
    if parts[0] == "c" and len(parts) > 2:
        return f"/c/{quote(parts[1])}/*"  # one client's whole portal
    return "/" + quote(key)


def invalidate(cloudfront: Any, distribution_id: str, keys: list[str]) -> list[str]:
    """Invalidate what changed or went (new files were never cached); returns the paths."""
    paths = invalidation_paths(keys)
    if paths:
        cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"portal-{time.time_ns()}",
            },
        )
    return paths
