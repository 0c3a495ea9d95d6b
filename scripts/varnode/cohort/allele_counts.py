"""Cohort allele counts as INFO AC, AN, AF, AC_Hom, AC_Het, AC_Hemi (+ AC_F/AN_F/AF_F, ...).

Semantics follow `bcftools +fill-tags` for haploid and diploid calls: AN counts the
called (non-missing) alleles; AC counts each ALT among them; a call with two called
alleles adds 2 to AC_Hom when they are equal and 1 to AC_Het for each ALT when they
differ; a call with one called allele (haploid, or diploid with one allele missing
such as `./1`) adds 1 to AC_Hemi. AF = AC / AN, `.` (missing) when AN = 0.

Why not `bcftools +fill-tags` itself: it gives the same numbers (tests/unit compare
them), but the sex strata need its `-S` groups file, whose parser in bcftools 1.16 (the
pinned version) rejects any sample name shorter than three characters ("Could not
parse the file"), which the sample sheet allows (e.g. `A1`). Fixed upstream in 1.17;
moving to it is the way to retire this module.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varnode.common.atomic import atomic_path
from varnode.common.config import config_default
from varnode.errors import VarnodeError
from varnode.filters.chunks import read_chunks

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


def allele_frequencies(ac: np.ndarray, an: np.ndarray) -> np.ndarray:
    """AC / AN per ALT (broadcast over AN's shape), NaN where AN = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(an[:, None] > 0, ac / an[:, None], np.nan)


def count_alleles(alleles: np.ndarray, n_alleles: np.ndarray) -> AlleleCounts:
    """Count alleles of a chunk: `alleles` (R, S, 2), negative = absent; `n_alleles` (R,)."""
    records = alleles.shape[0]
    width = int(n_alleles.max()) if records else 1
    first, second = alleles[..., 0], alleles[..., 1]
    first_called, second_called = first >= 0, second >= 0
    diploid = first_called & second_called
    homozygous = diploid & (first == second)
    heterozygous = diploid & ~homozygous
    hemizygous = first_called ^ second_called
    hemizygous_allele = np.maximum(first, second)
    counts = AlleleCounts(
        an=np.count_nonzero(first_called, axis=1) + np.count_nonzero(second_called, axis=1),
        ac=np.zeros((records, width - 1), dtype=np.int64),
        ac_hom=np.zeros((records, width - 1), dtype=np.int64),
        ac_het=np.zeros((records, width - 1), dtype=np.int64),
        ac_hemi=np.zeros((records, width - 1), dtype=np.int64),
    )
    # One pass of whole-chunk comparisons per ALT allele index (usually just one).
    for allele in range(1, width):
        is_first, is_second = first == allele, second == allele
        column = allele - 1
        counts.ac[:, column] = np.count_nonzero(is_first, axis=1) + np.count_nonzero(
            is_second, axis=1
        )
        counts.ac_hom[:, column] = 2 * np.count_nonzero(homozygous & is_first, axis=1)
        counts.ac_het[:, column] = np.count_nonzero(
            heterozygous & is_first, axis=1
        ) + np.count_nonzero(heterozygous & is_second, axis=1)
        counts.ac_hemi[:, column] = np.count_nonzero(
            hemizygous & (hemizygous_allele == allele), axis=1
        )
    return counts


def count_by_group(
    alleles: np.ndarray, n_alleles: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """AN (R, G) and AC (R, A, G) within each group of samples (`groups`: S x G, 0/1)."""
    width = int(n_alleles.max()) if len(alleles) else 1
    membership = groups.astype(np.float32)
    first, second = alleles[..., 0], alleles[..., 1]
    # Adding the two allele slots beats a reduction over an axis of length 2.
    called = ((first >= 0).astype(np.float32)) + (second >= 0)
    # Products of small integer counts are exact in float32; BLAS makes them cheap.
    an = np.rint(called @ membership).astype(np.int64)
    ac = np.zeros((len(alleles), width - 1, groups.shape[1]), dtype=np.int64)
    for allele in range(1, width):
        carried = (first == allele).astype(np.float32) + (second == allele)
        ac[:, allele - 1] = np.rint(carried @ membership)
    return an, ac


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


def _header(source_header: str, strata: dict[str, np.ndarray]) -> str:
    """The source's fileformat and contig lines, then the count tags' definitions."""
    kept = [
        line for line in source_header.splitlines() if line.startswith(("##fileformat", "##contig"))
    ]
    lines = [
        '##INFO=<ID=AN,Number=1,Type=Integer,Description="Total number of alleles in called'
        ' genotypes">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency (AC/AN)">',
    ]
    lines += [
        f'##INFO=<ID={tag},Number=A,Type=Integer,Description="{text}">'
        for tag, text in ALT_TAGS.items()
    ]
    for code, label in SEX_STRATA.items():
        if code in strata:
            where = f"in {label} samples (sample sheet sex)"
            lines += [
                f'##INFO=<ID=AN_{code},Number=1,Type=Integer,Description="AN {where}">',
                f'##INFO=<ID=AC_{code},Number=A,Type=Integer,Description="AC {where}">',
                f'##INFO=<ID=AF_{code},Number=A,Type=Float,Description="AF {where}">',
            ]
    columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    return "\n".join([*kept, *lines, columns]) + "\n"


def _fraction(value: float) -> str:
    return "." if value != value else f"{value:.6g}"  # NaN (AN = 0) is missing, as in fill-tags


def _per_alt(tag: str, values: np.ndarray, n_alts: list[int], text=str) -> list[str]:
    """`TAG=v1,v2` for each record, with one value per ALT allele of that record."""
    if values.shape[1] == 1:  # all biallelic, as after normalisation: no joins needed
        return [f"{tag}={text(value)}" for value in values[:, 0].tolist()]
    return [
        f"{tag}={','.join(map(text, row[:n]))}"
        for row, n in zip(values.tolist(), n_alts, strict=True)
    ]


def _info_fields(chunk, strata: dict[str, np.ndarray]) -> list[str]:
    """The INFO column of every record of a chunk, built column by column."""
    n_alts = (chunk.n_alleles - 1).tolist()
    counts = count_alleles(chunk.alleles, chunk.n_alleles)
    columns = [
        [f"AN={value}" for value in counts.an.tolist()],
        _per_alt("AC", counts.ac, n_alts),
        _per_alt("AF", allele_frequencies(counts.ac, counts.an), n_alts, _fraction),
        _per_alt("AC_Hom", counts.ac_hom, n_alts),
        _per_alt("AC_Het", counts.ac_het, n_alts),
        _per_alt("AC_Hemi", counts.ac_hemi, n_alts),
    ]
    if strata:
        groups = np.stack(list(strata.values()), axis=1)
        an, ac = count_by_group(chunk.alleles, chunk.n_alleles, groups)
        for index, code in enumerate(strata):
            columns += [
                [f"AN_{code}={value}" for value in an[:, index].tolist()],
                _per_alt(f"AC_{code}", ac[:, :, index], n_alts),
                _per_alt(
                    f"AF_{code}",
                    allele_frequencies(ac[:, :, index], an[:, index]),
                    n_alts,
                    _fraction,
                ),
            ]
    return [";".join(fields) for fields in zip(*columns, strict=True)]


def write_counts(source: str, output: str, sexes: dict[str, str] | None, chunk_size: int) -> int:
    """Write the count tags of every record of `source` as a sites-only VCF (+ .tbi).

    Only the genotypes are read, and only tags are written: `bcftools annotate -c INFO`
    then carries them into the full cohort file, which is far faster than rewriting every
    sample's fields from Python. Returns the number of records.
    """
    import pysam

    reader, chunks = read_chunks(source, chunk_size, with_depth=False)
    strata = {}
    if sexes is not None:
        unknown = sorted(set(reader.samples) - set(sexes))
        if unknown:
            raise VarnodeError(f"{source}: samples absent from the sex table: {', '.join(unknown)}")
        sample_sexes = np.array([sexes[sample] for sample in reader.samples])
        strata = {code: sample_sexes == code for code in SEX_STRATA}
    written = 0
    with (
        atomic_path(output) as partial,
        atomic_path(f"{output}.tbi") as partial_index,
        pysam.BGZFile(str(partial), "wb") as out,
    ):
        out.write(_header(reader.raw_header, strata).encode())
        for chunk in chunks:
            lines = [
                f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t{info}\n"
                for chrom, pos, ref, alt, info in zip(
                    chunk.chroms,
                    chunk.positions.tolist(),
                    chunk.refs,
                    chunk.alts,
                    _info_fields(chunk, strata),
                    strict=True,
                )
            ]
            out.write("".join(lines).encode())
            written += len(chunk)
        out.close()
        reader.close()
        pysam.tabix_index(str(partial), preset="vcf", index=str(partial_index), force=True)
    return written


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="multi-sample VCF/BCF (e.g. the normalised joint calls)")
    parser.add_argument(
        "-o", "--output", required=True, help="sites-only .vcf.gz of the tags (a .tbi is added)"
    )
    parser.add_argument(
        "--sexes", help="`varnode cohort-members` table (sample, M/F/U): adds AC_F/AN_F/AF_F, ..."
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=config_default("cohort", "chunk_size"),
        help="records held in memory at once (default: config cohort.chunk_size's)",
    )


def run(args: argparse.Namespace) -> int:
    sexes = read_sexes(args.sexes) if args.sexes else None
    written = write_counts(args.vcf, args.output, sexes, args.chunk_size)
    print(f"{args.output}: AC/AN/AF/AC_Hom/AC_Het/AC_Hemi of {written} records")
    return 0
