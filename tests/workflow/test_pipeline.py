"""The per-sample pipeline end to end on real data, with the real tools."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from cyvcf2 import VCF

from tests.conftest import snakemake

pytestmark = pytest.mark.workflow

SAMPLES = ("NA12878", "testN", "testT")
CALLERS = ("bcftools", "freebayes")
# GIAB v4.2.1 HG001 truth variants of the slice (SNVs and indels, het and hom-alt).
KNOWN_NA12878 = [
    ("chr22", 2608, "T", "C"),
    ("chr22", 5178, "C", "CT"),
    ("chr22", 12470, "A", "G"),
    ("chr22", 20154, "A", "G"),
    ("chr22", 29198, "AATAT", "A"),
    ("chr22", 38172, "G", "A"),
]


def records(vcf: Path) -> list[tuple[str, int, str, str]]:
    return [(v.CHROM, v.POS, v.REF, ",".join(v.ALT)) for v in VCF(str(vcf))]


@pytest.mark.parametrize("sample", SAMPLES)
def test_alignments_are_valid_indexed_and_read_grouped(pipeline_run: Path, sample: str) -> None:
    bam = pipeline_run / "results" / "aligned" / f"{sample}.bam"
    subprocess.run(["samtools", "quickcheck", str(bam)], check=True)
    assert Path(f"{bam}.bai").is_file()
    header = subprocess.run(
        ["samtools", "view", "-H", "--no-PG", str(bam)], capture_output=True, text=True, check=True
    ).stdout
    assert f"@RG\tID:{sample}.L1\tSM:{sample}" in header
    assert "SO:coordinate" in header
    # samtools runs with --no-PG (a rerun gives the same bytes): bwa's is the only @PG.
    programs = [line.split("\t")[1] for line in header.splitlines() if line.startswith("@PG")]
    assert programs == ["ID:bwa"]


def test_na12878_maps_at_least_95_percent(pipeline_run: Path) -> None:
    flagstat = (pipeline_run / "results/qc/samtools_flagstat/NA12878.txt").read_text()
    mapped = next(line for line in flagstat.splitlines() if " mapped (" in line)
    rate = float(mapped.split("(")[1].split("%")[0])
    assert rate >= 95.0


def test_qc_outputs_exist_and_are_filled(pipeline_run: Path) -> None:
    qc = pipeline_run / "results" / "qc"
    for sample in SAMPLES:
        assert "SN\traw total sequences:" in (qc / f"samtools_stats/{sample}.txt").read_text()
        assert (qc / f"samtools_idxstats/{sample}.txt").read_text().startswith("chr22\t40001\t")
        summary = (qc / f"mosdepth/{sample}.mosdepth.summary.txt").read_text().splitlines()
        assert summary[0].startswith("chrom\tlength\tbases\tmean")
        assert "DUPLICATE TOTAL" in (qc / f"markdup/{sample}.markdup.txt").read_text()
        fastp = qc / "fastp" / f"{sample}.L1.fastp.json"
        assert '"summary"' in fastp.read_text()
        assert (qc / "fastp" / f"{sample}.L1.fastp.html").is_file()
    depth = (qc / "mosdepth/NA12878.mosdepth.summary.txt").read_text().splitlines()[1]
    assert float(depth.split("\t")[3]) > 20  # ~33x after duplicate marking


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_calls_are_normalised_and_indexed(
    pipeline_run: Path, shared_data: Path, sample: str, caller: str
) -> None:
    vcf = pipeline_run / "results" / "calls" / f"{sample}.{caller}.vcf.gz"
    assert Path(f"{vcf}.tbi").is_file()
    indexed = subprocess.run(
        ["bcftools", "index", "--nrecords", str(vcf)], capture_output=True, text=True, check=True
    )
    calls = records(vcf)
    assert int(indexed.stdout) == len(calls) > 0
    assert all("," not in alt for *_, alt in calls), "multi-allelic record left unsplit"
    assert calls == sorted(calls, key=lambda record: record[1])
    reference = shared_data / "reference" / "GRCh38_chr22_16570000-16610000.fa"
    renormalised = subprocess.run(
        ["bcftools", "norm", "-m-any", "-f", str(reference), "--check-ref", "e", str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"total/split/realigned/skipped:\t{len(calls)}/0/0/0" in renormalised.stderr
    assert VCF(str(vcf)).samples == [sample]
    # The assembly is named on the contig lines (config reference.assembly).
    assert "##contig=<ID=chr22,length=40001,assembly=GRCh38>" in VCF(str(vcf)).raw_header


@pytest.mark.parametrize("caller", CALLERS)
def test_na12878_calls_contain_known_truth_variants(pipeline_run: Path, caller: str) -> None:
    calls = set(records(pipeline_run / "results" / "calls" / f"NA12878.{caller}.vcf.gz"))
    missing = [variant for variant in KNOWN_NA12878 if variant not in calls]
    assert not missing, f"{caller} missed GIAB truth variants {missing}"


def test_intermediates_are_removed(pipeline_run: Path) -> None:
    results = pipeline_run / "results"
    assert not list(results.glob("trimmed/**/*.fastq.gz"))
    assert not list(results.glob("aligned/units/**/*.bam"))
    assert not list(results.glob("calls/shards/**/*.vcf.gz"))


@pytest.mark.parametrize("caller", CALLERS)
def test_dry_run_plans_the_whole_dag(make_workdir, caller: str) -> None:
    workdir = make_workdir(f"dry-{caller}", callers=[caller])
    plan = snakemake(workdir, "--dry-run", "--cores", "2").stdout
    for rule in (
        "trim_reads",
        "align_reads",
        "mark_duplicates",
        "measure_depth",
        "write_region_shards",
        f"call_variants_{caller}",  # shards are planned at parse time: no checkpoint
        "gather_bcftools_shards" if caller == "bcftools" else "gather_shards",
        "merge_cohort_shard",
    ):
        assert f"rule {rule}:" in plan or f"\n{rule} " in plan
    other = {"bcftools": "freebayes", "freebayes": "bcftools"}[caller]
    assert f"{caller}.filtered.vcf.gz" in plan and f"{other}.filtered.vcf.gz" not in plan
    if caller == "freebayes":  # the cohort's gVCFs still come from bcftools
        assert "results/gvcf/NA12878.g.vcf.gz" in plan


def test_bad_sample_sheet_starts_nothing(make_workdir) -> None:
    workdir = make_workdir("bad-sheet")
    sheet = workdir / "config" / "samples.tsv"
    lines = sheet.read_text().splitlines()
    lines[2] = lines[2].replace("testN", "test N", 1)
    sheet.write_text("\n".join(lines) + "\n")
    result = snakemake(workdir, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "row 3 (sample 'test N'), column sample: 'test N' is not a safe name" in result.stderr
    assert not (workdir / "results").exists()
    assert not (workdir / "resources").exists()


def test_cram_output_gives_the_same_calls(make_workdir, pipeline_run: Path) -> None:
    workdir = make_workdir("cram", callers=["bcftools"], alignment={"format": "cram"})
    snakemake(workdir, "--cores", "2")
    for sample in SAMPLES:
        cram = workdir / "results" / "aligned" / f"{sample}.cram"
        subprocess.run(["samtools", "quickcheck", str(cram)], check=True)
        assert Path(f"{cram}.crai").is_file()
        calls = workdir / "results" / "calls" / f"{sample}.bcftools.vcf.gz"
        from_bam = pipeline_run / "results" / "calls" / f"{sample}.bcftools.vcf.gz"
        assert records(calls) == records(from_bam)


@pytest.mark.skipif(shutil.which("gatk") is not None, reason="gatk is installed here")
def test_gatk_is_skipped_cleanly_when_not_installed(make_workdir) -> None:
    workdir = make_workdir("no-gatk", callers=["bcftools", "gatk"])
    result = snakemake(workdir, "--dry-run", "--cores", "2")
    assert "gatk is not on PATH" in result.stderr + result.stdout
    assert "call_variants_gatk" not in result.stdout
    assert "NA12878.bcftools.vcf.gz" in result.stdout


def test_units_of_a_sample_keep_their_read_groups_and_are_merged(
    make_workdir, shared_data: Path, tmp_path: Path
) -> None:
    """NA12878's read pairs split into two lanes: one BAM with both read groups."""
    halves = {"L1": ([], []), "L2": ([], [])}
    for mate in (0, 1):
        fastq = shared_data / "reads" / f"NA12878_R{mate + 1}.fastq.gz"
        with gzip.open(fastq, "rt") as handle:
            lines = handle.readlines()
        records = ["".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
        for number, record in enumerate(records):
            halves["L1" if number % 2 == 0 else "L2"][mate].append(record)
    rows = []
    for unit, (r1, r2) in halves.items():
        paths = [tmp_path / f"{unit}_R{mate}.fastq.gz" for mate in (1, 2)]
        for path, records in zip(paths, (r1, r2), strict=True):
            with gzip.open(path, "wt") as handle:
                handle.writelines(records)
        rows.append(f"NA12878\t{unit}\tILLUMINA\t{paths[0]}\t{paths[1]}\tfemale\t")
    workdir = make_workdir("units", callers=["bcftools"])
    sheet = workdir / "config" / "samples.tsv"
    sheet.write_text(sheet.read_text().splitlines()[0] + "\n" + "\n".join(rows) + "\n")

    snakemake(workdir, "--cores", "2", "results/aligned/NA12878.bam")
    bam = workdir / "results" / "aligned" / "NA12878.bam"
    header = subprocess.run(
        ["samtools", "view", "-H", str(bam)], capture_output=True, text=True, check=True
    ).stdout
    read_groups = [line for line in header.splitlines() if line.startswith("@RG")]
    assert len(read_groups) == 2
    assert all("SM:NA12878" in line for line in read_groups)
    for unit in ("L1", "L2"):
        count = subprocess.run(
            ["samtools", "view", "-c", "-r", f"NA12878.{unit}", str(bam)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert int(count) > 4000  # about half of NA12878's 9,898 reads each
    flagstat = subprocess.run(
        ["samtools", "flagstat", str(bam)], capture_output=True, text=True, check=True
    ).stdout
    # Duplicates are marked across lanes after the merge (~1,070 as with one lane).
    duplicates = int(
        next(line for line in flagstat.splitlines() if "duplicates" in line).split()[0]
    )
    assert duplicates > 900
