"""The run crate's parts, verify's checks and the removal of run-time stamps, on small
files made here (the real crate of a real run is tested in tests/workflow)."""

from __future__ import annotations

import base64
import gzip
import json
import shlex
import shutil
from pathlib import Path

import pytest
from rocrate.rocrate import ROCrate

from varnode.common.checksums import ChecksumCache, sha256_file
from varnode.errors import VarnodeError
from varnode.provenance.job_records import read_job_records
from varnode.provenance.run_crate import (
    CrateBuilder,
    add_outputs,
    add_workflow,
    portable_command,
    run_inputs,
)
from varnode.provenance.verify import check_files, compare_outputs, prepare_rerun, rerun_command
from varnode.report.stamps import fastp_without_stamps, multiqc_without_stamps

FASTP_HTML = (
    "<html><head><title>fastp report at 2026-12-01      03:08:15 </title></head><body>"
    "<div id='footer'> <p>fastp -i a.fq.gz</p>fastp 0.23.2, at 2026-12-01      03:08:15 "
    "</div></body></html>"
)


def test_fastp_report_loses_its_time_stamps_and_nothing_else():
    cleaned = fastp_without_stamps(FASTP_HTML)
    assert "2026" not in cleaned and "03:08" not in cleaned
    assert "<title>fastp report </title>" in cleaned and "fastp -i a.fq.gz" in cleaned
    later = FASTP_HTML.replace("03:08:15", "17:59:01").replace("2026-12-01", "2027-01-02")
    assert fastp_without_stamps(later) == cleaned


def multiqc_html(uuid: str, date: str, mtime: int) -> str:
    blob = base64.b64encode(gzip.compress(b'{"plots": [1, 2]}', mtime=mtime)).decode()
    return (
        f'<script type="text/plain" id="mqc_compressed_plotdata">{blob}</script>\n'
        f'reportUuid = "{uuid}";\nconfigCreationDate = "{date}";\n'
    )


def test_multiqc_report_of_two_runs_becomes_the_same_bytes():
    one = multiqc_html("341960a3-6e81-4876-97b8-04de0b68fdb6", "01 Dec 2026, 03:14 UTC", 1)
    two = multiqc_html("937e46fb-85d9-4d21-bae4-4df170f1b313", "02 Dec 2026, 11:00 UTC", 99)
    assert one != two
    assert multiqc_without_stamps(one) == multiqc_without_stamps(two)
    cleaned = multiqc_without_stamps(one)
    assert "2026" not in cleaned and "341960a3" not in cleaned
    blob = cleaned.split('plotdata">')[1].split("<")[0]
    assert gzip.decompress(base64.b64decode(blob)) == b'{"plots": [1, 2]}'


@pytest.mark.parametrize("clean", [fastp_without_stamps, multiqc_without_stamps])
def test_a_report_without_the_known_stamps_is_an_error(clean):
    with pytest.raises(VarnodeError, match="not the report layout"):
        clean("<html><body>something else</body></html>")


def test_command_line_is_recorded_without_machine_paths(tmp_path):
    workflow_dir, workdir = tmp_path / "varnode", tmp_path / "runs" / "a"
    (workdir / "config").mkdir(parents=True)
    (workdir / "config" / "x.yaml").write_text("{}")
    workflow_dir.mkdir()
    (workflow_dir / "Snakefile").write_text("")
    argv = [
        "/usr/lib/python3/snakemake/__main__.py",
        "-s",
        f"{workflow_dir}/Snakefile",
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config/x.yaml"),
        "--cores",
        "2",
    ]
    command = portable_command(argv, str(workflow_dir), str(workdir))
    assert command == (
        "snakemake -s '$VARNODE/Snakefile' --directory . --configfile config/x.yaml --cores 2"
    )
    assert str(tmp_path) not in command
    rerun = rerun_command(shlex.split(command), Path("/opt/varnode"))
    # Run from the checkout itself (make demo): relative code paths become $VARNODE, the
    # run's config stays relative, and the Snakefile Snakemake found is named.
    (workflow_dir / "workflow" / "profiles" / "default").mkdir(parents=True)
    (workflow_dir / "config").mkdir()
    (workflow_dir / "config" / "config.yaml").write_text("{}")
    in_checkout = portable_command(
        [
            "snakemake",
            "--workflow-profile",
            "workflow/profiles/default",
            "--configfile",
            "config/config.yaml",
            "--cores",
            "2",
        ],
        str(workflow_dir),
        str(workflow_dir),
    )
    assert in_checkout == (
        "snakemake --workflow-profile '$VARNODE/workflow/profiles/default' --configfile "
        "config/config.yaml --cores 2 -s '$VARNODE/Snakefile'"
    )
    assert rerun[1:] == [
        "-m",
        "snakemake",
        "-s",
        "/opt/varnode/Snakefile",
        "--directory",
        ".",
        "--configfile",
        "config/x.yaml",
        "--cores",
        "2",
    ]


def test_inputs_are_every_configured_file_with_indexes_and_the_sheets_fastqs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "data").mkdir()
    for name in ("ref.fa", "known.vcf.gz", "known.vcf.gz.tbi", "r1.fq.gz", "r2.fq.gz"):
        (tmp_path / "data" / name).write_text(name)
    (tmp_path / "config" / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\nS1\tL1\t../data/r1.fq.gz\t/abs/r2.fq.gz\n"
        f"S2\tL1\t{tmp_path}/data/r1.fq.gz\t{tmp_path}/data/r2.fq.gz\n"
    )
    config = {
        "samples": "config/samples.tsv",
        "reference": {"fasta": "data/ref.fa", "regions": ""},
        "annotation": {"gff3": "", "dbsnp": "data/known.vcf.gz", "population_af": {"vcf": ""}},
    }
    inputs = run_inputs(config, ["config/config.yaml"], "config/samples.tsv")
    assert inputs == [
        ("/abs/r2.fq.gz", "samples.fastq"),
        ("config/config.yaml", "configfile"),
        ("config/samples.tsv", "samples"),
        ("data/known.vcf.gz", "annotation.dbsnp"),
        ("data/known.vcf.gz.tbi", "annotation.dbsnp"),
        ("data/r1.fq.gz", "samples.fastq"),
        ("data/r2.fq.gz", "samples.fastq"),  # absolute in the sheet, inside the run folder
        ("data/ref.fa", "reference.fasta"),
    ]


def write_record(metadata: Path, output: str, **fields) -> None:
    """A job record as Snakemake writes it: file named by the output's urlsafe base64."""
    record = {
        "record_format_version": 6,
        "incomplete": False,
        "log": [],
        "input": [],
        "starttime": 10.0,
        "endtime": 20.0,
        **fields,
    }
    metadata.mkdir(parents=True, exist_ok=True)
    (metadata / base64.urlsafe_b64encode(output.encode()).decode()).write_text(json.dumps(record))


def test_job_records_are_grouped_into_jobs_and_unknown_ones_skipped(tmp_path):
    metadata = tmp_path / "metadata"
    job = {"rule": "normalize_variants", "input": ["results/x.bcf"], "log": ["logs/n/S1.log"]}
    write_record(metadata, "results/calls/S1.vcf.gz", **job)
    write_record(metadata, "results/calls/S1.vcf.gz.tbi", **job)
    write_record(
        metadata,
        "results/qc/S1.txt",
        rule="stats",
        log=["logs/s/S1.log"],
        starttime=30.0,
        endtime=31.0,
    )
    write_record(metadata, "results/other", rule="x", record_format_version=99)
    write_record(metadata, "results/half", rule="y", incomplete=True)
    (metadata / "bm90LWpzb24=").write_text("{not json")
    jobs, skipped = read_job_records(metadata)
    assert [(job["rule"], job["outputs"]) for job in jobs] == [
        ("normalize_variants", ["results/calls/S1.vcf.gz", "results/calls/S1.vcf.gz.tbi"]),
        ("stats", ["results/qc/S1.txt"]),
    ]
    assert len(skipped) == 3 and any("record format 99" in s for s in skipped)


def write_small_crate(run_dir: Path) -> None:
    """A crate of one input (outside results/) and two outputs, as run-crate records them."""
    results = run_dir / "results"
    (results / "calls").mkdir(parents=True)
    (results / "calls" / "S1.vcf").write_text("##fileformat=VCFv4.2\n")
    (results / "report").mkdir()
    (results / "report" / "run.json").write_text('{"host": "a"}\n')
    (run_dir / "config").mkdir()
    (run_dir / "config" / "config.yaml").write_text("samples: x\n")
    builder = CrateBuilder(results, ChecksumCache(None), run_dir)
    parameter = builder.crate.add_formal_parameter("configfile", "File", identifier="#p")
    builder.add_input("config/config.yaml", parameter)
    for path in (results / "calls" / "S1.vcf", results / "report" / "run.json"):
        builder.add_output(path)
    (results / "ro-crate-metadata.json").write_text(
        json.dumps(builder.crate.metadata.generate(), indent=2)
    )


def statuses(findings) -> dict[str, str]:
    return {finding.label: finding.status for finding in findings}


def test_verify_passes_an_untouched_run_and_names_tampered_missing_and_extra_files(tmp_path):
    write_small_crate(tmp_path)
    assert set(statuses(check_files(tmp_path)).values()) == {"ok"}
    assert "config/config.yaml" in statuses(check_files(tmp_path))

    # Run metadata written after the crate (the run summary) and partial outputs of a
    # killed job are not results: neither listed nor reported.
    (tmp_path / "results" / "report" / "run_summary.html").write_text("<html></html>\n")
    (tmp_path / "results" / "report" / "tables").mkdir()
    (tmp_path / "results" / "report" / "tables" / "run_summary.tsv").write_text("sample\n")
    (tmp_path / "results" / ".partial.workflow").mkdir()
    (tmp_path / "results" / ".partial.workflow" / "Snakefile").write_text("rule a:\n")
    assert set(statuses(check_files(tmp_path)).values()) == {"ok"}

    (tmp_path / "results" / "calls" / "S1.vcf").write_text("##fileformat=VCFv4.3\n")
    (tmp_path / "results" / "report" / "run.json").unlink()
    (tmp_path / "config" / "config.yaml").write_text("samples: y\n")
    (tmp_path / "results" / "calls" / "extra.tsv").write_text("x\n")
    found = statuses(check_files(tmp_path))
    assert found["results/calls/S1.vcf"] == "mismatch"
    assert found["results/report/run.json"] == "missing"
    assert found["config/config.yaml"] == "mismatch"
    assert found["results/calls/extra.tsv"] == "unrecorded"


def test_snapshot_written_under_a_partial_name_is_recorded_as_results_workflow(tmp_path):
    """The rule writes the snapshot under its partial name and publishes it after the
    crate is written: the crate names it results/workflow, with the copies' digests."""
    checkout = tmp_path / "checkout"
    (checkout / "workflow" / "rules").mkdir(parents=True)
    (checkout / "Snakefile").write_text("include: 'workflow/rules/a.smk'\n")
    (checkout / "workflow" / "rules" / "a.smk").write_text("rule a:\n    shell: 'true'\n")
    results = tmp_path / "run" / "results"
    (results / "report" / "tables").mkdir(parents=True)
    (results / "report" / "index.html").write_text("<html></html>\n")
    (results / "report" / "run_summary.html").write_text("<html></html>\n")
    (results / "report" / "tables" / "run_summary.json").write_text("{}\n")
    builder = CrateBuilder(results, ChecksumCache(None), tmp_path / "run")
    run = {"snakemake_version": "9.27.1", "workflow": {"version": "1.0"}}
    written = results / ".partial.workflow"
    workflow = add_workflow(builder, run, checkout, written)

    assert (written / "workflow" / "rules" / "a.smk").is_file()
    assert not (results / "workflow").exists()
    assert workflow.id == "workflow/Snakefile"
    assert workflow["sha256"] == sha256_file(checkout / "Snakefile")
    rules = builder.crate.get("workflow/workflow/rules/a.smk")
    assert rules["sha256"] == sha256_file(checkout / "workflow" / "rules" / "a.smk")
    # Neither the partial snapshot nor the run summary is an output of the run.
    assert [output.id for output in add_outputs(builder, workflow)] == ["report/index.html"]


def test_rerun_comparison_names_identical_different_expected_missing_and_new(tmp_path):
    run_dir, new_dir = tmp_path / "run", tmp_path / "rerun"
    write_small_crate(run_dir)
    shutil.copytree(run_dir, new_dir)
    crate = ROCrate(run_dir / "results")
    assert statuses(compare_outputs(crate, run_dir, new_dir)) == {
        "results/calls/S1.vcf": "identical",
        "results/report/run.json": "identical",
    }
    (new_dir / "results" / "report" / "run.json").write_text('{"host": "b"}\n')
    (new_dir / "results" / "calls" / "S1.vcf").unlink()
    (new_dir / "results" / "calls" / "S2.vcf").write_text("x")
    (new_dir / "results" / "report" / "run_summary.txt").write_text("run finished\n")
    assert statuses(compare_outputs(crate, run_dir, new_dir)) == {
        "results/calls/S1.vcf": "missing",
        "results/report/run.json": "expected",
        "results/calls/S2.vcf": "new",
    }


def test_checksum_cache_reuses_a_digest_until_size_or_mtime_change(tmp_path):
    data = tmp_path / "reads.fq.gz"
    data.write_bytes(b"ACGT" * 1000)
    cache_file = tmp_path / "checksums.json"
    cache = ChecksumCache(cache_file)
    first = cache.digest(data)
    assert first.sha256 == sha256_file(data) and cache.hashed_bytes == 4000
    cache.save()
    again = ChecksumCache(cache_file)
    assert again.digest(data) == first and again.hashed_bytes == 0
    data.write_bytes(b"ACGT" * 1001)
    assert again.digest(data).sha256 == sha256_file(data) and again.hashed_bytes == 4004


def test_rerun_needs_an_empty_folder_and_inputs_that_resolve_from_it(tmp_path):
    run_dir = tmp_path / "runs" / "run"
    write_small_crate(run_dir)
    crate = ROCrate(run_dir / "results")
    new_dir = tmp_path / "elsewhere" / "rerun"
    prepare_rerun(crate, run_dir, new_dir)  # the config lives in the run folder: copied
    assert (new_dir / "config" / "config.yaml").read_text() == "samples: x\n"
    with pytest.raises(VarnodeError, match="exists and is not empty"):
        prepare_rerun(crate, run_dir, new_dir)

    # An input given relative to the run folder but outside it must resolve from NEW_DIR.
    outside = tmp_path / "runs" / "data.txt"
    outside.write_text("reference\n")
    builder = CrateBuilder(run_dir / "results", ChecksumCache(None), run_dir)
    parameter = builder.crate.add_formal_parameter("reference", "File", identifier="#p")
    builder.add_input("../data.txt", parameter)
    (run_dir / "results" / "ro-crate-metadata.json").write_text(
        json.dumps(builder.crate.metadata.generate())
    )
    crate = ROCrate(run_dir / "results")
    with pytest.raises(VarnodeError, match=r"\.\./data\.txt: not found from .*sibling"):
        prepare_rerun(crate, run_dir, tmp_path / "elsewhere" / "other")
    prepare_rerun(crate, run_dir, tmp_path / "runs" / "sibling")  # beside the run: found
