"""The aggregate sites files a node exports and a hub merges: VCF (sites only) and Parquet.

One model, `Site`, is written by both the node export and the hub merge, and read back
by the merge, so the two share one definition of every tag. A withheld site is written
to the VCF as its allele only, with FILTER=WITHHELD and no counts: the hub can then tell
"withheld by this node" from "absent at this node", which decides whether the node's
callable AN may be added. Withheld sites are not in the Parquet file, which holds
servable frequencies only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pysam
from cyvcf2 import VCF

from varnode.errors import VarnodeError
from varnode.federation.strata import (
    TOTAL,
    ZYGOSITIES,
    Stratum,
    below_floor,
    strata_publishable,
)

WITHHELD = "WITHHELD"
# Tags besides the counts: gene and consequence (node annotation), merge flags.
ANNOTATION_TAGS = {
    "GENE": '##INFO=<ID=GENE,Number=1,Type=String,Description="Gene symbol of the most severe'
    ' consequence (bcftools csq)">',
    "CONSEQUENCE": '##INFO=<ID=CONSEQUENCE,Number=1,Type=String,Description="Most severe'
    ' consequence (bcftools csq)">',
}
MERGE_TAGS = {
    "INCOMPLETE": '##INFO=<ID=INCOMPLETE,Number=0,Type=Flag,Description="At least one node'
    ' withheld this site: the counts leave those nodes out">',
    "WITHHELD_BY": '##INFO=<ID=WITHHELD_BY,Number=.,Type=String,Description="Nodes that'
    ' withheld this site">',
}
PARQUET_SCHEMA = pa.schema(
    [
        ("CHROM", pa.string()),
        ("POS", pa.int64()),
        ("REF", pa.string()),
        ("ALT", pa.string()),
        ("POPULATION", pa.string()),
        ("AF", pa.float64()),
        ("AC", pa.int64()),
        ("AC_HET", pa.int64()),
        ("AC_HOM", pa.int64()),
        ("AC_HEMI", pa.int64()),
        ("AN", pa.int64()),
        ("GENE", pa.string()),
        ("CONSEQUENCE", pa.string()),
    ]
)
PARQUET_BATCH = 50_000


@dataclass
class Counts:
    ac: int = 0
    an: int = 0
    hom: int = 0
    het: int = 0
    hemi: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.ac + other.ac,
            self.an + other.an,
            self.hom + other.hom,
            self.het + other.het,
            self.hemi + other.hemi,
        )

    @property
    def af(self) -> float | None:
        """AC / AN exactly (never an average of frequencies); None when AN = 0."""
        return self.ac / self.an if self.an else None


@dataclass
class Site:
    chrom: str
    pos: int
    ref: str
    alt: str
    counts: dict[Stratum, Counts] = field(default_factory=dict)  # empty when withheld
    withheld: bool = False
    gene: str = ""
    consequence: str = ""
    withheld_by: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int, str, str]:
        return self.chrom, self.pos, self.ref, self.alt


def apply_floor(site: Site, floor: int) -> Site:
    """Withhold the site when its total is under the floor; else keep the largest set of
    strata that clears it: all, or those without a sex split, or the total alone."""
    total = site.counts[TOTAL]
    if below_floor(total.ac, total.an, floor):
        site.counts, site.withheld = {}, True
        return site
    for keep in (lambda s: True, lambda s: not s.sex):
        kept = {s: c for s, c in site.counts.items() if keep(s)}
        if strata_publishable({s: (c.ac, c.an) for s, c in kept.items()}, floor):
            site.counts = kept
            return site
    site.counts = {TOTAL: total}
    return site


def count_tags(stratum: Stratum) -> list[tuple[str, str]]:
    """(tag, header line) of each count tag of a stratum, in the order they are written."""
    scope = "all samples" if stratum == TOTAL else f"stratum {stratum.label}"
    return [
        (
            stratum.tag("AC"),
            f"##INFO=<ID={stratum.tag('AC')},Number=A,Type=Integer,"
            f'Description="Allele count in called genotypes, {scope}">',
        ),
        (
            stratum.tag("AN"),
            f"##INFO=<ID={stratum.tag('AN')},Number=1,Type=Integer,"
            f'Description="Number of alleles in called genotypes, {scope}">',
        ),
        (
            stratum.tag("AF"),
            f"##INFO=<ID={stratum.tag('AF')},Number=A,Type=Float,"
            f'Description="Allele frequency AC/AN, {scope}">',
        ),
        *(
            (
                stratum.tag("AC", zygosity),
                f"##INFO=<ID={stratum.tag('AC', zygosity)},Number=A,Type=Integer,"
                f'Description="Allele count in {zygosity.lower()}ozygous genotypes, {scope}">'
                if zygosity != "Hemi"
                else f"##INFO=<ID={stratum.tag('AC', zygosity)},Number=A,Type=Integer,"
                f'Description="Allele count in hemizygous (haploid) genotypes, {scope}">',
            )
            for zygosity in ZYGOSITIES
        ),
    ]


def vcf_header(
    contigs: list[tuple[str, int | None]],
    assembly: str,
    strata: list[Stratum],
    floor: int,
    annotated: bool,
    merged: bool = False,
) -> str:
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        f'##FILTER=<ID={WITHHELD},Description="A count is below the allele-count floor'
        f' ({floor}): the allele is listed without counts">',
        f"##reference={assembly}",
    ]
    lines += [
        f"##contig=<ID={name}" + (f",length={length}>" if length else ">")
        for name, length in contigs
    ]
    for stratum in strata:
        lines += [line for _, line in count_tags(stratum)]
    if annotated:
        lines += list(ANNOTATION_TAGS.values())
    if merged:
        lines += list(MERGE_TAGS.values())
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    # repr is the shortest text that reads back as the same double: AF = AC/AN exactly.
    return "." if value is None else repr(value)


def info_text(site: Site) -> str:
    fields = []
    for stratum, counts in site.counts.items():
        fields += [
            f"{stratum.tag('AC')}={counts.ac}",
            f"{stratum.tag('AN')}={counts.an}",
            f"{stratum.tag('AF')}={_number(counts.af)}",
            f"{stratum.tag('AC', 'Hom')}={counts.hom}",
            f"{stratum.tag('AC', 'Het')}={counts.het}",
            f"{stratum.tag('AC', 'Hemi')}={counts.hemi}",
        ]
    if site.gene:
        fields.append(f"GENE={site.gene}")
    if site.consequence:
        fields.append(f"CONSEQUENCE={site.consequence}")
    return ";".join(fields + merge_flags(site)) or "."


def merge_flags(site: Site) -> list[str]:
    return ["INCOMPLETE", f"WITHHELD_BY={','.join(site.withheld_by)}"] if site.withheld_by else []


@dataclass
class Written:
    published: int = 0
    withheld: int = 0
    parquet_rows: int = 0


def write_sites(vcf: Path, parquet: Path, header: str, sites: Iterable[Site]) -> Written:
    """Write the sites VCF (bgzipped, + .tbi) and the Parquet table in one pass.

    Both come from the same Site objects, so they cannot disagree; the VCF lists withheld
    sites (allele only), the Parquet file holds one row per published site and stratum.
    """
    written = Written()
    lines: list[str] = []
    columns: dict[str, list] = {name: [] for name in PARQUET_SCHEMA.names}
    with (
        pysam.BGZFile(str(vcf), "wb") as out,
        pq.ParquetWriter(str(parquet), PARQUET_SCHEMA) as writer,
    ):
        out.write(header.encode())
        for site in sites:
            if site.withheld:
                info = ";".join(merge_flags(site)) or "."
                written.withheld += 1
            else:
                info = info_text(site)
                written.published += 1
                _parquet_rows(site, columns)
            status = WITHHELD if site.withheld else "PASS"
            lines.append(
                f"{site.chrom}\t{site.pos}\t.\t{site.ref}\t{site.alt}\t.\t{status}\t{info}\n"
            )
            if len(lines) >= 10_000:
                out.write("".join(lines).encode())
                lines = []
            if len(columns["CHROM"]) >= PARQUET_BATCH:
                written.parquet_rows += len(columns["CHROM"])
                writer.write_table(pa.table(columns, schema=PARQUET_SCHEMA))
                columns = {name: [] for name in PARQUET_SCHEMA.names}
        out.write("".join(lines).encode())
        written.parquet_rows += len(columns["CHROM"])
        writer.write_table(pa.table(columns, schema=PARQUET_SCHEMA))
    pysam.tabix_index(str(vcf), preset="vcf", index=f"{vcf}.tbi", force=True)
    return written


def _parquet_rows(site: Site, columns: dict[str, list]) -> None:
    """Append a published site's rows, one per stratum, to the Parquet columns."""
    for stratum, counts in site.counts.items():
        for name, value in (
            ("CHROM", site.chrom),
            ("POS", site.pos),
            ("REF", site.ref),
            ("ALT", site.alt),
            ("POPULATION", stratum.label),
            ("AF", counts.af),
            ("AC", counts.ac),
            ("AC_HET", counts.het),
            ("AC_HOM", counts.hom),
            ("AC_HEMI", counts.hemi),
            ("AN", counts.an),
            ("GENE", site.gene or None),
            ("CONSEQUENCE", site.consequence or None),
        ):
            columns[name].append(value)


def read_sites(path: str | Path, strata: list[Stratum]) -> Iterator[Site]:
    """Sites of an exported (or normalised) sites VCF, with the counts of `strata`."""
    reader = VCF(str(path), threads=1)
    for record in reader:
        if len(record.ALT) != 1:
            raise VarnodeError(
                f"{path} {record.CHROM}:{record.POS}: {len(record.ALT)} ALT alleles"
                " (sites must be split, one ALT per record)"
            )
        site = Site(record.CHROM, record.POS, record.REF, record.ALT[0])
        if (record.FILTER or "PASS") == WITHHELD:
            site.withheld = True
            yield site
            continue
        info = record.INFO
        for stratum in strata:
            an = info.get(stratum.tag("AN"))
            if an is None:
                continue
            site.counts[stratum] = Counts(
                ac=_integer(info.get(stratum.tag("AC"))),
                an=int(an),
                hom=_integer(info.get(stratum.tag("AC", "Hom"))),
                het=_integer(info.get(stratum.tag("AC", "Het"))),
                hemi=_integer(info.get(stratum.tag("AC", "Hemi"))),
            )
        site.gene = info.get("GENE") or ""
        site.consequence = info.get("CONSEQUENCE") or ""
        yield site
    reader.close()


def _integer(value) -> int:
    if isinstance(value, tuple):
        value = value[0]
    return 0 if value is None else int(value)
