"""varnode simulate: reproducible bytes, a valid truth, reads that real tools map and call."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pysam
import pytest
import yaml

from tests.conftest import REPO, merge_config
from varnode.cli import main
from varnode.inputs.check import check_config
from varnode.inputs.sheet import load_sample_sheet
from varnode.simulation.reads import ErrorModel, error_probability, sequence_reads
from varnode.simulation.variants import left_align


def simulate(outdir: Path, *options: str) -> Path:
    assert main(["simulate", "--outdir", str(outdir), *options]) == 0
    return outdir


def truth_records(vcf: Path) -> list[pysam.VariantRecord]:
    with pysam.VariantFile(str(vcf)) as variants:
        return list(variants)


def test_same_seed_gives_same_bytes(tmp_path):
    options = ("--seed", "11", "--length", "6000", "--depth", "5")
    first = simulate(tmp_path / "a", *options)
    second = simulate(tmp_path / "b", *options)
    other_seed = simulate(tmp_path / "c", "--seed", "12", "--length", "6000", "--depth", "5")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert {str(p) for p in files} >= {
        "reference.fa",
        "reference.fa.fai",
        "truth/SIM1.vcf.gz",
        "truth/SIM1.vcf.gz.tbi",
        "reads/SIM2_R2.fastq.gz",
        "samples.tsv",
        "config.yaml",
    }
    for name in files:
        if name.name == "config.yaml":  # names its own (absolute) folder
            text = (second / name).read_text().replace(str(second), str(first))
            assert text == (first / name).read_text()
        else:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "reads/SIM1_R1.fastq.gz").read_bytes() != (
        other_seed / "reads/SIM1_R1.fastq.gz"
    ).read_bytes()


@pytest.mark.tools
def test_truth_is_valid_normalised_and_matches_reference(tmp_path):
    out = simulate(
        tmp_path,
        "--length",
        "30000",
        "--depth",
        "1",
        "--snv-rate",
        "0.005",
        "--indel-rate",
        "0.002",
    )
    fasta = pysam.FastaFile(str(out / "reference.fa"))
    for sample in ("SIM1", "SIM2"):
        records = truth_records(out / "truth" / f"{sample}.vcf.gz")
        kinds = {
            (
                "snv" if all(len(a) == len(r.ref) == 1 for a in r.alts) else "indel",
                "hom" if len(set(r.samples[sample]["GT"])) == 1 else "het",
            )
            for r in records
        }
        assert kinds == {("snv", "het"), ("snv", "hom"), ("indel", "het"), ("indel", "hom")}
        for record in records:
            assert fasta.fetch(record.chrom, record.start, record.stop) == record.ref
            assert None not in record.samples[sample]["GT"] and any(record.samples[sample]["GT"])
        starts = [r.start for r in records]
        assert starts == sorted(starts)
        assert all(a.stop < b.start for a, b in itertools.pairwise(records))
        norm = subprocess.run(
            [
                "bcftools",
                "norm",
                "--check-ref",
                "e",
                "-f",
                str(out / "reference.fa"),
                "-o",
                "/dev/null",
                str(out / "truth" / f"{sample}.vcf.gz"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        total, _split, realigned, skipped = norm.stderr.strip().split()[-1].split("/")
        assert int(total) == len(records) and realigned == "0" and skipped == "0"


def test_indel_lengths_are_mostly_short_with_a_long_tail(tmp_path):
    out = simulate(
        tmp_path,
        "--length",
        "200000",
        "--depth",
        "0.1",
        "--samples",
        "1",
        "--indel-rate",
        "0.003",
        "--snv-rate",
        "0",
    )
    lengths = [abs(len(r.alts[0]) - len(r.ref)) for r in truth_records(out / "truth/SIM1.vcf.gz")]
    assert len(lengths) > 300
    assert 0.4 < lengths.count(1) / len(lengths) < 0.8
    assert max(lengths) >= 10


@pytest.mark.tools
def test_reads_map_back_and_calling_recovers_planted_variants(tmp_path):
    out = simulate(
        tmp_path / "sim",
        "--seed",
        "3",
        "--length",
        "40000",
        "--samples",
        "1",
        "--snv-rate",
        "0.002",
        "--indel-rate",
        "0.0005",
    )
    ref, bam = str(out / "reference.fa"), str(tmp_path / "sim1.bam")
    subprocess.run(["bwa", "index", ref], check=True, capture_output=True)
    subprocess.run(
        f"bwa mem -t 2 {ref} {out}/reads/SIM1_R1.fastq.gz {out}/reads/SIM1_R2.fastq.gz "
        f"| samtools sort -o {bam} - && samtools index {bam}",
        shell=True,
        check=True,
        capture_output=True,
    )
    flagstat = subprocess.run(["samtools", "flagstat", bam], capture_output=True, text=True)
    mapped = next(line for line in flagstat.stdout.splitlines() if " mapped (" in line)
    assert float(mapped.split("(")[1].split("%")[0]) >= 99.0
    calls = str(tmp_path / "calls.vcf.gz")
    subprocess.run(
        f"bcftools mpileup -f {ref} {bam} | bcftools call -mv -Ou"
        f" | bcftools norm -f {ref} -m-any -Oz -o {calls}",
        shell=True,
        check=True,
        capture_output=True,
    )
    called = {(r.pos, r.ref, alt) for r in truth_records(Path(calls)) for alt in r.alts}
    truth = [
        (r.pos, r.ref, alt) for r in truth_records(out / "truth/SIM1.vcf.gz") for alt in r.alts
    ]
    snvs = [v for v in truth if len(v[1]) == len(v[2]) == 1]
    indels = [v for v in truth if v not in snvs]
    assert len(snvs) > 40 and len(indels) > 5
    assert sum(v in called for v in snvs) / len(snvs) >= 0.95
    assert sum(v in called for v in indels) / len(indels) >= 0.8


def test_substitution_errors_follow_the_model_and_qualities_are_calibrated():
    rng = np.random.default_rng(5)
    model = ErrorModel(indel_error=0)
    templates = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (20000, 151))]
    reads, qualities = sequence_reads(rng, templates, model, mate=2)
    wrong = reads != templates[:, :150]
    expected = model.cycle_error(150, mate=2)
    assert wrong.mean() == pytest.approx(expected.mean(), rel=0.15)
    assert wrong[:, -20:].mean() > 3 * wrong[:, :20].mean()  # errors rise along the read
    assert wrong.mean() == pytest.approx(error_probability(qualities).mean(), rel=0.05)
    for low, high in ((2, 20), (20, 30), (30, 42)):
        in_bin = (qualities >= low) & (qualities < high)
        stated = error_probability(qualities[in_bin]).mean()
        assert wrong[in_bin].mean() == pytest.approx(stated, rel=0.15)


def test_read2_is_worse_than_read1():
    model = ErrorModel()
    assert (model.cycle_error(100, mate=2) > model.cycle_error(100, mate=1)).all()


def test_a_few_reads_carry_one_indel_error():
    rng = np.random.default_rng(9)
    # max_quality 93 makes the substitution floor (10^-9.3) negligible.
    model = ErrorModel(first_cycle_error=0, last_cycle_error=0, indel_error=1e-4, max_quality=93)
    templates = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (20000, 101))]
    # With no substitutions left, a read differs from its template only through an indel.
    reads, _ = sequence_reads(rng, templates, model, mate=1)
    changed = (reads != templates[:, :100]).any(axis=1).mean()
    assert changed == pytest.approx(1 - (1 - 1e-4) ** 100, rel=0.2)


def test_left_align_moves_indels_to_the_start_of_their_repeat():
    sequence = b"GCAAAAT"
    assert left_align(sequence, 4, b"AA", b"A") == (1, b"CA", b"C")
    assert left_align(sequence, 5, b"A", b"AA") == (1, b"C", b"CA")
    assert left_align(b"GCACACT", 3, b"CAC", b"C") == (0, b"GCA", b"G")


def test_given_reference_is_kept_and_n_runs_get_no_variants_or_reads(tmp_path):
    rng = np.random.default_rng(1)
    first = "".join(rng.choice(list("ACGT"), 12000))
    second = (
        "".join(rng.choice(list("acgt"), 4000))
        + "N" * 3000
        + "".join(rng.choice(list("ACGT"), 4000))
    )
    given = tmp_path / "given.fa"
    given.write_text(f">chrA desc\n{first}\n>chrB\n{second}\n")
    out = simulate(
        tmp_path / "sim",
        "--reference",
        str(given),
        "--snv-rate",
        "0.01",
        "--depth",
        "3",
        "--samples",
        "1",
    )
    fasta = pysam.FastaFile(str(out / "reference.fa"))
    assert list(fasta.references) == ["chrA", "chrB"]
    assert fasta.fetch("chrB") == second.upper()
    records = truth_records(out / "truth/SIM1.vcf.gz")
    assert {r.chrom for r in records} == {"chrA", "chrB"}
    assert not [r for r in records if r.chrom == "chrB" and 3990 <= r.pos <= 7010]
    with pysam.FastxFile(str(out / "reads/SIM1_R1.fastq.gz")) as reads:
        sequences = [entry.sequence for entry in reads]
    assert sequences and not any("N" in s for s in sequences)


def test_sample_sheet_and_config_pass_the_pipelines_checks(tmp_path, monkeypatch):
    out = simulate(tmp_path / "sim", "--length", "5000", "--depth", "2", "--samples", "3")
    sheet = load_sample_sheet(out / "samples.tsv")
    assert sheet.samples == ["SIM1", "SIM2", "SIM3"]
    assert sheet.units_of("SIM2")[0].fq1 == (out / "reads/SIM2_R1.fastq.gz").resolve()
    overrides = yaml.safe_load((out / "config.yaml").read_text())
    assert overrides["calling"]["scatter"] == 3
    assert overrides["accuracy"] == {
        "truth": str(out / "truth/SIM1.vcf.gz"),
        "regions": str(out / "truth/confident.bed"),
        "sample": "SIM1",
    }
    # As `make demo` runs it without ../shared: the shipped config, overridden.
    shutil.copytree(REPO / "config", tmp_path / "run" / "config")
    monkeypatch.chdir(tmp_path / "run")
    shipped = yaml.safe_load(Path("config/config.yaml").read_text())
    assert check_config(merge_config(shipped, overrides)).samples == sheet.samples


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--samples", "0"), "--samples 0"),
        (("--reference", "/nonexistent.fa"), "/nonexistent.fa: file not found"),
        (("--read-length", "10"), "--read-length 10"),
    ],
)
def test_bad_arguments_are_reported(tmp_path, capsys, options, message):
    assert main(["simulate", "--outdir", str(tmp_path), *options]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "config.yaml").exists()


def test_complex_sites_and_confident_bed(tmp_path):
    out = simulate(tmp_path, "--seed", "5", "--length", "40000", "--depth", "1",
                   "--complex-rate", "1e-3", "--samples", "1")  # fmt: skip
    records = truth_records(out / "truth/SIM1.vcf.gz")
    complex_records = [r for r in records if len(r.ref) > 1 and all(len(a) > 1 for a in r.alts)]
    mnps = [r for r in complex_records if len(r.ref) == len(r.alts[0])]
    delins = [r for r in complex_records if len(r.ref) != len(r.alts[0])]
    assert mnps and delins
    for record in complex_records:  # already trimmed: first and last bases differ
        assert record.ref[0] != record.alts[0][0] and record.ref[-1] != record.alts[0][-1]
    bed = (out / "truth/confident.bed").read_text().split()
    assert bed[0] == "sim1" and int(bed[1]) > 0 and int(bed[2]) < 40000


@pytest.mark.skipif(shutil.which("art_illumina") is None, reason="art_illumina not installed")
def test_art_reads_are_seeded_and_carry_the_planted_variants(tmp_path):
    options = ("--seed", "3", "--length", "8000", "--depth", "10", "--samples", "1",
               "--reads", "art")  # fmt: skip
    first, second = simulate(tmp_path / "a", *options), simulate(tmp_path / "b", *options)
    for mate in (1, 2):
        name = f"reads/SIM1_R{mate}.fastq.gz"
        assert (first / name).read_bytes() == (second / name).read_bytes()
    with pysam.FastxFile(str(first / "reads/SIM1_R1.fastq.gz")) as reads:
        entries = list(reads)
    assert len(entries) == pytest.approx(8000 * 10 / 300, rel=0.1)  # 2x150 bp at 10x
    assert {len(entry.sequence) for entry in entries} == {150}
    assert min(min(entry.get_quality_array()) for entry in entries) < 30  # ART's profile
