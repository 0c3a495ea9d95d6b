from __future__ import annotations

from pathlib import Path

import pytest

from varnode.cli import main
from varnode.regions import restrict, shard


def test_long_contigs_are_cut_and_short_ones_packed() -> None:
    shards = shard([("chr1", 25), ("chrUn_a", 3), ("chrUn_b", 4), ("chrM", 2)], size=10)
    assert shards == [
        [("chr1", 0, 10)],
        [("chr1", 10, 20)],
        [("chr1", 20, 25), ("chrUn_a", 0, 3), ("chrUn_b", 0, 2)],
        [("chrUn_b", 2, 4), ("chrM", 0, 2)],
    ]
    covered = sum(end - start for intervals in shards for _, start, end in intervals)
    assert covered == 25 + 3 + 4 + 2


def test_targets_restrict_shards_and_drop_empty_ones() -> None:
    shards = shard([("chr1", 30)], size=10)
    restricted = restrict(shards, [("chr1", 2, 4), ("chr1", 8, 12), ("chr2", 0, 5)])
    assert restricted == [[("chr1", 2, 4), ("chr1", 8, 10)], [("chr1", 10, 12)]]


def test_cli_writes_numbered_beds(tmp_path: Path) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr22\t40001\t7\t60\t61\n")
    assert main(["shard-regions", str(fai), str(tmp_path / "shards"), "--size", "15000"]) == 0
    beds = sorted((tmp_path / "shards").glob("*.bed"))
    assert [bed.name for bed in beds] == ["shard0001.bed", "shard0002.bed", "shard0003.bed"]
    assert beds[2].read_text() == "chr22\t30000\t40001\n"


def test_cli_rejects_a_malformed_fai(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr22 40001\n")
    assert main(["shard-regions", str(fai), str(tmp_path / "out")]) == 2
    assert "line 1: not a .fai line" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
