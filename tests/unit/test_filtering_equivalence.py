"""varnode filter against bcftools, record by record, for every filter kind.

Each case filters the same VCF with `varnode filter` and with a hand-written bcftools
command (`filter -s` for sites, `+setGT -t q -n .` for genotypes) and compares FILTER
and genotypes record by record: on generated edge cases (multi-allelic before and
after `norm -m-any`, haploid, missing values) and on real calls from ../shared/data.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.unit.filtering_cases import (
    RECORDS,
    bcftools,
    records,
    run_varnode,
    write_filters,
    write_vcf,
)

pytestmark = pytest.mark.tools  # runs bcftools/bgzip/tabix

SITE_CASES = [
    ({"field": "QUAL", "fail_if": "<", "value": 30}, "QUAL<30"),
    ({"field": "INFO/DP", "fail_if": "<", "value": 10}, "INFO/DP<10"),
    ({"field": "INFO/MQ", "fail_if": "<=", "value": 30}, "INFO/MQ<=30"),
    ({"field": "INFO/SAF", "fail_if": "==", "value": 0}, "INFO/SAF=0"),
    ({"field": "INFO/DP", "fail_if": "!=", "value": 8}, "INFO/DP!=8"),
    ({"field": "QUAL", "fail_if": "!=", "value": 30}, "QUAL!=30"),
    ({"field": "INFO/DP", "fail_if": "outside", "value": [9, 30]}, "INFO/DP<9 || INFO/DP>30"),
    ({"field": "FORMAT/GQ", "fail_if": ">", "value": 45}, "FMT/GQ>45"),
    ({"types": ["mnp", "other"]}, 'TYPE="mnp" || TYPE="other"'),
    ({"types": ["indel"]}, 'TYPE="indel"'),
    ({"expression": "INFO/SAF=0 || INFO/MQ<40"}, "INFO/SAF=0 || INFO/MQ<40"),
]
GENOTYPE_CASES = [
    ({"field": "FORMAT/GQ", "fail_if": "<", "value": 20}, "FMT/GQ<20"),
    ({"field": "FORMAT/DP", "fail_if": "<", "value": 8}, "FMT/DP<8"),
    ({"field": "FORMAT/GQ", "fail_if": "outside", "value": [20, 60]}, "FMT/GQ<20 | FMT/GQ>60"),
    ({"field": "FORMAT/GQ", "fail_if": "!=", "value": 99}, "FMT/GQ!=99"),
    (
        {"field": "VAF", "fail_if": "<", "value": 0.3},
        'GT="alt" & 1-FMT/AD[:0]/smpl_sum(FMT/AD)<0.3',
    ),
    (
        {"field": "AB", "fail_if": "outside", "value": [0.25, 0.75]},
        'GT="RA" & (1-FMT/AD[:0]/smpl_sum(FMT/AD)<0.25 | 1-FMT/AD[:0]/smpl_sum(FMT/AD)>0.75)',
    ),
]


def _compare(ours: Path, theirs: Path) -> None:
    mine, reference = records(ours), records(theirs)
    assert len(mine) == len(reference) > 0
    for a, b in zip(mine, reference, strict=True):
        assert a == b, f"record {a[0]} differs: varnode {a[2:]} vs bcftools {b[2:]}"


def _site_equivalence(source: Path, tmp: Path, spec: dict, expression: str) -> dict:
    filters = write_filters(tmp / "f.yaml", site=[{"name": "F", "description": "d", **spec}])
    table = run_varnode(source, tmp / "ours.vcf.gz", filters)
    theirs = bcftools(["filter", "-m+", "-s", "F", "-e", expression], source=source,
                      out=tmp / "theirs.vcf")  # fmt: skip
    _compare(tmp / "ours.vcf.gz", theirs)
    return table["sites"]


def _genotype_equivalence(source: Path, tmp: Path, spec: dict, expression: str) -> dict:
    filters = write_filters(tmp / "f.yaml", genotype=[{"name": "G", "description": "d", **spec}])
    table = run_varnode(source, tmp / "ours.vcf.gz", filters, set_missing=True)
    theirs = bcftools(["+setGT", "--", "-t", "q", "-n", ".", "-i", expression], source=source,
                      out=tmp / "theirs.vcf")  # fmt: skip
    _compare(tmp / "ours.vcf.gz", theirs)
    return table["genotypes"]


@pytest.fixture(params=["as_called", "norm_split", "nine_samples"])
def edge_vcf(request, tmp_path: Path) -> Path:
    """The edge-case VCF: as called (multi-allelic records), after `norm -m-any`, or
    with its samples repeated to nine."""
    if request.param == "nine_samples":
        wide = ["\t".join(r.split("\t")[:9] + r.split("\t")[9:] * 3) for r in RECORDS]
        return write_vcf(tmp_path / "edge.vcf.gz", samples="ABCDEFGHI", records=wide)
    source = write_vcf(tmp_path / "edge.vcf.gz")
    if request.param == "as_called":
        return source
    split = tmp_path / "split.vcf.gz"
    subprocess.run(["bcftools", "norm", "-m-any", "-Oz", "-o", split, source], check=True)
    subprocess.run(["tabix", "-p", "vcf", split], check=True)
    return split


@pytest.mark.parametrize(("spec", "expression"), SITE_CASES, ids=[c[1] for c in SITE_CASES])
def test_site_filters_match_bcftools_filter(edge_vcf, tmp_path, spec, expression) -> None:
    counts = _site_equivalence(edge_vcf, tmp_path, spec, expression)
    assert 0 < counts["failed_any"] < counts["evaluated"]  # the case exercises both outcomes


@pytest.mark.parametrize(("spec", "expression"), GENOTYPE_CASES, ids=[c[1] for c in GENOTYPE_CASES])
def test_genotype_filters_match_bcftools_setgt(edge_vcf, tmp_path, spec, expression) -> None:
    counts = _genotype_equivalence(edge_vcf, tmp_path, spec, expression)
    assert 0 < counts["failed_any"] < counts["evaluated"]


# One record per bcftools variant TYPE, alone and mixed in a multi-allelic record.
TYPED = [
    "chr1\t100\tsnp\tA\tC\t50\t.\tDP=9",
    "chr1\t200\tsnp_indel\tA\tC,AT\t50\t.\tDP=9",
    "chr1\t300\tmnp\tAC\tGT\t50\t.\tDP=9",
    "chr1\t400\tmnp_snp\tAC\tGT,AT\t50\t.\tDP=9",
    "chr1\t500\tdel\tAT\tA\t50\t.\tDP=9",
    "chr1\t550\tins\tA\tATT\t50\t.\tDP=9",
    "chr1\t600\tsymbolic\tA\t<DEL>\t50\t.\tDP=9",
    "chr1\t700\tref\tA\t.\t50\t.\tDP=9",
    "chr1\t800\tstar\tA\t*,C\t50\t.\tDP=9",
    "chr1\t850\tstar_only\tA\t*\t50\t.\tDP=9",
    "chr1\t900\tbnd\tA\tA]chr1:1000]\t50\t.\tDP=9",
    "chr1\t950\tcomplex\tACG\tTA\t50\t.\tDP=9",
]


@pytest.mark.parametrize(
    "types",
    [["snp"], ["mnp"], ["indel"], ["ref"], ["bnd"], ["other"], ["overlap"], ["mnp", "other"]],
    ids=lambda types: "+".join(types),
)
def test_type_filters_match_bcftools_on_every_variant_type(tmp_path: Path, types) -> None:
    source = write_vcf(tmp_path / "typed.vcf.gz", samples=(), records=TYPED)
    _site_equivalence(source, tmp_path, {"types": types},
                      " || ".join(f'TYPE="{kind}"' for kind in types))  # fmt: skip


def test_region_filters_match_bcftools_mask(tmp_path: Path) -> None:
    source = write_vcf(tmp_path / "edge.vcf.gz")
    bed = tmp_path / "targets.bed"
    bed.write_text("chr1\t150\t350\nchr2\t0\t15\n")
    for key, mask in (("outside_bed", f"^{bed}"), ("inside_bed", str(bed))):
        filters = write_filters(
            tmp_path / "f.yaml", site=[{"name": "R", "description": "d", key: bed.name}]
        )
        run_varnode(source, tmp_path / "ours.vcf.gz", filters)
        theirs = bcftools(["filter", "-m+", "-s", "R", "--mask-file", mask], source=source,
                          out=tmp_path / "theirs.vcf")  # fmt: skip
        _compare(tmp_path / "ours.vcf.gz", theirs)


# Real calls: the shared reads aligned and called in a fixture (a few seconds).


def _sh(command: str, cwd: Path) -> None:
    subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip


@pytest.fixture(scope="module")
def real_calls(shared_data: Path, tmp_path_factory) -> dict[str, Path]:
    """bcftools calls (3 samples, joint, and NA12878 alone) and freebayes calls (NA12878)."""
    work = tmp_path_factory.mktemp("real_calls")
    ref = work / "ref.fa"
    ref.write_bytes((shared_data / "reference/GRCh38_chr22_16570000-16610000.fa").read_bytes())
    _sh(f"samtools faidx {ref} && bwa index {ref}", work)
    for sample in ("NA12878", "testN", "testT"):
        reads = " ".join(str(shared_data / f"reads/{sample}_R{i}.fastq.gz") for i in (1, 2))
        _sh(
            f"bwa mem -t 2 -R '@RG\\tID:{sample}\\tSM:{sample}' {ref} {reads}"
            f" | samtools sort -o {sample}.bam - && samtools index {sample}.bam",
            work,
        )
    mpileup = f"bcftools mpileup -f {ref} --max-depth 1000 -a FORMAT/AD,FORMAT/DP,FORMAT/SP -Ou"
    norm = f"bcftools norm -m-any -f {ref} -Oz"
    _sh(
        f"{mpileup} NA12878.bam testN.bam testT.bam | bcftools call -mv -a GQ -Ou"
        f" | {norm} -o joint.vcf.gz && tabix joint.vcf.gz",
        work,
    )
    _sh(
        f"{mpileup} NA12878.bam | bcftools call -mv -a GQ -Oz -o na12878.vcf.gz"
        " && tabix na12878.vcf.gz",
        work,
    )
    _sh(
        f"freebayes -f {ref} NA12878.bam | bgzip > fb.vcf.gz && tabix fb.vcf.gz",
        work,
    )
    return {name: work / f"{name}.vcf.gz" for name in ("joint", "na12878", "fb")}


@pytest.mark.parametrize("calls", ["joint", "na12878"])
@pytest.mark.parametrize(("spec", "expression"), SITE_CASES[:3] + SITE_CASES[6:8])
def test_real_bcftools_calls_sites(real_calls, tmp_path, calls, spec, expression) -> None:
    _site_equivalence(real_calls[calls], tmp_path, spec, expression)


@pytest.mark.parametrize("calls", ["joint", "na12878"])
@pytest.mark.parametrize(("spec", "expression"), GENOTYPE_CASES)
def test_real_bcftools_calls_genotypes(real_calls, tmp_path, calls, spec, expression) -> None:
    counts = _genotype_equivalence(real_calls[calls], tmp_path, spec, expression)
    assert counts["evaluated"] > 0


@pytest.mark.parametrize(
    ("spec", "expression"),
    [
        ({"field": "INFO/MQM", "fail_if": "<", "value": 40}, "INFO/MQM<40"),
        ({"field": "INFO/SAP", "fail_if": ">", "value": 20}, "INFO/SAP>20"),
        ({"types": ["mnp", "other"]}, 'TYPE="mnp" || TYPE="other"'),
    ],
)
def test_real_freebayes_calls_sites(real_calls, tmp_path, spec, expression) -> None:
    _site_equivalence(real_calls["fb"], tmp_path, spec, expression)


@pytest.mark.parametrize(("spec", "expression"), [GENOTYPE_CASES[1], *GENOTYPE_CASES[3:]])
def test_real_freebayes_calls_genotypes(real_calls, tmp_path, spec, expression) -> None:
    _genotype_equivalence(real_calls["fb"], tmp_path, spec, expression)


def test_default_filters_run_on_both_callers(real_calls, tmp_path) -> None:
    """The shipped config/filters.yaml applies to bcftools and freebayes calls alike."""
    defaults = Path(__file__).resolve().parents[2] / "config" / "filters.yaml"
    for name in ("na12878", "fb"):
        table = run_varnode(real_calls[name], tmp_path / f"{name}.vcf.gz", defaults)
        assert table["sites"]["evaluated"] > 0
        skipped = set(table["skipped_filters"])
        # LowDepth reads freebayes' RO+AO: skipped on bcftools calls, applied to freebayes'.
        assert ("LowDepth" in skipped) == (name == "na12878")
