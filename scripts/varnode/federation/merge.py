"""`varnode merge EXPORT_DIR... -o OUT`: a hub combines node exports (no Snakemake needed).

1. Each manifest is verified (size and sha256 of every file; nothing unlisted; one
   assembly; distinct node ids); any mismatch is an error naming the node and file.
2. Each node's sites are normalised as the pipeline normalises calls (bcftools norm
   -m -any against the reference given to the hub, REF checked), so alleles match.
3. Per allele, counts are summed per stratum and AF = sum(AC) / sum(AN), never an average
   of frequencies. Where a node has no record but its callable regions cover the site,
   its callable AN is added (AC = 0): "not called" is not "absent".
4. A site withheld by any node is flagged INCOMPLETE with WITHHELD_BY=<nodes>; that node
   adds nothing to it (not even callable AN). A stratum is published only where every
   node of its scope that has data there gives it: a sum missing one node's share would
   contradict the totals. The floor is applied again to the merged values.

Merged values are sums of what the nodes published and nothing else, so no node's
withheld value can enter them, and the outputs hold no per-node values at all (only the
ids of nodes that withheld a site).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pysam

from varnode.common.options import add_output_folder
from varnode.errors import VarnodeError
from varnode.federation.callable import CallableIndex, read_callable
from varnode.federation.egress import SUMMARY, check_directory
from varnode.federation.manifest import (
    MANIFEST,
    created_at,
    file_entries,
    load_manifest,
    payload,
    software,
    verify_files,
    write_manifest,
)
from varnode.federation.sites import (
    Counts,
    Site,
    apply_floor,
    read_sites,
    vcf_header,
    write_sites,
)
from varnode.federation.strata import TOTAL, Stratum, parse_tag
from varnode.provenance.metadata import sha256_of

TEMPLATE = Path(__file__).parent / "templates"
REPORT_STYLE = Path(__file__).parents[1] / "report" / "templates" / "style.css"


@dataclass
class Node:
    directory: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    strata: list[Stratum]
    callable: CallableIndex
    sites_withheld_here: int = 0
    sites_contributed: int = 0

    @property
    def id(self) -> str:
        return self.manifest["node_id"]

    @property
    def country(self) -> str:
        return self.manifest.get("country") or ""

    def own(self, stratum: Stratum) -> Stratum | None:
        """This node's stratum that makes up `stratum`'s share, None when it has no share.

        A node of country FI contributes its FI_F to the federation's F, its total to FI,
        and nothing to another country's strata.
        """
        if stratum.country and stratum.country != self.country:
            return None
        if stratum == TOTAL:
            return TOTAL
        return Stratum(self.country, stratum.sex)


@dataclass
class MergeSummary:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    sites_published: int = 0
    sites_withheld: int = 0
    sites_incomplete: int = 0
    callable_an_added: int = 0


def _stratum_of_label(label: str) -> Stratum:
    if label == "ALL":
        return TOTAL
    parsed = parse_tag(f"AN_{label}")
    if parsed is None:
        raise VarnodeError(f"stratum {label!r} is not a known population label")
    return parsed[1]


def load_node(directory: Path) -> Node:
    manifest = load_manifest(directory)
    verify_files(directory, manifest)
    # The hub cannot know the node's sample names, but it can refuse per-sample fields
    # and counts under the node's own floor: what fails the egress check is no export.
    violations = check_directory(directory, [], int(manifest["floor"]))
    if violations:
        raise VarnodeError(
            f"node {manifest['node_id']}: {directory} fails the egress check: "
            + "; ".join(str(v) for v in violations[:5])
        )
    return Node(
        directory=directory,
        manifest=manifest,
        manifest_sha256=sha256_of(directory / MANIFEST),
        strata=[_stratum_of_label(label) for label in manifest.get("strata", ["ALL"])],
        callable=read_callable(directory / payload(manifest, "callable")),
    )


def reference_contigs(reference: Path) -> list[tuple[str, int | None]]:
    """(name, length) of the reference's contigs, in its order (.fai built if absent)."""
    fai = Path(f"{reference}.fai")
    if not fai.is_file():
        pysam.faidx(str(reference))
    return [
        (fields[0], int(fields[1]))
        for fields in (line.split("\t") for line in fai.read_text().splitlines())
    ]


def normalise(node: Node, reference: Path, workdir: Path) -> Path:
    """The node's sites, normalised as the pipeline normalises calls (REF must match the
    hub's reference), then sorted: a left-aligned indel may move before its neighbour."""
    source = node.directory / payload(node.manifest, "sites_vcf")
    normalised = workdir / f"{node.id}.norm.bcf"
    output = workdir / f"{node.id}.norm.vcf.gz"
    for command in (
        [
            *("bcftools", "norm", "--multiallelics", "-any", "--check-ref", "e"),
            *("--fasta-ref", str(reference), "-Ob", "-o", str(normalised), str(source)),
        ],
        ["bcftools", "sort", "-T", str(workdir), "-Oz", "-o", str(output), str(normalised)],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise VarnodeError(
                f"node {node.id}: {source} does not normalise against {reference}"
                f" ({command[1]}): {result.stderr.strip()[-500:]}"
            )
    return output


def _keyed(node_index: int, sites: Iterator[Site], ranks: dict[str, int], node: Node):
    previous = None
    for site in sites:
        if site.chrom not in ranks:
            raise VarnodeError(f"node {node.id}: contig {site.chrom} is not in the reference")
        key = (ranks[site.chrom], site.pos, site.ref, site.alt)
        if previous is not None and key <= previous:
            raise VarnodeError(
                f"node {node.id}: {site.chrom}:{site.pos} {site.ref}>{site.alt} is out of order"
                " or repeated after normalisation"
            )
        previous = key
        yield key, node_index, site


def merged_strata(nodes: list[Node]) -> list[Stratum]:
    """Strata of the merge: the total, each sex any node splits by, each node country."""
    strata = {TOTAL}
    for node in nodes:
        for stratum in node.strata:
            strata.add(Stratum("", stratum.sex))
            if node.country:
                strata.add(stratum)
    return sorted(strata)


def merge_site(
    records: dict[int, Site], nodes: list[Node], strata: list[Stratum], summary: MergeSummary
) -> Site:
    """One merged allele from the nodes' records (by node index) and callable regions."""
    first = next(iter(records.values()))
    merged = Site(first.chrom, first.pos, first.ref, first.alt)
    shares: dict[int, dict[Stratum, Counts]] = {}
    for index, node in enumerate(nodes):
        record = records.get(index)
        if record is not None and record.withheld:
            merged.withheld_by.append(node.id)
            node.sites_withheld_here += 1
        elif record is not None:
            shares[index] = record.counts
            merged.gene = merged.gene or record.gene
            merged.consequence = merged.consequence or record.consequence
            node.sites_contributed += 1
        elif (an := node.callable.an_at(merged.chrom, merged.pos)) is not None:
            shares[index] = {stratum: Counts(an=value) for stratum, value in an.items()}
            summary.callable_an_added += 1
    for stratum in strata:
        total = Counts()
        for index, counts in shares.items():
            own = nodes[index].own(stratum)
            if own is None:
                continue
            if own not in counts:  # a node with data here lacks this stratum: no sum
                break
            total = total + counts[own]
        else:
            merged.counts[stratum] = total
    if TOTAL not in merged.counts or not shares:
        merged.counts, merged.withheld = {}, True
    return merged


def merge_sites(
    nodes: list[Node], normalised: list[Path], ranks: dict[str, int], floor: int, summary
) -> Iterator[Site]:
    strata = merged_strata(nodes)
    streams = [
        _keyed(index, read_sites(path, node.strata), ranks, node)
        for index, (node, path) in enumerate(zip(nodes, normalised, strict=True))
    ]
    for _, group in itertools.groupby(heapq.merge(*streams), key=lambda item: item[0]):
        records = {index: site for _, index, site in group}
        site = merge_site(records, nodes, strata, summary)
        if not site.withheld:
            site = apply_floor(site, floor)
        summary.sites_withheld += site.withheld
        summary.sites_published += not site.withheld
        summary.sites_incomplete += bool(site.withheld_by)
        yield site


def render_page(template: str, **context: Any) -> str:
    """A hub page (templates/<template>, extending page.html) in the report's style."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template(template).render(style=REPORT_STYLE.read_text(), **context)


def write_summary(path: Path, manifest: dict[str, Any]) -> None:
    path.write_text(render_page("merge.html", manifest=manifest))


def merge_exports(
    directories: list[Path], reference: Path, out_dir: Path, dataset_id: str, floor: int | None
) -> dict[str, Any]:
    nodes = [load_node(Path(directory)) for directory in directories]
    ids = [node.id for node in nodes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise VarnodeError(f"node ids given more than once: {', '.join(duplicates)}")
    assemblies = {node.manifest["assembly"] for node in nodes}
    if len(assemblies) != 1:
        listed = ", ".join(f"{node.id}: {node.manifest['assembly']}" for node in nodes)
        raise VarnodeError(f"nodes differ in assembly ({listed})")
    floor = max([int(node.manifest["floor"]) for node in nodes] + [floor or 1])
    contigs = reference_contigs(reference)
    ranks = {name: rank for rank, (name, _) in enumerate(contigs)}
    strata = merged_strata(nodes)
    out_dir = Path(out_dir)
    names = {
        "sites_vcf": f"{dataset_id}.sites.vcf.gz",
        "sites_index": f"{dataset_id}.sites.vcf.gz.tbi",
        "parquet": f"{dataset_id}.parquet",
        "summary": SUMMARY,
    }
    foreign = sorted(
        p.name
        for p in (out_dir.iterdir() if out_dir.is_dir() else [])
        if p.name not in {*names.values(), MANIFEST}
    )
    if foreign:
        raise VarnodeError(
            f"{out_dir}: holds files of no merge {dataset_id}: {', '.join(foreign)}"
            " (choose an empty or a previous output folder of the same merge)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = MergeSummary()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".merge-") as work:
        workdir = Path(work)
        normalised = [normalise(node, reference, workdir) for node in nodes]
        annotated = any(_annotated(path) for path in normalised)
        header = vcf_header(contigs, assemblies.pop(), strata, floor, annotated, merged=True)
        write_sites(
            workdir / names["sites_vcf"],
            workdir / names["parquet"],
            header,
            merge_sites(nodes, normalised, ranks, floor, summary),
        )
        manifest = {
            "format": "varnode-hub-merge",
            "format_version": 1,
            "dataset_id": dataset_id,
            "assembly": nodes[0].manifest["assembly"],
            "floor": floor,
            "strata": [stratum.label for stratum in strata],
            "inputs": [
                {
                    "node_id": node.id,
                    "dataset_id": node.manifest["dataset_id"],
                    "manifest_sha256": node.manifest_sha256,
                    "samples_rounded_to_tens": node.manifest.get("samples_rounded_to_tens"),
                    "sites_exported": node.manifest.get("sites_exported"),
                    "sites_withheld": node.manifest.get("sites_withheld"),
                    "floor": node.manifest["floor"],
                    "merged_sites_contributed": node.sites_contributed,
                    "merged_sites_withheld": node.sites_withheld_here,
                }
                for node in nodes
            ],
            "samples_rounded_to_tens": sum(
                node.manifest.get("samples_rounded_to_tens") or 0 for node in nodes
            ),
            "sites_published": summary.sites_published,
            "sites_withheld": summary.sites_withheld,
            "sites_incomplete": summary.sites_incomplete,
            "callable_an_added": summary.callable_an_added,
            "software": software(),
            "created": created_at(),
        }
        write_summary(workdir / names["summary"], manifest)
        manifest["files"] = file_entries(workdir, {name: kind for kind, name in names.items()})
        write_manifest(workdir, manifest)
        (out_dir / MANIFEST).unlink(missing_ok=True)
        for name in names.values():
            (workdir / name).replace(out_dir / name)
        (workdir / MANIFEST).replace(out_dir / MANIFEST)
    return manifest


def _annotated(path: Path) -> bool:
    with pysam.VariantFile(str(path)) as vcf:
        return "GENE" in vcf.header.info


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("exports", nargs="+", type=Path, help="node export folders")
    add_output_folder(parser, "merged output folder")
    parser.add_argument(
        "--reference", required=True, type=Path, help="reference FASTA the nodes called against"
    )
    parser.add_argument("--dataset-id", default="merged", help="stem of the merged files")
    parser.add_argument(
        "--floor", type=int, help="allele-count floor (default and minimum: the nodes' highest)"
    )


def run(args: argparse.Namespace) -> int:
    manifest = merge_exports(args.exports, args.reference, args.outdir, args.dataset_id, args.floor)
    print(
        f"{args.outdir}: {len(manifest['inputs'])} nodes merged:"
        f" {manifest['sites_published']} sites published, {manifest['sites_withheld']} withheld,"
        f" {manifest['sites_incomplete']} incomplete"
    )
    print(json.dumps({"files": [entry["path"] for entry in manifest["files"]]}))
    return 0
