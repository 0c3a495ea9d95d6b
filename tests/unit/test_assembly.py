"""The assembly name on VCF contig lines (varnode.reference.assembly)."""

import pysam
import pytest

from varnode.errors import VarnodeError
from varnode.reference.assembly import set_assembly, with_assembly

HEADER = """\
##fileformat=VCFv4.2
##reference=file://resources/reference/genome.fa
##contig=<ID=chr1,length=1000>
##contig=<ID=chr2,length=500,assembly=hg19>
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""


def test_every_contig_line_names_the_assembly_once():
    lines = with_assembly(HEADER, "GRCh38").splitlines()
    assert "##contig=<ID=chr1,length=1000,assembly=GRCh38>" in lines
    assert "##contig=<ID=chr2,length=500,assembly=GRCh38>" in lines
    assert "##reference=file://resources/reference/genome.fa" in lines


def test_an_assembly_name_that_would_break_the_header_is_refused():
    with pytest.raises(VarnodeError, match="assembly"):
        with_assembly(HEADER, "GRCh38>,x")


@pytest.mark.tools  # runs bcftools
def test_set_assembly_rewrites_the_header_and_keeps_the_records(tmp_path):
    path = tmp_path / "calls.vcf.gz"
    with pysam.BGZFile(str(path), "w") as handle:
        handle.write((HEADER + "chr1\t5\t.\tA\tC\t50\tPASS\t.\n").encode())
    set_assembly(path, "GRCh38")
    with pysam.VariantFile(str(path)) as vcf:
        assert vcf.header.contigs["chr1"].header_record["assembly"] == "GRCh38"
        assert [(r.chrom, r.pos, r.alts) for r in vcf] == [("chr1", 5, ("C",))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.vcf.gz"]
