"""varnode consensus on constructed call sets: each decision, and bad input."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from tests.unit.test_compare import REFERENCE, other, ref_at
from varnode.cli import main

pytestmark = pytest.mark.tools  # runs bcftools/bgzip/tabix


@pytest.fixture
def fasta(tmp_path) -> Path:
    path = tmp_path / "ref.fa"
    path.write_text(f">chrT\n{REFERENCE}\n")
    pysam.faidx(str(path))
    return path


def write_calls(path: Path, records: list[tuple]) -> Path:
    """records: (pos, ref, alt, gt, qual[, filter])."""
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chrT,length={len(REFERENCE)}>",
        '##FILTER=<ID=LowQual,Description="low">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS",
    ]
    for pos, ref, alt, gt, qual, *status in records:
        fields = ["chrT", str(pos), ".", ref, alt, str(qual), status[0] if status else "PASS"]
        lines.append("\t".join([*fields, ".", "GT", gt]))
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def consensus(tmp_path, fasta, bcftools, freebayes, *options) -> list[dict]:
    out = tmp_path / "consensus.vcf.gz"
    argv = [
        "consensus", "-o", str(out), "--ref", str(fasta), "--represent", "freebayes",
        "--calls", f"bcftools={write_calls(tmp_path / 'b.vcf.gz', bcftools)}",
        "--calls", f"freebayes={write_calls(tmp_path / 'f.vcf.gz', freebayes)}",
        *options,
    ]  # fmt: skip
    assert main(argv) == 0
    assert Path(f"{out}.tbi").is_file()
    with pysam.VariantFile(str(out)) as vcf:
        return [
            {
                "pos": r.pos, "ref": r.ref, "alt": r.alts[0], "qual": r.qual,
                "filter": list(r.filter) or ["PASS"], "consensus": r.info["CONSENSUS"],
                "callers": tuple(r.info["CALLERS"]), "gt": r.samples[0]["GT"],
            }
            for r in vcf
        ]  # fmt: skip


def test_agreed_call_is_written_once_as_the_represent_caller_wrote_it(tmp_path, fasta):
    snv = (4, "T", "C", "0/1")
    records = consensus(tmp_path, fasta, [(*snv, 80)], [(*snv, 60)])
    assert len(records) == 1
    assert records[0]["consensus"] == "both"
    assert records[0]["callers"] == ("bcftools", "freebayes")
    assert records[0]["filter"] == ["PASS"]
    assert records[0]["qual"] == 60  # freebayes' record


def test_mnp_agrees_with_two_snvs_by_haplotype(tmp_path, fasta):
    assert ref_at(9, 2) == "CT"
    bcftools = [(9, "C", "G", "0/1", 50), (10, "T", "A", "0/1", 50)]
    freebayes = [(9, "CT", "GA", "0/1", 70)]
    records = consensus(tmp_path, fasta, bcftools, freebayes)
    assert [(r["pos"], r["ref"], r["alt"], r["consensus"]) for r in records] == [
        (9, "CT", "GA", "both")
    ]


def test_one_caller_calls_pass_only_from_that_callers_minimum_qual(tmp_path, fasta):
    low = (30, ref_at(30), other(ref_at(30)), "0/1", 12)
    high = (50, ref_at(50), other(ref_at(50)), "1/1", 90)
    records = consensus(
        tmp_path, fasta, [low, high], [], "--single-min-qual", "bcftools=20"
    )  # fmt: skip
    assert [(r["pos"], r["consensus"], r["filter"]) for r in records] == [
        (30, "bcftools_only", ["SingleCaller"]),
        (50, "bcftools_only", ["PASS"]),
    ]
    assert records[1]["gt"] == (1, 1)


def test_different_calls_at_one_place_are_a_conflict(tmp_path, fasta):
    base = ref_at(30)
    records = consensus(
        tmp_path, fasta, [(30, base, other(base), "1/1", 99)], [(30, base, other(base), "0/1", 99)]
    )
    assert [(r["consensus"], r["filter"], r["gt"]) for r in records] == [
        ("conflict", ["CallerConflict"], (0, 1))
    ]
    passed = consensus(
        tmp_path, fasta, [(30, base, other(base), "1/1", 99)],
        [(30, base, other(base), "0/1", 99)], "--pass-conflicts",
    )  # fmt: skip
    assert passed[0]["filter"] == ["PASS"]


def test_filtered_input_calls_are_not_counted(tmp_path, fasta):
    snv = (4, "T", "C", "0/1")
    records = consensus(tmp_path, fasta, [(*snv, 80)], [(*snv, 5, "LowQual")])
    assert [(r["consensus"], r["callers"]) for r in records] == [("bcftools_only", ("bcftools",))]


def test_needs_two_callers_and_known_names(tmp_path, fasta, capsys):
    calls = write_calls(tmp_path / "b.vcf.gz", [(4, "T", "C", "0/1", 50)])
    base = ["consensus", "-o", str(tmp_path / "o.vcf.gz"), "--ref", str(fasta)]
    assert main([*base, "--represent", "bcftools", "--calls", f"bcftools={calls}"]) == 2
    assert "exactly two callers" in capsys.readouterr().err
    two = ["--calls", f"bcftools={calls}", "--calls", f"freebayes={calls}"]
    assert main([*base, "--represent", "gatk", *two]) == 2
    assert "not among --calls" in capsys.readouterr().err
    assert main([*base, "--represent", "bcftools", *two, "--single-min-qual", "x"]) == 2
    assert "CALLER=VALUE" in capsys.readouterr().err
    assert not (tmp_path / "o.vcf.gz").exists()
