"""Start-up checks of the reference, indexed VCFs and GFF3: each broken file is refused
with a message naming the config key and the file, before any job starts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest

from varnode.errors import VarnodeError
from varnode.inputs.annotation import scan_gff3
from varnode.inputs.file_checks import (
    fasta_header_names,
    indexed_vcf_problems,
    reference_problems,
    vcf_contigs,
)

SEQUENCE = "ACGTACGTAC" * 7


def write_fasta(path: Path, names: list[str]) -> Path:
    path.write_text(
        "".join(f">{name} description\n{SEQUENCE[:60]}\n{SEQUENCE[60:]}\n" for name in names)
    )
    return path


def test_clean_reference_with_and_without_index(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", ["chr1", "chr2", "chrM"])
    assert reference_problems(fasta) == (["chr1", "chr2", "chrM"], [])
    pysam.faidx(str(fasta))
    assert reference_problems(fasta) == (["chr1", "chr2", "chrM"], [])


def test_headers_are_found_at_the_start_and_at_an_unterminated_end(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">first one\nACGT\n>second\nAC\n>last")
    assert fasta_header_names(fasta) == ["first", "second", "last"]


def test_duplicate_contig_names_are_refused(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", ["chr1", "chr2", "chr1"])
    _, problems = reference_problems(fasta)
    assert problems == [f"config reference.fasta: {fasta} has duplicate contig name(s) chr1"]


def test_duplicate_skipped_by_samtools_faidx_is_found_through_the_index(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", ["chr1", "chr2", "chr1", "chr3"])
    pysam.faidx(str(fasta))  # htslib keeps the first chr1 only
    assert len(Path(f"{fasta}.fai").read_text().splitlines()) == 3
    names, problems = reference_problems(fasta)
    assert names == ["chr1", "chr2", "chr3"]
    (problem,) = problems
    assert str(fasta) in problem and "'>chr1 description'" in problem and "lacks" in problem


def test_gzip_but_not_bgzip_reference_is_refused(tmp_path: Path) -> None:
    plain = write_fasta(tmp_path / "ref.fa", ["chr1"])
    gzipped = tmp_path / "ref.fa.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    _, problems = reference_problems(gzipped)
    assert (
        problems and "gzip-compressed but not bgzip" in problems[0] and str(gzipped) in problems[0]
    )
    bgzipped = Path(
        pysam.tabix_compress(str(plain), str(tmp_path / "ok.fa.gz")) or tmp_path / "ok.fa.gz"
    )
    assert reference_problems(bgzipped) == (["chr1"], [])


def test_contig_names_the_specs_forbid_are_refused(tmp_path: Path) -> None:
    fasta = write_fasta(tmp_path / "ref.fa", ["chr1", "*bad", "chr,2"])
    _, problems = reference_problems(fasta)
    assert problems == [
        f"config reference.fasta: {fasta} has contig name(s) the SAM/VCF specs do not allow: "
        "'*bad', 'chr,2'"
    ]


def write_vcf(folder: Path, name: str = "known.vcf") -> Path:
    vcf = folder / name
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "".join(f"chr1\t{pos}\trs{pos}\tA\tG\t.\t.\t.\n" for pos in range(1, 2000, 7))
    )
    return vcf


def test_indexed_vcf_passes(tmp_path: Path) -> None:
    vcf = pysam.tabix_index(str(write_vcf(tmp_path)), preset="vcf")
    assert indexed_vcf_problems("annotation.dbsnp", vcf) == []


def test_csi_indexed_vcf_passes_and_its_contigs_are_read(tmp_path: Path) -> None:
    vcf = pysam.tabix_index(str(write_vcf(tmp_path)), preset="vcf", csi=True)
    assert Path(f"{vcf}.csi").is_file() and not Path(f"{vcf}.tbi").exists()
    assert indexed_vcf_problems("annotation.dbsnp", vcf) == []
    assert vcf_contigs(vcf) == {"chr1"}


def test_vcf_without_index_is_refused(tmp_path: Path) -> None:
    vcf = pysam.tabix_index(str(write_vcf(tmp_path)), preset="vcf")
    Path(f"{vcf}.tbi").unlink()
    (problem,) = indexed_vcf_problems("annotation.dbsnp", vcf)
    assert problem.startswith(f"config annotation.dbsnp: {vcf} has no index")


def test_unreadable_index_is_refused(tmp_path: Path) -> None:
    vcf = pysam.tabix_index(str(write_vcf(tmp_path)), preset="vcf")
    Path(f"{vcf}.tbi").write_bytes(b"not an index")
    (problem,) = indexed_vcf_problems("annotation.clinvar", vcf)
    assert f"config annotation.clinvar: index {vcf}.tbi cannot be read" in problem


def test_truncated_and_plain_gzip_vcfs_are_refused(tmp_path: Path) -> None:
    vcf = Path(pysam.tabix_index(str(write_vcf(tmp_path)), preset="vcf"))
    data = vcf.read_bytes()
    vcf.write_bytes(data[: len(data) - 28])  # drop the BGZF end-of-file block
    (problem,) = indexed_vcf_problems("annotation.dbsnp", vcf)
    assert "lacks the BGZF end-of-file block" in problem and str(vcf) in problem
    plain = tmp_path / "plain.vcf.gz"
    plain.write_bytes(gzip.compress(write_vcf(tmp_path, "p.vcf").read_bytes()))
    (problem,) = indexed_vcf_problems("annotation.clinvar", plain)
    assert "gzip-compressed but not bgzip" in problem


GENE = (
    "chr1\tsrc\tgene\t10\t90\t.\t+\t.\tID=gene:G{n};Name=G{n};biotype=protein_coding\n"
    "chr1\tsrc\tmRNA\t10\t90\t.\t+\t.\tID=transcript:T{n};Parent=gene:G{n};biotype=protein_coding\n"
    "chr1\tsrc\texon\t10\t90\t.\t+\t.\tParent=transcript:T{n}\n"
)


def write_gff3(path: Path, genes: int = 3, separators: bool = True) -> Path:
    blocks = [GENE.format(n=n) + ("###\n" if separators else "") for n in range(genes)]
    path.write_text("##gff-version 3\n" + "".join(blocks))
    return path


def test_complete_gff3_is_read_to_its_end(tmp_path: Path) -> None:
    summary = scan_gff3(write_gff3(tmp_path / "genes.gff3"))
    assert summary.genes == 3 and summary.contigs == {"chr1"}


def test_gff3_cut_at_a_line_boundary_is_refused_when_it_uses_separators(tmp_path: Path) -> None:
    gff3 = write_gff3(tmp_path / "genes.gff3")
    lines = gff3.read_text().splitlines(keepends=True)
    gff3.write_text("".join(lines[:-2]))  # last gene's exon and '###' lost
    with pytest.raises(
        VarnodeError, match=r"does not end with one after line 11 \(the file is truncated\)"
    ):
        scan_gff3(gff3)


def test_gff3_cut_mid_line_is_refused(tmp_path: Path) -> None:
    gff3 = write_gff3(tmp_path / "genes.gff3", separators=False)
    gff3.write_text(gff3.read_text()[:-5])
    with pytest.raises(VarnodeError, match=r"line 10: ends mid-line"):
        scan_gff3(gff3)


def test_truncated_compressed_gff3_is_refused(tmp_path: Path) -> None:
    text = write_gff3(tmp_path / "genes.gff3", genes=300).read_bytes()
    gzipped = tmp_path / "genes.gff3.gz"
    gzipped.write_bytes(gzip.compress(text)[:-200])
    with pytest.raises(VarnodeError, match="compressed stream ends early"):
        scan_gff3(gzipped)
    bgzipped = Path(
        pysam.tabix_compress(str(tmp_path / "genes.gff3"), str(tmp_path / "b.gz"))
        or tmp_path / "b.gz"
    )
    assert scan_gff3(bgzipped).genes == 300
    bgzipped.write_bytes(bgzipped.read_bytes()[:-28])
    with pytest.raises(VarnodeError, match="lacks the BGZF end-of-file block"):
        scan_gff3(bgzipped)


def test_gff3_without_genes_or_with_a_malformed_line_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gff3"
    empty.write_text("##gff-version 3\n")
    with pytest.raises(VarnodeError, match="no gene features"):
        scan_gff3(empty)
    broken = write_gff3(tmp_path / "broken.gff3", separators=False)
    broken.write_text(broken.read_text().replace("\t10\t90", "\tten\t90", 1))
    with pytest.raises(VarnodeError, match=r"line 2: not a GFF3 feature"):
        scan_gff3(broken)
