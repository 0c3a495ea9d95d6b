from __future__ import annotations

import os
from pathlib import Path

import pytest

from varnode.cli import main
from varnode.errors import VarnodeError
from varnode.reference.regions import (
    contig_index,
    plan_shards,
    read_fai,
    restrict,
    shard,
    shard_names,
)


def test_long_contigs_are_cut_and_short_ones_packed() -> None:
    contigs = [("chr1", 0, 25), ("chrUn_a", 0, 3), ("chrUn_b", 0, 4), ("chrM", 0, 2)]
    shards = shard(contigs, size=10)
    assert shards == [
        [("chr1", 0, 10)],
        [("chr1", 10, 20)],
        [("chr1", 20, 25), ("chrUn_a", 0, 3), ("chrUn_b", 0, 2)],
        [("chrUn_b", 2, 4), ("chrM", 0, 2)],
    ]
    covered = sum(end - start for intervals in shards for _, start, end in intervals)
    assert covered == 25 + 3 + 4 + 2


def test_targets_are_merged_clipped_and_kept_in_reference_order() -> None:
    contigs = [("chr2", 10), ("chr1", 30)]
    targets = [("chr1", 2, 4), ("chr1", 3, 12), ("chr2", 8, 15), ("chrX", 0, 5)]
    assert restrict(contigs, targets) == [("chr2", 8, 10), ("chr1", 2, 12)]


def test_cli_writes_numbered_beds(tmp_path: Path) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr22\t40001\t7\t60\t61\n")
    assert main(["shard-regions", str(fai), "-o", str(tmp_path / "shards"), "--scatter", "3"]) == 0
    beds = sorted((tmp_path / "shards").glob("*.bed"))
    assert [bed.name for bed in beds] == ["shard0001.bed", "shard0002.bed", "shard0003.bed"]
    assert beds[2].read_text() == "chr22\t26668\t40001\n"


def test_cli_rejects_a_malformed_fai(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr22 40001\n")
    assert main(["shard-regions", str(fai), "-o", str(tmp_path / "out"), "--scatter", "3"]) == 2
    assert "line 1: not a .fai line" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_plan_is_a_function_of_fai_targets_and_count(tmp_path: Path) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr1\t30\t6\t30\t31\nchr2\t5\t43\t5\t6\n")
    targets = tmp_path / "targets.bed"
    targets.write_text("chr1\t2\t4\nchr2\t0\t5\n")
    assert plan_shards(fai, None, 4) == shard([("chr1", 0, 30), ("chr2", 0, 5)], 9)
    assert plan_shards(fai, targets, 2) == [[("chr1", 2, 4), ("chr2", 0, 2)], [("chr2", 2, 5)]]
    assert len(plan_shards(fai, targets, 100)) == 7  # never more shards than bases
    assert shard_names(3) == ["shard0001", "shard0002", "shard0003"]
    assert shard_names(12345)[0] == "shard00001"
    with pytest.raises(VarnodeError, match="scatter count must be positive"):
        plan_shards(fai, None, 0)


def test_grch38_shaped_genome_gets_the_configured_number_of_balanced_shards(
    tmp_path: Path,
) -> None:
    """3,000 short alts/decoys do not add jobs: the count is the configured one."""
    fai = tmp_path / "GRCh38.fa.fai"
    contigs = [(f"chr{n}", 250_000_000 - n * 5_000_000) for n in range(1, 23)]
    contigs += [(f"chrUn_decoy{n}", 1_000 + n) for n in range(3_000)]
    fai.write_text("".join(f"{name}\t{length}\t0\t60\t61\n" for name, length in contigs))
    shards = plan_shards(fai, None, 5)
    lengths = [sum(end - start for _, start, end in intervals) for intervals in shards]
    assert len(shards) == 5
    assert max(lengths) - min(lengths) <= 5
    assert sum(lengths) == sum(length for _, length in contigs)


def test_contig_index_uses_the_users_fai_or_builds_one(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\nACGTACGTAC\nACGT\n>chr2\nAC\n")
    cache = tmp_path / "cache"
    built = contig_index(fasta, cache)
    assert built.parent == cache and read_fai(built) == [("chr1", 14), ("chr2", 2)]
    assert contig_index(fasta, cache) == built  # reused while not older than the FASTA

    own = Path(f"{fasta}.fai")
    own.write_text("chr1\t14\t6\t10\t11\nchr2\t2\t28\t2\t3\n")
    assert contig_index(fasta, cache) == own
    os.utime(own, (0, 0))  # the user's index is older than the FASTA: not trusted
    assert contig_index(fasta, cache) == built

    other = tmp_path / "other" / "ref.fa"  # same name, another reference
    other.parent.mkdir()
    other.write_text(">chrZ\nACGT\n")
    assert read_fai(contig_index(other, cache)) == [("chrZ", 4)]
    with pytest.raises(VarnodeError, match="file not found"):
        contig_index(tmp_path / "missing.fa", cache)


def test_contig_index_of_a_bgzip_fasta_leaves_the_users_folder_alone(tmp_path: Path) -> None:
    import pysam

    plain = tmp_path / "ref.fa"
    plain.write_text(">chr1\nACGTACGTAC\n")
    folder = tmp_path / "readonly"
    folder.mkdir()
    fasta = folder / "ref.fa.gz"
    pysam.tabix_compress(str(plain), str(fasta))
    folder.chmod(0o555)
    try:
        assert read_fai(contig_index(fasta, tmp_path / "cache")) == [("chr1", 10)]
        assert sorted(path.name for path in folder.iterdir()) == ["ref.fa.gz"]
    finally:
        folder.chmod(0o755)
