"""manifest.json: what an export (or a hub merge) holds, and the checksums that prove it.

Every payload file is listed with its size and sha256; a hub verifies them before it
reads anything. The creation time honours SOURCE_DATE_EPOCH (the reproducible-builds
convention), so a rerun can be made byte-identical when that matters.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from varnode import __version__
from varnode.errors import VarnodeError
from varnode.provenance.metadata import package_versions, sha256_of

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
PYTHON_PACKAGES = ("cyvcf2", "pysam", "numpy", "pyarrow")


def created_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.isoformat(timespec="seconds")


def software() -> dict[str, str | None]:
    return {"varnode": __version__, **package_versions(PYTHON_PACKAGES)}


def file_entries(directory: Path, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Manifest entries of payload files: {file name: kind} -> path, kind, size, sha256."""
    return [
        {
            "path": name,
            "kind": kind,
            "size": (directory / name).stat().st_size,
            "sha256": sha256_of(directory / name),
        }
        for name, kind in sorted(kinds.items())
    ]


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def load_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise VarnodeError(f"{directory}: no {MANIFEST} (not an export)")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise VarnodeError(f"{path} line {error.lineno}: not valid JSON ({error.msg})") from None
    for key in ("node_id", "dataset_id", "assembly", "floor", "files"):
        if key not in manifest:
            raise VarnodeError(f"{path}: field {key!r} missing")
    return manifest


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every listed file exists with its recorded size and sha256; nothing else is there."""
    node = manifest.get("node_id", directory)
    listed = {entry["path"] for entry in manifest["files"]}
    for entry in manifest["files"]:
        path = directory / entry["path"]
        if Path(entry["path"]).name != entry["path"]:
            raise VarnodeError(
                f"node {node}: {MANIFEST} lists a path outside the export: {entry['path']}"
            )
        if not path.is_file():
            raise VarnodeError(f"node {node}: {path} is listed in {MANIFEST} but missing")
        if path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise VarnodeError(f"node {node}: {path} does not match its sha256 in {MANIFEST}")
    extra = sorted(p.name for p in directory.iterdir() if p.name not in listed | {MANIFEST})
    if extra:
        raise VarnodeError(f"node {node}: files not in {MANIFEST}: {', '.join(extra)}")


def payload(manifest: dict[str, Any], kind: str) -> str:
    """File name of the payload of a kind (sites_vcf, parquet, callable)."""
    for entry in manifest["files"]:
        if entry.get("kind") == kind:
            return entry["path"]
    raise VarnodeError(f"node {manifest['node_id']}: {MANIFEST} lists no {kind} file")
