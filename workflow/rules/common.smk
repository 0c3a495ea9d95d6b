import os
import shutil
import sys

from varnode.cohort_members import members_table

GENOME = "resources/reference/genome.fa"
# The run as a Workflow Run RO-Crate (report.smk), written after every other output.
RUN_CRATE = "results/ro-crate-metadata.json"
# FASTQs linked into the run folder: fastp records its command line (JSON and HTML),
# which must not carry absolute paths of the input location.
READS = "resources/reads"
# Rules run the varnode CLI as `python -m varnode` from this checkout, so a conda env
# needs only the package's dependencies, not the package.
shell.prefix(f"set -euo pipefail; export PYTHONPATH={workflow.basedir}/scripts; ")
ALIGNMENT_EXT = config["alignment"]["format"]
ALIGNMENT_INDEX_EXT = {"bam": "bai", "cram": "crai"}[ALIGNMENT_EXT]


def _usable_callers():
    deployment = workflow.deployment_settings.deployment_method
    callers = list(config["callers"])
    if (
        "gatk" in callers
        and not shutil.which("gatk")
        and "conda" not in str(deployment)
    ):
        logger.warning(
            "varnode: gatk is not on PATH (and no --sdm conda): skipping it."
        )
        callers.remove("gatk")
    return callers


CALLERS = _usable_callers()


wildcard_constraints:
    sample="|".join(SHEET.samples),
    caller="|".join(CALLERS) or "none",
    unit="[A-Za-z0-9._-]+",
    shard=r"shard\d+",


def units_of(wildcards):
    return SHEET.units_of(wildcards.sample)


def unit_fastqs(wildcards):
    unit = SHEET.unit(wildcards.sample, wildcards.unit)
    return {"r1": unit.fq1, "r2": unit.fq2}


def linked_fastqs(wildcards):
    """The unit's reads as linked into the run folder by link_reads (relative paths)."""
    return {
        read: f"{READS}/{wildcards.sample}/{wildcards.unit}_{read.upper()}.fastq.gz"
        for read in ("r1", "r2")
    }


def read_group(wildcards):
    return SHEET.unit(wildcards.sample, wildcards.unit).read_group


def unit_bams(wildcards):
    return [
        f"results/aligned/units/{wildcards.sample}/{unit.unit}.bam"
        for unit in units_of(wildcards)
    ]


def region_shards():
    """Shard names, known once the shard_regions checkpoint has run."""
    shard_dir = checkpoints.shard_regions.get().output[0]
    return sorted(glob_wildcards(f"{shard_dir}/{{shard}}.bed").shard)


def shard_vcfs(wildcards):
    return [
        f"results/calls/shards/{wildcards.sample}/{wildcards.caller}/{shard}.vcf.gz"
        for shard in region_shards()
    ]


def cohort_shards(wildcards):
    return [f"results/cohort/shards/{shard}.bcf" for shard in region_shards()]


def cohort_members():
    """The cohort member table as list_cohort_members writes it (its rerun trigger)."""
    return members_table(SHEET)


def ploidy_option(wildcards, input):
    """Sex-aware ploidy for joint calling (config cohort.ploidy), from the member list."""
    ploidy = config["cohort"]["ploidy"]
    return f"--ploidy {ploidy} --samples-file {input.members}" if ploidy else ""


# Report inputs (report.smk): every file the pages and MultiQC read.
def variant_stats():
    return expand(
        VARIANT_STATS, sample=SHEET.samples, caller=CALLERS, stage=["", ".filtered"]
    )


def qc_outputs():
    """Every QC file MultiQC and the pages read."""
    fastp = [
        f"results/qc/fastp/{unit.sample}.{unit.unit}.fastp.json" for unit in SHEET.units
    ]
    per_sample = expand(
        [
            "results/qc/samtools_stats/{sample}.txt",
            "results/qc/samtools_flagstat/{sample}.txt",
            "results/qc/samtools_idxstats/{sample}.txt",
            "results/qc/markdup/{sample}.markdup.txt",
            "results/qc/mosdepth/{sample}.mosdepth.summary.txt",
            "results/qc/mosdepth/{sample}.mosdepth.global.dist.txt",
        ],
        sample=SHEET.samples,
    )
    return fastp + per_sample + variant_stats()


def report_inputs(wildcards):
    """QC files and every other stage's tables that the pages show."""
    return [
        *qc_outputs(),
        *expand(
            "results/calls/{sample}.{caller}.filter_stats.tsv",
            sample=SHEET.samples,
            caller=CALLERS,
        ),
        *expand(
            "results/prioritised/{sample}.{caller}.candidates.tsv",
            sample=PHENOTYPED_SAMPLES,
            caller=CALLERS,
        ),
        "results/cohort/sample_qc.tsv",
        "results/cohort/relatedness.tsv",
        "results/cohort/cohort.vcf.gz",
    ]


def analysis_outputs(wildcards):
    """Every final output except the report's own and the crate: run.json is written
    after them."""
    return [
        target
        for target in TARGETS
        if not target.startswith(f"{REPORT}/") and target != RUN_CRATE
    ]


def tools_of_rules(tools):
    """The tool of each step: the name of its conda environment (envs/<tool>.yaml), for
    the steps whose tool is one of `tools`."""
    named = {
        each.name: os.path.basename(each.conda_env).removesuffix(".yaml")
        for each in workflow.rules
        if isinstance(each.conda_env, str)
    }
    return {name: tool for name, tool in named.items() if tool in tools}


# Final outputs of the run: each stage's rules file adds its own to this list.
TARGETS = []
