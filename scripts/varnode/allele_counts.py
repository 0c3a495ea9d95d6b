"""Cohort allele counts as INFO AC, AN, AF, AC_Hom, AC_Het, AC_Hemi (+ AC_F/AN_F/AF_F, ...).

Semantics follow `bcftools +fill-tags` for haploid and diploid calls: AN counts the
called (non-missing) alleles; AC counts each ALT among them; a call with two called
alleles adds 2 to AC_Hom when they are equal and 1 to AC_Het for each ALT when they
differ; a call with one called allele (haploid, or diploid with one allele missing
such as `./1`) adds 1 to AC_Hemi. AF = AC / AN, missing when AN = 0.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varnode.atomic import atomic_path
from varnode.errors import VarnodeError
from varnode.genotype_chunks import DEFAULT_CHUNK_SIZE, read_chunks

ALT_TAGS = {
    "AC": "Allele count in genotypes, for each ALT allele",
    "AC_Hom": "Allele counts in homozygous genotypes",
    "AC_Het": "Allele counts in heterozygous genotypes",
    "AC_Hemi": "Allele counts in hemizygous genotypes",
}
# Sex strata use the sample sheet's sex, written by `varnode cohort-members` as M/F/U.
SEX_STRATA = {"F": "female", "M": "male"}


@dataclass
class AlleleCounts:
    """Counts for a chunk of R records; per-ALT arrays have one column per ALT allele."""

    an: np.ndarray  # (R,)
    ac: np.ndarray  # (R, A)
    ac_hom: np.ndarray
    ac_het: np.ndarray
    ac_hemi: np.ndarray

    def af(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.an[:, None] > 0, self.ac / self.an[:, None], np.nan)


def count_alleles(alleles: np.ndarray, n_alleles: np.ndarray) -> AlleleCounts:
    """Count alleles of a chunk: `alleles` (R, S, 2), negative = absent; `n_alleles` (R,)."""
    records = alleles.shape[0]
    width = int(n_alleles.max()) if records else 1
    first, second = alleles[..., 0].astype(np.int64), alleles[..., 1].astype(np.int64)
    first_called, second_called = first >= 0, second >= 0
    ploidy = first_called.astype(np.int8) + second_called
    offset = np.arange(records, dtype=np.int64)[:, None] * width

    def tally(mask: np.ndarray, allele: np.ndarray) -> np.ndarray:
        flat = np.bincount((offset + allele)[mask], minlength=records * width)
        return flat.reshape(records, width)

    diploid = ploidy == 2
    homozygous = diploid & (first == second)
    heterozygous = diploid & (first != second)
    counts = AlleleCounts(
        an=ploidy.sum(axis=1, dtype=np.int64),
        ac=tally(first_called, first) + tally(second_called, second),
        ac_hom=2 * tally(homozygous, first),
        ac_het=tally(heterozygous, first) + tally(heterozygous, second),
        ac_hemi=tally(ploidy == 1, np.maximum(first, second)),
    )
    # Column 0 is REF: the tags describe ALT alleles only.
    for name in ("ac", "ac_hom", "ac_het", "ac_hemi"):
        setattr(counts, name, getattr(counts, name)[:, 1:])
    return counts


def read_sexes(path: str | Path) -> dict[str, str]:
    """Sample -> M/F/U from a `varnode cohort-members` file (bcftools call --samples-file)."""
    sexes = {}
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 2 or fields[1] not in ("M", "F", "U"):
                raise VarnodeError(f"{path} line {number}: expected sample<TAB>M|F|U")
            sexes[fields[0]] = fields[1]
    return sexes


def _numbers(values: np.ndarray) -> str:
    return ",".join(str(int(value)) for value in values)


def _fractions(values: np.ndarray) -> str:
    return ",".join("." if np.isnan(value) else f"{value:.6g}" for value in values)


def annotate(
    source: str, output: str, sexes: dict[str, str] | None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Write `source` to bgzipped VCF `output` (+ .tbi) with the count tags; return records."""
    import pysam
    from cyvcf2 import Writer

    reader, chunks = read_chunks(source, chunk_size, keep_variants=True, with_depth=False)
    strata = {}
    if sexes is not None:
        unknown = sorted(set(reader.samples) - set(sexes))
        if unknown:
            raise VarnodeError(f"{source}: samples absent from the sex table: {', '.join(unknown)}")
        sample_sexes = np.array([sexes[sample] for sample in reader.samples])
        strata = {code: sample_sexes == code for code in SEX_STRATA}
    _add_header_lines(reader, strata)
    written = 0
    with (
        atomic_path(output) as partial,
        atomic_path(f"{output}.tbi") as partial_index,
    ):
        writer = Writer(str(partial), reader, mode="wz")
        for chunk in chunks:
            n_alts = chunk.n_alleles - 1
            everyone = count_alleles(chunk.alleles, chunk.n_alleles)
            by_stratum = {
                code: count_alleles(chunk.alleles[:, members], chunk.n_alleles)
                for code, members in strata.items()
            }
            for row, variant in enumerate(chunk.variants):
                _set_tags(variant, everyone, row, n_alts[row], "")
                for code, counts in by_stratum.items():
                    _set_tags(variant, counts, row, n_alts[row], f"_{code}", strata_only=True)
                writer.write_record(variant)
            written += len(chunk)
        writer.close()
        reader.close()
        pysam.tabix_index(str(partial), preset="vcf", index=str(partial_index), force=True)
    return written


def _add_header_lines(reader, strata: dict[str, np.ndarray]) -> None:
    """Declare the tags the file lacks; bcftools call already declares AC and AN alike."""
    declared = {line.info().get("ID") for line in reader.header_iter() if line.type == "INFO"}

    def add(tag: str, number: str, kind: str, description: str) -> None:
        if tag not in declared:
            reader.add_info_to_header(
                {"ID": tag, "Number": number, "Type": kind, "Description": description}
            )

    add("AN", "1", "Integer", "Total number of alleles in called genotypes")
    add("AF", "A", "Float", "Allele frequency (AC/AN)")
    for tag, description in ALT_TAGS.items():
        add(tag, "A", "Integer", description)
    for code, label in SEX_STRATA.items():
        if code in strata:
            add(f"AN_{code}", "1", "Integer", f"AN in {label} samples (sample sheet sex)")
            add(f"AC_{code}", "A", "Integer", f"AC in {label} samples (sample sheet sex)")
            add(f"AF_{code}", "A", "Float", f"AF in {label} samples (sample sheet sex)")


def _set_tags(
    variant, counts: AlleleCounts, row: int, n_alts: int, suffix: str, strata_only: bool = False
) -> None:
    """Set the tags of record `row`; a stratum gets AN, AC and AF only."""
    info = variant.INFO
    info[f"AN{suffix}"] = int(counts.an[row])
    info[f"AC{suffix}"] = _numbers(counts.ac[row, :n_alts])
    if counts.an[row] > 0:
        info[f"AF{suffix}"] = _fractions(counts.af()[row, :n_alts])
    elif info.get(f"AF{suffix}") is not None:
        del info[f"AF{suffix}"]
    if not strata_only:
        info["AC_Hom"] = _numbers(counts.ac_hom[row, :n_alts])
        info["AC_Het"] = _numbers(counts.ac_het[row, :n_alts])
        info["AC_Hemi"] = _numbers(counts.ac_hemi[row, :n_alts])


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="multi-sample VCF/BCF (e.g. the normalised joint calls)")
    parser.add_argument("-o", "--output", required=True, help="output .vcf.gz (a .tbi is added)")
    parser.add_argument(
        "--sexes", help="`varnode cohort-members` table (sample, M/F/U): adds AC_F/AN_F/AF_F, ..."
    )
    parser.add_argument(
        "--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="records held in memory at once"
    )


def run(args: argparse.Namespace) -> int:
    sexes = read_sexes(args.sexes) if args.sexes else None
    written = annotate(args.vcf, args.output, sexes, args.chunk_size)
    print(f"{args.output}: {written} records with AC/AN/AF/AC_Hom/AC_Het/AC_Hemi")
    return 0
