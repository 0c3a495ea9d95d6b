"""`varnode export`: the node's aggregate export, the only data meant to leave a node.

From the cohort's calls (already restricted to PASS sites by the workflow), per allele:
AC, AN, AF = AC/AN, AC_Hom, AC_Het, AC_Hemi with `bcftools +fill-tags` semantics (see
varnode.cohort.allele_counts), for the whole cohort and each exported stratum. Privacy rules
(varnode.federation.strata): a site with a count under the floor is withheld (listed
without counts); when a stratum, or what subtraction reveals, is under the floor, the
site's strata are dropped and only its totals remain. Callable regions and a manifest
complete the export; then the egress check runs on the files, and only when it passes
are they moved into the output folder (manifest last), so a folder with a manifest is
always a checked export.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cyvcf2 import VCF

from varnode.annotate.table import most_severe, parse_bcsq
from varnode.cohort.allele_counts import count_alleles, read_sexes
from varnode.common.config import config_default
from varnode.common.options import add_output_folder
from varnode.errors import VarnodeError
from varnode.federation import callable as callable_regions
from varnode.federation.egress import check_directory
from varnode.federation.manifest import (
    MANIFEST,
    created_at,
    file_entries,
    software,
    write_manifest,
)
from varnode.federation.sites import (
    Counts,
    Site,
    apply_floor,
    vcf_header,
    write_sites,
)
from varnode.federation.strata import Stratum, node_strata
from varnode.filters.chunks import read_chunks
from varnode.provenance.metadata import tool_versions

SEX_CODES = ("F", "M", "U")  # as `varnode cohort-members` writes them
DESCRIPTIVE_FIELDS = ("title", "description", "publisher", "contact", "licence")


@dataclass
class ExportSettings:
    dataset_id: str
    node_id: str
    assembly: str
    floor: int
    country: str = ""
    sex_strata: bool = True
    ploidy: str = ""
    descriptive: dict[str, str] = field(default_factory=dict)
    config_sha256: str | None = None
    tools: list[dict[str, str]] = field(default_factory=list)
    chunk_size: int = field(default_factory=lambda: config_default("cohort", "chunk_size"))

    def check(self) -> None:
        for name, value in (("dataset id", self.dataset_id), ("node id", self.node_id)):
            if not value or not all(c.isalnum() or c in "._-" for c in value):
                raise VarnodeError(f"{name} {value!r}: use letters, digits, '.', '_' or '-'")
        if self.floor < 1:
            raise VarnodeError(f"floor {self.floor}: must be at least 1")

    def file_names(self) -> dict[str, str]:
        stem = self.dataset_id
        return {
            "sites_vcf": f"{stem}.sites.vcf.gz",
            "sites_index": f"{stem}.sites.vcf.gz.tbi",
            "parquet": f"{stem}.parquet",
            "callable": f"{stem}{callable_regions.CALLABLE_SUFFIX}",
            "callable_index": f"{stem}{callable_regions.CALLABLE_SUFFIX}.tbi",
        }


def site_counts(
    alleles: np.ndarray, n_alleles: np.ndarray, sexes: np.ndarray, strata: list[Stratum]
) -> dict[Stratum, list]:
    """Per stratum, a chunk's counts: AN (R,) and AC, Hom, Het, Hemi (R, A).

    Counts are sums over samples, so each sex group is counted once and a stratum is the
    sum of its groups: one pass over the genotypes whatever the number of strata.
    """
    groups = {}
    for sex in SEX_CODES:
        counts = count_alleles(alleles[:, sexes == sex], n_alleles)
        groups[sex] = [counts.an, counts.ac, counts.ac_hom, counts.ac_het, counts.ac_hemi]
    return {
        stratum: [
            sum(groups[sex][field] for sex in ([stratum.sex] if stratum.sex else SEX_CODES))
            for field in range(5)
        ]
        for stratum in strata
    }


def _consequences(path: str, annotated: bool) -> Iterator[tuple[str, str]]:
    """(gene, consequence) of each record, from INFO/BCSQ's most severe entry."""
    if not annotated:
        while True:
            yield "", ""
    reader = VCF(path, threads=1)
    for record in reader:
        worst = most_severe(parse_bcsq(record.INFO.get("BCSQ")))
        yield (worst.gene, worst.consequence) if worst else ("", "")
    reader.close()


def is_annotated(reader: VCF) -> bool:
    return any(
        entry["HeaderType"] == "INFO" and entry["ID"] == "BCSQ" for entry in reader.header_iter()
    )


def count_sites(
    calls: str, sexes: dict[str, str], strata: list[Stratum], floor: int, chunk_size: int
) -> tuple[VCF, Iterator[Site]]:
    """The cohort's sites, one per ALT allele, counted and with the floor applied."""
    reader, chunks = read_chunks(calls, chunk_size, with_depth=False)
    missing = sorted(set(reader.samples) - set(sexes))
    if missing:
        raise VarnodeError(f"{calls}: samples not in the member table: {', '.join(missing)}")
    # Samples of unknown sex (U) are in the totals only; the floor check covers them as
    # the remainder total - F - M.
    sample_sexes = np.array([sexes[sample] for sample in reader.samples])
    annotated = is_annotated(reader)

    def sites() -> Iterator[Site]:
        consequences = _consequences(calls, annotated)
        for chunk in chunks:
            counts = site_counts(chunk.alleles, chunk.n_alleles, sample_sexes, strata)
            for row in range(len(chunk)):
                gene, consequence = next(consequences)
                for alt_index, alt in enumerate(chunk.alts[row].split(",")):
                    if alt in (".", "*"):  # no allele, or a deletion's overlap marker
                        continue
                    site = Site(
                        chunk.chroms[row],
                        int(chunk.positions[row]),
                        chunk.refs[row],
                        alt,
                        gene=gene,
                        consequence=consequence,
                    )
                    for stratum, (an, ac, hom, het, hemi) in counts.items():
                        site.counts[stratum] = Counts(
                            int(ac[row, alt_index]),
                            int(an[row]),
                            int(hom[row, alt_index]),
                            int(het[row, alt_index]),
                            int(hemi[row, alt_index]),
                        )
                    yield apply_floor(site, floor)

    return reader, sites()


def _contigs(reader: VCF) -> list[tuple[str, int | None]]:
    try:
        return list(zip(reader.seqnames, reader.seqlens, strict=True))
    except AttributeError:  # a header without contig lengths
        return [(name, None) for name in reader.seqnames]


def export_node(
    calls: str,
    sexes: dict[str, str],
    callable_beds: dict[str, Path],
    out_dir: Path,
    settings: ExportSettings,
) -> dict[str, Any]:
    """Write, check and publish the export; returns its manifest."""
    settings.check()
    strata = node_strata(settings.country, settings.sex_strata)
    names = settings.file_names()
    out_dir = Path(out_dir)
    foreign = (
        sorted(p.name for p in out_dir.glob("*") if p.name not in {*names.values(), MANIFEST})
        if out_dir.is_dir()
        else []
    )
    if foreign:
        raise VarnodeError(
            f"{out_dir}: holds files of no export of {settings.dataset_id}: {', '.join(foreign)}"
            " (an export folder holds one export only: remove them)"
        )
    staging = out_dir.parent / f".{out_dir.name}.partial{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        reader, sites = count_sites(calls, sexes, strata, settings.floor, settings.chunk_size)
        contigs = _contigs(reader)
        header = vcf_header(
            contigs, settings.assembly, strata, settings.floor, is_annotated(reader)
        )
        written = write_sites(
            staging / names["sites_vcf"], staging / names["parquet"], header, sites
        )
        n_samples = len(reader.samples)
        reader.close()
        regions = callable_regions.write_callable(
            staging / names["callable"],
            strata,
            callable_regions.callable_regions(
                callable_beds,
                sexes,
                contigs,
                callable_regions.ploidy_rules(settings.ploidy),
                strata,
                settings.floor,
            ),
        )
        manifest = {
            "format": "varnode-node-export",
            "format_version": 1,
            "dataset_id": settings.dataset_id,
            "node_id": settings.node_id,
            "assembly": settings.assembly,
            "country": settings.country or None,
            "strata": [stratum.label for stratum in strata],
            "samples_rounded_to_tens": 10 * math.floor(n_samples / 10 + 0.5),
            "sites_exported": written.published,
            "sites_withheld": written.withheld,
            "parquet_rows": written.parquet_rows,
            "callable_regions": regions,
            "floor": settings.floor,
            "floor_rule": "withheld when 0 < AC < floor or 0 < AN - AC < floor, in any stratum;"
            " strata dropped when one of them or a difference of them is withheld",
            **{key: settings.descriptive.get(key, "") for key in DESCRIPTIVE_FIELDS},
            "software": software(),
            "tools": settings.tools,
            "config_sha256": settings.config_sha256,
            "created": created_at(),
            "files": file_entries(staging, {name: kind for kind, name in names.items()}),
        }
        write_manifest(staging, manifest)
        violations = check_directory(staging, sexes, settings.floor)
        if violations:
            raise VarnodeError(
                "the export failed its egress check, nothing was published:\n"
                + "\n".join(str(v) for v in violations)
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / MANIFEST).unlink(missing_ok=True)
        for name in names.values():
            os.replace(staging / name, out_dir / name)
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def read_callable_beds(paths: list[Path]) -> dict[str, Path]:
    """Sample -> callable BED, the sample being the file name before `.quantized.bed.gz`."""
    beds = {}
    for path in paths:
        sample = path.name.split(".quantized.bed")[0]
        if sample == path.name:
            raise VarnodeError(f"{path}: expected <sample>.quantized.bed.gz (mosdepth --quantize)")
        beds[sample] = path
    return beds


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("calls", help="cohort calls (VCF/BCF), PASS sites, split multiallelics")
    parser.add_argument("--members", required=True, help="`varnode cohort-members` table")
    parser.add_argument(
        "--callable",
        nargs="+",
        type=Path,
        required=True,
        help="per-sample <sample>.quantized.bed.gz (mosdepth --quantize, CALLABLE rows)",
    )
    add_output_folder(parser, "export folder")
    parser.add_argument("--dataset-id", required=True)
    parser.add_argument("--node-id", required=True)
    parser.add_argument("--assembly", required=True, help="e.g. GRCh38")
    parser.add_argument("--floor", type=int, default=10, help="allele-count floor (default 10)")
    parser.add_argument("--country", default="", help="two-letter country code (optional)")
    parser.add_argument(
        "--no-sex-strata", action="store_true", help="export totals only (no _F/_M strata)"
    )
    parser.add_argument(
        "--ploidy", default="", help="bcftools --ploidy preset the calls used (for callable AN)"
    )
    parser.add_argument(
        "--descriptive-json", default="{}", help="title, description, publisher, contact, licence"
    )
    parser.add_argument("--config-sha256", help="sha256 of the run's effective config")
    parser.add_argument(
        "--tool-versions", nargs="*", type=Path, default=[], help="<tool>.txt version outputs"
    )
    parser.add_argument("--chunk-size", type=int, default=config_default("cohort", "chunk_size"))


def run(args: argparse.Namespace) -> int:
    try:
        descriptive = json.loads(args.descriptive_json)
    except json.JSONDecodeError as error:
        raise VarnodeError(f"--descriptive-json: not valid JSON ({error.msg})") from None
    settings = ExportSettings(
        dataset_id=args.dataset_id,
        node_id=args.node_id,
        assembly=args.assembly,
        floor=args.floor,
        country=args.country,
        sex_strata=not args.no_sex_strata,
        ploidy=args.ploidy,
        descriptive=descriptive,
        config_sha256=args.config_sha256,
        tools=tool_versions(args.tool_versions),
        chunk_size=args.chunk_size,
    )
    try:
        manifest = export_node(
            args.calls,
            read_sexes(args.members),
            read_callable_beds(args.callable),
            args.outdir,
            settings,
        )
    except ValueError as error:
        raise VarnodeError(str(error)) from None
    print(
        f"{args.outdir}: {manifest['sites_exported']} sites exported,"
        f" {manifest['sites_withheld']} withheld (floor {settings.floor}); egress check passed"
    )
    return 0
