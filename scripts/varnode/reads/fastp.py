"""`varnode check-fastp`: fastp's exit status is not proof that it read its input.

fastp 0.23 logs "ERROR" or "WARNNIG: different read numbers" (sic) for a truncated or
mismatched pair and still exits 0 with the reads it managed to read. This check fails
the trimming job on any such log line, and when fastp's JSON does not count exactly the
reads `varnode check-reads` counted in the same files.

Standard library only: it runs in fastp's own (conda) environment.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from varnode.errors import VarnodeError

# fastp's warnings (spelled WARNNIG in 0.23) and errors, which start their line; its
# progress lines never match, nor do file names (the trimming job's log also holds
# varnode check-reads' report, which names the FASTQs).
FASTP_PROBLEM = re.compile(r"\s*(ERROR|WARN\w*)\b")


def logged_problems(log: Path) -> list[str]:
    return [
        f"{log} line {number}: {line.strip()}"
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), start=1)
        if FASTP_PROBLEM.match(line)
    ]


def fastp_reads(report: Path) -> int:
    """Reads fastp read from both mates (summary.before_filtering.total_reads)."""
    try:
        return int(json.loads(report.read_text())["summary"]["before_filtering"]["total_reads"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise VarnodeError(f"{report}: not a complete fastp JSON report ({error})") from None


def check_fastp(report: Path, log: Path, counts: Path) -> int:
    """The number of reads fastp read; VarnodeError naming the log line or the counts."""
    problems = logged_problems(log)
    if problems:
        raise VarnodeError("fastp reported problems with its input:\n  " + "\n  ".join(problems))
    expected = json.loads(counts.read_text())
    pairs = int(expected["pairs"])
    read = fastp_reads(report)
    if read != 2 * pairs:
        raise VarnodeError(
            f"{report}: fastp read {read} reads, but {expected['r1']['path']} and "
            f"{expected['r2']['path']} hold {2 * pairs} ({pairs} pairs, {counts})"
        )
    return read


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, required=True, help="fastp's JSON report")
    parser.add_argument("--log", type=Path, required=True, help="fastp's stderr log")
    parser.add_argument(
        "--counts", type=Path, required=True, help="`varnode check-reads` JSON of the inputs"
    )


def run(args: argparse.Namespace) -> int:
    read = check_fastp(args.json, args.log, args.counts)
    print(f"{args.json}: fastp read all {read} reads, no errors or warnings logged")
    return 0
