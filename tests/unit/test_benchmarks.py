from __future__ import annotations

from pathlib import Path

import pytest

from varnode.errors import VarnodeError
from varnode.provenance.benchmarks import summarise

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(path: Path, seconds: float, rss: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t0\t0\n")


def test_rules_are_summed_and_shares_add_up(tmp_path: Path) -> None:
    write(tmp_path / "align_reads" / "A.L1.tsv", 3.0, "120.5")
    write(tmp_path / "align_reads" / "B.L1.tsv", 1.0, "200.0")
    write(tmp_path / "trim_reads" / "A.L1.tsv", 4.0, "-")
    rows = {row["rule"]: row for row in summarise(tmp_path)}
    assert rows["align_reads"] == {
        "rule": "align_reads",
        "jobs": 2,
        "seconds": 4.0,
        "share": 0.5,
        "max_rss_mb": 200.0,
    }
    assert rows["trim_reads"]["max_rss_mb"] == 0.0
    assert sum(row["share"] for row in rows.values()) == pytest.approx(1.0)


def test_not_a_benchmark_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "y.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(VarnodeError, match=r"x/y\.tsv: not a Snakemake benchmark file"):
        summarise(tmp_path)
