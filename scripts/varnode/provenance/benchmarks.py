"""Where a run's time went: Snakemake's per-job benchmark files summed per rule."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError

COLUMNS = ("rule", "jobs", "seconds", "share", "max_rss_mb")


def summarise(benchmark_dir: str | Path) -> list[dict[str, object]]:
    """One row per rule: jobs, summed wall seconds, share of the total, peak RSS."""
    seconds: dict[str, float] = defaultdict(float)
    jobs: dict[str, int] = defaultdict(int)
    peak: dict[str, float] = defaultdict(float)
    files = sorted(Path(benchmark_dir).glob("*/*.tsv"))
    if not files:
        raise VarnodeError(f"{benchmark_dir}: no benchmark files (<rule>/<job>.tsv)")
    for path in files:
        rule = path.parent.name
        with path.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                try:
                    seconds[rule] += float(row["s"])
                    rss = row.get("max_rss", "-")
                    peak[rule] = max(peak[rule], float(rss) if rss not in ("-", "NA") else 0.0)
                except (KeyError, ValueError):
                    raise VarnodeError(f"{path}: not a Snakemake benchmark file") from None
                jobs[rule] += 1
    total = sum(seconds.values()) or 1.0
    rows = [
        {
            "rule": rule,
            "jobs": jobs[rule],
            "seconds": round(seconds[rule], 2),
            "share": round(seconds[rule] / total, 4),
            "max_rss_mb": round(peak[rule], 1),
        }
        for rule in seconds
    ]
    return sorted(rows, key=lambda row: -row["seconds"])


def configure(parser) -> None:
    parser.add_argument("benchmarks", help="a run's benchmarks/ folder")
    parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        help="write TSV here (and JSON beside it) instead of stdout",
    )


def run(args) -> int:
    rows = summarise(args.benchmarks)
    lines = ["\t".join(COLUMNS)] + ["\t".join(str(row[c]) for c in COLUMNS) for row in rows]
    table = "\n".join(lines) + "\n"
    if args.out:
        write_text_atomic(args.out, table)
        write_text_atomic(Path(args.out).with_suffix(".json"), json.dumps(rows, indent=2))
    else:
        print(table, end="")
    return 0
