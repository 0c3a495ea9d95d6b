"""`varnode unstamp-report`: a tool's HTML report without the time and chance it was made.

fastp stamps its HTML with the wall-clock time (title and footer). MultiQC writes the
creation time, a random report UUID and a gzip member whose header holds the time it
was compressed. Two runs of the same data thus give different bytes. The time belongs
to the run metadata (run.json, the RO-Crate); this removes it and nothing else, and
replaces MultiQC's random UUID by one derived from the report's own content. A report
without the expected stamps is an error: a tool version that writes another layout
must be looked at, not passed through unchecked.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import uuid
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError

# "fastp report at 2026-12-01      03:08:15 " (title), "fastp 0.23.2, at 2026-12-01 ..."
FASTP_TIME = re.compile(r"(fastp report|fastp [\w.+-]+),? at \d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}")
MULTIQC_UUID = re.compile(r'^(reportUuid = ")[0-9a-f-]+(";)$', re.MULTILINE)
MULTIQC_DATE = re.compile(r'^(configCreationDate = ")[^"]*(";)$', re.MULTILINE)
MULTIQC_DATA = re.compile(r'(id="mqc_compressed_plotdata">)([A-Za-z0-9+/=]+)(<)')
GZIP_MAGIC = b"\x1f\x8b"


def _substitute(pattern: re.Pattern, replacement, text: str, what: str) -> str:
    cleaned, count = pattern.subn(replacement, text)
    if count == 0:
        raise VarnodeError(f"no {what} found: not the report layout this step knows")
    return cleaned


def fastp_without_stamps(html: str) -> str:
    return _substitute(FASTP_TIME, r"\1", html, "fastp run-time stamp")


def _gzip_without_time(match: re.Match) -> str:
    """The gzip member with its header's MTIME field (bytes 4-7) set to 0 (no time)."""
    data = bytearray(base64.b64decode(match.group(2)))
    if data[:2] != GZIP_MAGIC:
        raise VarnodeError("MultiQC plot data is not gzip")
    data[4:8] = b"\0\0\0\0"
    return match.group(1) + base64.b64encode(bytes(data)).decode() + match.group(3)


def multiqc_without_stamps(html: str) -> str:
    html = _substitute(MULTIQC_DATE, r"\1\2", html, "MultiQC creation date")
    html = _substitute(MULTIQC_DATA, _gzip_without_time, html, "MultiQC plot data")
    # A UUID from the content (with the random one blanked): the same report, the same id.
    blank = _substitute(MULTIQC_UUID, r"\1\2", html, "MultiQC report UUID")
    derived = uuid.UUID(hashlib.sha256(blank.encode()).hexdigest()[:32])
    return MULTIQC_UUID.sub(rf"\g<1>{derived}\g<2>", html)


CLEANERS = {"fastp": fastp_without_stamps, "multiqc": multiqc_without_stamps}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tool", choices=sorted(CLEANERS), help="tool that wrote the report")
    parser.add_argument("input", type=Path, help="the tool's HTML report")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="the same report without its stamps"
    )


def run(args: argparse.Namespace) -> int:
    try:
        html = args.input.read_text()
        write_text_atomic(args.output, CLEANERS[args.tool](html))
    except (OSError, VarnodeError) as error:
        raise VarnodeError(f"{args.input}: {error}") from None
    return 0
