"""Hub merge against the truth: a seeded 60-sample population cohort split into 3 nodes.

Each node exports its part (real export code, floor 10, sex strata, GRCh38 ploidy from
bcftools), the hub merges the three exports (`varnode merge`, real bcftools norm), and
every merged count is compared with `bcftools +fill-tags` on the pooled cohort: equal at
every site no node withheld, with callable AN standing in for nodes that did not report
a site. Withheld sites must be flagged with exactly the nodes that withheld them.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from cyvcf2 import VCF

from varnode.federation.egress import check_directory
from varnode.federation.export import ExportSettings, export_node
from varnode.federation.manifest import file_entries
from varnode.federation.strata import below_floor
from varnode.provenance.metadata import sha256_of

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")

FLOOR = 10
NODES = ["node-a", "node-b", "node-c"]
SAMPLES = [f"ind{i:03d}" for i in range(1, 61)]
SEXES = {sample: "F" if i % 2 else "M" for i, sample in enumerate(SAMPLES)}
NODE_OF = {sample: NODES[i // 20] for i, sample in enumerate(SAMPLES)}
CHR1, CHRX = 200_000, 2_900_000
# chrX:2,781,480 onwards is outside PAR1: males are haploid there (bcftools GRCh38 preset).
X_START = 2_800_000
# node-c's samples are not callable on chr1 from here on.
UNCOVERED_FROM = 150_000
BASES = np.array(list("ACGT"))


@dataclass
class Truth:
    folder: Path
    reference: Path
    records: list[tuple[str, int, str, str, list[str]]]


def _genotype(rng, af: float, haploid: bool) -> str:
    if haploid:
        return str(int(rng.random() < af))
    return f"{int(rng.random() < af)}/{int(rng.random() < af)}"


def simulate(folder: Path) -> Truth:
    rng = np.random.default_rng(18)
    sequences = {
        "chr1": BASES[rng.integers(0, 4, CHR1)],
        "chrX": BASES[rng.integers(0, 4, CHRX)],
    }
    reference = folder / "reference.fa"
    reference.write_text(
        "".join(
            f">{name}\n"
            + "\n".join("".join(seq[i : i + 80]) for i in range(0, len(seq), 80))
            + "\n"
            for name, seq in sequences.items()
        )
    )
    positions = {
        "chr1": np.sort(rng.choice(np.arange(1_000, CHR1 - 1_000, 7), 180, replace=False)),
        "chrX": np.sort(rng.choice(np.arange(X_START, CHRX - 1_000, 7), 30, replace=False)),
    }
    records = []
    for chrom, where in positions.items():
        for number, pos in enumerate(where.tolist()):
            seq = sequences[chrom]
            ref = seq[pos - 1]
            alt = BASES[(np.flatnonzero(ref == BASES)[0] + rng.integers(1, 4)) % 4]
            if number % 15 == 0 and seq[pos] != seq[pos - 1]:  # a left-aligned deletion
                ref, alt = seq[pos - 1] + seq[pos], seq[pos - 1]
            kind = number % 6
            node_af = {node: rng.uniform(0.3, 0.7) for node in NODES}
            if kind == 4:  # rare: withheld wherever it occurs
                node_af = dict.fromkeys(NODES, 0.02)
            elif kind == 5:  # one node's alone: the others give callable AN
                private = NODES[number % 3]
                node_af = {node: (0.5 if node == private else 0.0) for node in NODES}
            calls = [
                _genotype(rng, node_af[NODE_OF[s]], chrom == "chrX" and SEXES[s] == "M")
                for s in SAMPLES
            ]
            if kind == 3:  # females heterozygous, males reference: every stratum clears
                calls = [
                    "0/1" if SEXES[s] == "F" else ("0" if chrom == "chrX" else "0/0")
                    for s in SAMPLES
                ]
            if "1" not in "".join(calls):
                continue
            records.append((chrom, pos, str(ref), str(alt), calls))
    return Truth(folder, reference, records)


def write_cohort(path: Path, samples: list[str], records) -> Path:
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chr1,length={CHR1}>",
        f"##contig=<ID=chrX,length={CHRX}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
        + "\t"
        + "\t".join(samples),
    ]
    columns = [SAMPLES.index(sample) for sample in samples]
    for chrom, pos, ref, alt, calls in records:
        subset = [calls[c] for c in columns]
        lines.append("\t".join([chrom, str(pos), ".", ref, alt, ".", "PASS", ".", "GT", *subset]))
    path.write_text("\n".join(lines) + "\n")
    return path


def export_nodes(truth: Truth) -> dict[str, Path]:
    exports = {}
    for node in NODES:
        folder = truth.folder / node
        folder.mkdir()
        samples = [s for s in SAMPLES if NODE_OF[s] == node]
        # A node reports only the sites where its own samples carry the allele.
        carried = [
            r for r in truth.records if "1" in "".join(r[4][SAMPLES.index(s)] for s in samples)
        ]
        calls = write_cohort(folder / "calls.vcf", samples, carried)
        beds = {}
        for sample in samples:
            rows = [f"chr1\t0\t{CHR1}\tCALLABLE", f"chrX\t0\t{CHRX}\tCALLABLE"]
            if node == "node-c":
                rows[0] = f"chr1\t0\t{UNCOVERED_FROM}\tCALLABLE"
            beds[sample] = folder / f"{sample}.bed"
            beds[sample].write_text("\n".join(rows) + "\n")
        settings = ExportSettings(f"cohort-{node}", node, "GRCh38", FLOOR, ploidy="GRCh38")
        export_node(str(calls), {s: SEXES[s] for s in samples}, beds, folder / "export", settings)
        exports[node] = folder / "export"
    return exports


def info_of(path: Path) -> dict[tuple, tuple[str | None, dict]]:
    reader = VCF(str(path))
    records = {(r.CHROM, r.POS, r.REF, r.ALT[0]): (r.FILTER, dict(r.INFO)) for r in reader}
    reader.close()
    return records


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("federation")
    truth = simulate(folder)
    pooled = write_cohort(folder / "pooled.vcf", SAMPLES, truth.records)
    groups = folder / "groups.txt"
    groups.write_text("".join(f"{s}\t{SEXES[s]}\n" for s in SAMPLES))
    filled = folder / "pooled.filled.vcf"
    subprocess.run(
        [
            *("bcftools", "+fill-tags", str(pooled), "-o", str(filled)),
            *("--", "-S", str(groups), "-t", "AN,AC,AF,AC_Hom,AC_Het,AC_Hemi"),
        ],
        check=True,
    )
    exports = export_nodes(truth)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", *map(str, exports.values())),
            *("-o", str(folder / "merged"), "--reference", str(truth.reference)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return truth, exports, info_of(filled), folder / "merged"


def node_counts(calls: list[str], node: str) -> tuple[int, int]:
    alleles = [
        a for s, c in zip(SAMPLES, calls, strict=True) if NODE_OF[s] == node for a in c.split("/")
    ]
    return alleles.count("1"), len(alleles)


def withholding_nodes(calls: list[str]) -> list[str]:
    return [
        node for node in NODES if (ac := node_counts(calls, node))[0] and below_floor(*ac, FLOOR)
    ]


def test_merged_counts_equal_fill_tags_on_the_pooled_cohort(merged):
    truth, _, pooled, out = merged
    result = info_of(out / "merged.sites.vcf.gz")
    compared = strata_compared = callable_used = 0
    for chrom, pos, ref, alt, calls in truth.records:
        if withholding_nodes(calls):
            continue
        status, info = result[(chrom, pos, ref, alt)]
        expected = pooled[(chrom, pos, ref, alt)][1]
        assert status is None, (chrom, pos)
        absent = [n for n in NODES if node_counts(calls, n)[0] == 0]
        uncovered = [
            n for n in absent if n == "node-c" and chrom == "chr1" and pos > UNCOVERED_FROM
        ]
        an_missing = sum(node_counts(calls, n)[1] for n in uncovered)
        callable_used += len(absent) - len(uncovered)
        assert info["AN"] == expected["AN"] - an_missing, (chrom, pos)
        for tag in ("AC", "AC_Hom", "AC_Het", "AC_Hemi"):
            assert info[tag] == expected[tag], (chrom, pos, tag)
        assert info["AF"] == pytest.approx(info["AC"] / info["AN"], rel=1e-6)
        if uncovered:
            continue
        for sex in ("F", "M"):
            if f"AN_{sex}" in info:
                strata_compared += 1
                assert info[f"AN_{sex}"] == expected[f"AN_{sex}"]
                assert info[f"AC_{sex}"] == expected[f"AC_{sex}"]
                for zygosity in ("Hom", "Het", "Hemi"):
                    assert info[f"AC_{sex}_{zygosity}"] == expected[f"AC_{zygosity}_{sex}"]
        compared += 1
    assert compared >= 60 and strata_compared >= 10 and callable_used >= 10


def test_af_is_the_ratio_of_the_sums_in_the_text(merged):
    *_, out = merged
    with gzip.open(out / "merged.sites.vcf.gz", "rt") as handle:
        for line in handle:
            if line.startswith("#") or "\tPASS\t" not in line:
                continue
            info = dict(i.split("=", 1) for i in line.split("\t")[7].split(";") if "=" in i)
            assert float(info["AF"]) == int(info["AC"]) / int(info["AN"])


def test_withheld_sites_are_flagged_with_the_nodes_that_withheld_them(merged):
    truth, _, _, out = merged
    result = info_of(out / "merged.sites.vcf.gz")
    flagged = 0
    for chrom, pos, ref, alt, calls in truth.records:
        nodes = withholding_nodes(calls)
        _, info = result[(chrom, pos, ref, alt)]
        if nodes:
            flagged += 1
            assert info.get("INCOMPLETE") is True
            assert info["WITHHELD_BY"].split(",") == nodes
        else:
            assert "INCOMPLETE" not in info
    assert flagged >= 10


def test_merge_manifest_names_inputs_and_outputs_pass_the_egress_check(merged):
    _, exports, _, out = merged
    manifest = json.loads((out / "manifest.json").read_text())
    assert [i["manifest_sha256"] for i in manifest["inputs"]] == [
        sha256_of(path / "manifest.json") for path in exports.values()
    ]
    for entry in manifest["files"]:
        assert entry["sha256"] == sha256_of(out / entry["path"])
    summary = (out / "summary.html").read_text()
    assert all(node in summary for node in NODES)
    assert check_directory(out, SAMPLES, FLOOR) == []


def test_a_tampered_export_is_refused_naming_node_and_file(merged, tmp_path):
    truth, exports, _, _ = merged
    copy = tmp_path / "node-b"
    shutil.copytree(exports["node-b"], copy)
    callable_bed = copy / "cohort-node-b.callable.bed.gz"
    callable_bed.write_bytes(callable_bed.read_bytes()[:-10])
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", str(exports["node-a"]), str(copy)),
            *("-o", str(tmp_path / "out"), "--reference", str(truth.reference)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "node node-b:" in result.stderr and "cohort-node-b.callable.bed.gz" in result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_nodes_of_different_assemblies_are_not_merged(merged, tmp_path):
    truth, exports, _, _ = merged
    copy = tmp_path / "node-c"
    shutil.copytree(exports["node-c"], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["assembly"] = "GRCh37"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", str(exports["node-a"]), str(copy)),
            *("-o", str(tmp_path / "out"), "--reference", str(truth.reference)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "nodes differ in assembly (node-a: GRCh38, node-c: GRCh37)" in result.stderr


def test_country_codes_become_per_country_strata_at_the_hub(merged, tmp_path):
    truth, *_ = merged
    exports = []
    for node, country in (("node-a", "FI"), ("node-b", "SE")):
        samples = [s for s in SAMPLES if NODE_OF[s] == node]
        source = truth.folder / node
        settings = ExportSettings(
            f"c-{node}", node, "GRCh38", FLOOR, country=country, ploidy="GRCh38"
        )
        export_node(
            str(source / "calls.vcf"),
            {s: SEXES[s] for s in samples},
            {s: source / f"{s}.bed" for s in samples},
            tmp_path / node,
            settings,
        )
        exports.append(str(tmp_path / node))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", *exports),
            *("-o", str(tmp_path / "hub"), "--reference", str(truth.reference)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    node_a = info_of(tmp_path / "node-a" / "c-node-a.sites.vcf.gz")
    assert any("AC_FI_F_Hom" in info for _, info in node_a.values())
    both = 0
    for key, (status, info) in info_of(tmp_path / "hub" / "merged.sites.vcf.gz").items():
        if status or "INCOMPLETE" in info:
            continue
        assert info["AC_FI"] + info["AC_SE"] == info["AC"]
        assert info["AN_FI"] + info["AN_SE"] == info["AN"]
        if key in node_a and node_a[key][0] is None:
            assert info["AC_FI"] == node_a[key][1]["AC"]
        if "AN_FI_F" in info and "AN_SE_F" in info:
            assert info["AN_FI_F"] + info["AN_SE_F"] == info["AN_F"]
            both += 1
    assert both > 5


def test_an_export_with_a_sub_floor_count_is_refused_even_with_valid_checksums(merged, tmp_path):
    truth, exports, _, _ = merged
    copy = tmp_path / "node-b"
    shutil.copytree(exports["node-b"], copy)
    sites = copy / "cohort-node-b.sites.vcf.gz"
    with gzip.open(sites, "rt") as handle:
        lines = handle.read().splitlines()
    number = next(n for n, line in enumerate(lines) if "\tPASS\t" in line)
    lines[number] = re.sub(r"\tPASS\tAC=\d+;", "\tPASS\tAC=3;", lines[number])
    sites.unlink()
    with gzip.open(sites, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"] = file_entries(copy, {e["path"]: e["kind"] for e in manifest["files"]})
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", str(exports["node-a"]), str(copy)),
            *("-o", str(tmp_path / "out"), "--reference", str(truth.reference)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "node node-b:" in result.stderr and "fails the egress check" in result.stderr
    assert f"cohort-node-b.sites.vcf.gz line {number + 1}" in result.stderr


def test_alleles_that_do_not_match_the_hubs_reference_are_an_error(merged, tmp_path):
    truth, exports, _, _ = merged
    other = tmp_path / "other.fa"
    text = truth.reference.read_text()
    other.write_text(text.translate(str.maketrans("ACGT", "CATG")))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "merge", str(exports["node-a"])),
            *("-o", str(tmp_path / "out"), "--reference", str(other)),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "node node-a:" in result.stderr and "does not normalise against" in result.stderr
