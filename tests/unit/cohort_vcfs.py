"""Small hand-written multi-sample VCFs for the cohort unit tests."""

from __future__ import annotations

from pathlib import Path

HEADER = """##fileformat=VCFv4.2
{contigs}
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{samples}
"""


def write_vcf(
    path: Path,
    samples: list[str],
    records: list[tuple[str, int, str, str, list[str]]],
    contigs: dict[str, int] | None = None,
) -> Path:
    """Records are (chrom, pos, ref, alt, per-sample "GT" or "GT:DP")."""
    contigs = contigs or {"chr1": 1_000_000}
    lines = [
        HEADER.format(
            contigs="\n".join(f"##contig=<ID={c},length={n}>" for c, n in contigs.items()),
            samples="\t".join(samples),
        ).rstrip("\n")
    ]
    for chrom, pos, ref, alt, calls in records:
        fields = "GT:DP" if ":" in calls[0] else "GT"
        lines.append("\t".join([chrom, str(pos), ".", ref, alt, ".", ".", ".", fields, *calls]))
    path.write_text("\n".join(lines) + "\n")
    return path
