"""Parsers of raw tool outputs into plain Python values.

Every parser takes a path and raises `VarnodeError` naming the file (and line, where
there is one) when the file is absent or not what the tool writes; the page builders
turn that error into a "not available" note instead of a crash.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from varnode.errors import VarnodeError

T = TypeVar("T")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise VarnodeError(f"{path}: file not found")
    try:
        # utf-8-sig: a byte-order mark (a sample sheet saved by a spreadsheet) is not text.
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise VarnodeError(f"{path}: cannot read ({error})") from error


def _number(text: str, path: Path, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise VarnodeError(f"{path}: {where}: expected a number, found {text!r}") from None


def parse_integer(text: str, path: Path, where: str) -> int:
    value = _number(text, path, where)
    if not value.is_integer():
        raise VarnodeError(f"{path}: {where}: expected an integer, found {text!r}")
    return int(value)


def parse_fastp(path: Path) -> dict[str, Any]:
    """Read and trimming counts of one fastp JSON report (one sequencing unit)."""
    text = _read_text(path)
    try:
        report = json.loads(text)
        before = report["summary"]["before_filtering"]
        after = report["summary"]["after_filtering"]
        filtering = report["filtering_result"]
        return {
            "reads_before": int(before["total_reads"]),
            "bases_before": int(before["total_bases"]),
            "reads_after": int(after["total_reads"]),
            "bases_after": int(after["total_bases"]),
            "q30_bases_after": int(after["q30_bases"]),
            "gc_content_after": float(after["gc_content"]),
            "low_quality_reads": int(filtering["low_quality_reads"]),
            "too_many_n_reads": int(filtering["too_many_N_reads"]),
            "too_short_reads": int(filtering["too_short_reads"]),
            "adapter_trimmed_reads": int(
                report.get("adapter_cutting", {}).get("adapter_trimmed_reads", 0)
            ),
            "fastp_version": str(report["summary"].get("fastp_version", "")),
            # mean base quality per read position after trimming, per mate
            "quality_curves": {
                mate: [float(q) for q in report[key]["quality_curves"]["mean"]]
                for mate, key in (("R1", "read1_after_filtering"), ("R2", "read2_after_filtering"))
                if key in report
            },
        }
    except json.JSONDecodeError as error:
        raise VarnodeError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    except (KeyError, TypeError, ValueError) as error:
        raise VarnodeError(f"{path}: not a fastp report (missing or bad field {error})") from None


def _tab_records(text: str, tag: str) -> list[tuple[int, list[str]]]:
    """(line number, fields after the tag) of every line starting with `tag<TAB>`."""
    prefix = f"{tag}\t"
    return [
        (number, line.split("#", 1)[0].rstrip("\t ").split("\t")[1:])
        for number, line in enumerate(text.splitlines(), start=1)
        if line.startswith(prefix)
    ]


def parse_samtools_stats(path: Path) -> dict[str, Any]:
    """`samtools stats`: the SN summary (keys as samtools names them) and the IS histogram.

    Returns {"summary": {name: number}, "insert_sizes": [(size, pairs), ...]}.
    """
    text = _read_text(path)
    summary: dict[str, float] = {}
    for number, fields in _tab_records(text, "SN"):
        if len(fields) < 2:
            raise VarnodeError(f"{path}: line {number}: SN line with no value")
        name = fields[0].rstrip(":")
        summary[name] = _number(fields[1], path, f"line {number} ({name})")
    if "raw total sequences" not in summary:
        raise VarnodeError(f"{path}: not samtools stats output (no 'SN raw total sequences')")
    insert_sizes = [
        (
            parse_integer(fields[0], path, f"line {number} (IS size)"),
            parse_integer(fields[1], path, f"line {number} (IS pairs)"),
        )
        for number, fields in _tab_records(text, "IS")
    ]
    return {"summary": summary, "insert_sizes": insert_sizes}


FLAGSTAT_LINE = re.compile(r"^(\d+) \+ (\d+) (.+)$")
# The trailing parenthesis flagstat adds to a category that is not part of its name:
# percentages ("(99.96% : N/A)", "(N/A : N/A)") and the total's legend. Qualifiers such
# as "(mapQ>=5)" are part of the name and stay.
FLAGSTAT_ANNOTATION = re.compile(
    r" \((?:[\d.]+%|N/A) : (?:[\d.]+%|N/A)\)$| \(QC-passed reads \+ QC-failed reads\)$"
)


def parse_flagstat(path: Path) -> list[dict[str, Any]]:
    """`samtools flagstat` (default text format): one row per category, its name with
    its qualifier (e.g. "with mate mapped to a different chr (mapQ>=5)")."""
    rows = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        match = FLAGSTAT_LINE.match(line)
        if not match:
            raise VarnodeError(f"{path}: line {number}: not a flagstat line: {line!r}")
        passed, failed, category = match.groups()
        category = FLAGSTAT_ANNOTATION.sub("", category)
        rows.append({"category": category, "qc_passed": int(passed), "qc_failed": int(failed)})
    if not rows:
        raise VarnodeError(f"{path}: empty flagstat output")
    return rows


def parse_markdup(path: Path) -> dict[str, int]:
    """`samtools markdup -f` statistics: counter name (e.g. 'DUPLICATE TOTAL') -> value."""
    counters: dict[str, int] = {}
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        name, sep, value = line.partition(":")
        if not sep or name == "COMMAND":
            continue
        counters[name.strip()] = parse_integer(value.strip(), path, f"line {number} ({name})")
    for required in ("EXAMINED", "DUPLICATE PRIMARY TOTAL"):
        if required not in counters:
            raise VarnodeError(f"{path}: not samtools markdup statistics (no {required!r})")
    return counters


def parse_mosdepth_summary(path: Path) -> list[dict[str, Any]]:
    """`mosdepth` *.mosdepth.summary.txt: one row per contig plus 'total' rows."""
    rows = read_tsv(path)
    for number, row in enumerate(rows, start=2):
        for column in ("chrom", "length", "bases", "mean", "min", "max"):
            if column not in row:
                raise VarnodeError(f"{path}: not a mosdepth summary (no column {column!r})")
        for column in ("length", "bases", "mean", "min", "max"):
            row[column] = _number(row[column], path, f"line {number} ({column})")
    return rows


def parse_mosdepth_dist(path: Path) -> list[tuple[int, float]]:
    """`mosdepth` *.global.dist.txt 'total' rows: (depth, fraction of bases >= depth),
    sorted by depth."""
    points = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise VarnodeError(f"{path}: line {number}: expected 3 tab-separated fields")
        if fields[0] == "total":
            points.append(
                (
                    parse_integer(fields[1], path, f"line {number} (depth)"),
                    _number(fields[2], path, f"line {number} (fraction)"),
                )
            )
    if not points:
        raise VarnodeError(f"{path}: no 'total' rows (not a mosdepth global distribution)")
    return sorted(points)


STATS_COMMAND = "# The command line was:"
PASS_FILTER = re.compile(r"(?:^|\s)(?:-f|--apply-filters)[ =]?['\"]?PASS['\"]?(?:\s|$)")


def counted_records(text: str) -> str:
    """Which records a `bcftools stats` output counts, from the command line it records:
    "PASS" (run with -f PASS) or "all"."""
    command = next(
        (line for line in text.splitlines() if line.startswith(STATS_COMMAND)), ""
    ).removeprefix(STATS_COMMAND)
    return "PASS" if PASS_FILTER.search(command) else "all"


def parse_bcftools_stats(path: Path) -> dict[str, Any]:
    """`bcftools stats` of a single VCF: SN counts, the first TSTV row, and which records
    were counted (`counted`: "PASS" or "all")."""
    text = _read_text(path)
    summary: dict[str, int] = {}
    for number, fields in _tab_records(text, "SN"):
        if len(fields) < 3:
            raise VarnodeError(f"{path}: line {number}: SN line with too few fields")
        name = fields[1].removeprefix("number of ").rstrip(":")
        summary[name] = parse_integer(fields[2], path, f"line {number} ({name})")
    if "records" not in summary:
        raise VarnodeError(f"{path}: not bcftools stats output (no 'number of records')")
    tstv = _tab_records(text, "TSTV")
    if tstv:
        number, fields = tstv[0]
        ts = parse_integer(fields[1], path, f"line {number} (ts)")
        tv = parse_integer(fields[2], path, f"line {number} (tv)")
    else:
        ts = tv = 0
    return {
        "records": summary["records"],
        "snvs": summary.get("SNPs", 0),
        "mnps": summary.get("MNPs", 0),
        "indels": summary.get("indels", 0),
        "others": summary.get("others", 0),
        "multiallelic_sites": summary.get("multiallelic sites", 0),
        "ts": ts,
        "tv": tv,
        "ts_tv": round(ts / tv, 3) if tv else None,
        "counted": counted_records(text),
    }


def parse_consensus_vcf(path: Path) -> list[dict[str, Any]]:
    """Records of a consensus VCF (varnode consensus) per INFO/CONSENSUS decision and
    FILTER, in that order."""
    from cyvcf2 import VCF

    if not path.is_file():
        raise VarnodeError(f"{path}: file not found")
    try:
        vcf = VCF(str(path))
    except OSError as error:
        raise VarnodeError(f"{path}: cannot open as VCF ({error})") from None
    counts: dict[tuple[str, str], int] = {}
    position = 0
    try:
        for record in vcf:
            position += 1
            key = (record.INFO.get("CONSENSUS") or "", record.FILTER or "PASS")
            counts[key] = counts.get(key, 0) + 1
    except Exception as error:  # cyvcf2 raises bare Exceptions on corrupt records
        raise VarnodeError(f"{path}: record {position}: cannot read ({error})") from None
    if any(decision == "" for decision, _ in counts):
        raise VarnodeError(f"{path}: records without INFO/CONSENSUS (not a consensus VCF)")
    return [
        {"decision": decision, "filter": status, "records": records}
        for (decision, status), records in sorted(counts.items())
    ]


def read_tsv(path: Path) -> list[dict[str, str]]:
    """A header-first TSV: leading '##' metadata lines are skipped and a single leading
    '#' on the header (as in '#CHROM') is dropped."""
    lines = [line for line in _read_text(path).splitlines() if line.strip()]
    while lines and lines[0].startswith("##"):
        lines.pop(0)
    if not lines:
        raise VarnodeError(f"{path}: empty (expected a header line)")
    lines[0] = lines[0].lstrip("#")
    reader = csv.reader(lines, delimiter="\t")
    header = next(reader)
    rows = []
    for number, fields in enumerate(reader, start=2):
        if len(fields) != len(header):
            raise VarnodeError(
                f"{path}: line {number}: {len(fields)} fields, header has {len(header)}"
            )
        rows.append(dict(zip(header, fields, strict=True)))
    return rows


def data_lines(path: Path) -> Iterator[str]:
    """Lines of a large header-first TSV one at a time (no copy of the whole file in
    memory): '##' metadata and blank lines skipped, the header's leading '#' dropped."""
    if not path.is_file():
        raise VarnodeError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header_seen = False
            for line in handle:
                line = line.rstrip("\n").rstrip("\r")
                if not line.strip() or (not header_seen and line.startswith("##")):
                    continue
                if not header_seen:
                    header_seen = True
                    line = line.lstrip("#")
                yield line
    except (OSError, UnicodeDecodeError) as error:
        raise VarnodeError(f"{path}: cannot read ({error})") from error


def read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise VarnodeError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None


def skip_reason(path: Path) -> str | None:
    """Why a statistic was skipped, from a table's leading '## skipped: ...' line."""
    if not path.is_file():
        return None
    with path.open() as handle:
        for line in handle:
            if not line.startswith("##"):
                return None
            if line.startswith("## skipped: "):
                return line.removeprefix("## skipped: ").strip()
    return None


def attempt(parser: Callable[[Path], T], path: Path) -> tuple[T | None, str | None]:
    """(parsed value, None) or (None, why it is not available)."""
    try:
        return parser(path), None
    except VarnodeError as error:
        return None, str(error)
