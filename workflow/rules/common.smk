import os
import shlex
import shutil
import sys

from snakemake.iocontainers import Namedlist

from varnode.cohort_members import SEX_CODES, members_table
from varnode.errors import VarnodeError
from varnode.inputs import names_pattern
from varnode.outputs import partial_path
from varnode.regions import contig_index, plan_shards, shard_names

GENOME = "resources/reference/genome.fa"
# The run as a Workflow Run RO-Crate (report.smk), written after every other output.
RUN_CRATE = "results/ro-crate-metadata.json"
# Rules run the varnode CLI as `python -m varnode` from this checkout, so a conda env
# needs only the package's dependencies, not the package.
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH={shlex.quote(workflow.basedir)}/scripts; "
)
# Quoting: every path, name and value in a shell command is quoted ({input:q},
# {params.x:q}); only `params.extra`-style option lists from the config (tool options
# such as params.fastp) and flags built here are left unquoted, as they are several words
# by design.
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
    sample=names_pattern(SHEET.samples),
    caller="|".join(CALLERS) or "none",
    unit="[A-Za-z0-9._-]+",
    shard=r"shard\d+",


def units_of(wildcards):
    return SHEET.units_of(wildcards.sample)


def unit_fastqs(wildcards):
    unit = SHEET.unit(wildcards.sample, wildcards.unit)
    return {"r1": unit.fq1, "r2": unit.fq2}


def read_group(wildcards):
    return SHEET.unit(wildcards.sample, wildcards.unit).read_group


def unit_bams(wildcards):
    return [
        f"results/aligned/units/{wildcards.sample}/{unit.unit}.bam"
        for unit in units_of(wildcards)
    ]


def partial_outputs(wildcards, output):
    """Each output's partial name, by the same keys: a rule writes its outputs there and
    `varnode publish` checks and renames them into place (varnode/outputs.py)."""
    return Namedlist(toclone=output, custom_map=lambda path: str(partial_path(path)))


def fastp_inputs(wildcards, input):
    """Plainly named links to a unit's FASTQs inside the run folder, for fastp: it copies
    its command line into its JSON and HTML reports (unescaped), so a quote in a sheet
    path would make that JSON invalid and an absolute path would leave the run's
    location in its outputs (reruns elsewhere would differ).
    """
    folder = f"results/trimmed/{wildcards.sample}/.partial.{wildcards.unit}.reads"
    return Namedlist(
        fromdict={
            mate: f"{folder}/{mate}.fastq{'.gz' if input[mate].endswith('.gz') else ''}"
            for mate in ("r1", "r2")
        }
    )


def quoted_option(option, path):
    """`option path` with the path quoted, or nothing when the path is not set."""
    return f"{option} {shlex.quote(str(path))}" if path else ""


# Region shards are planned when the workflow is parsed, from the reference's .fai (the
# user's own if up to date, else one built here), so the whole plan is known from the
# start and no checkpoint is needed. Calling and the cohort each cut the genome into
# their configured number of shards, whatever its size (varnode/regions.py).
SHARD_TARGETS = config["reference"]["regions"]
SCATTER = {
    "calling": config["calling"]["scatter"],
    "cohort": config["cohort"]["scatter"],
}
try:
    SHARD_FAI = str(
        contig_index(config["reference"]["fasta"], "resources/reference/contig_index")
    )
    SHARDS = {
        plan: shard_names(len(plan_shards(SHARD_FAI, SHARD_TARGETS, count)))
        for plan, count in SCATTER.items()
    }
except VarnodeError as error:
    sys.exit(f"varnode: invalid input, nothing was started.\n{error}")


def shard_vcfs(wildcards):
    return [
        f"results/calls/shards/{wildcards.sample}/{wildcards.caller}/{shard}.vcf.gz"
        for shard in SHARDS["calling"]
    ]


def cohort_gvcfs():
    return expand(GVCF, sample=SHEET.samples)


def cohort_shards(wildcards):
    return [f"results/cohort/shards/{shard}.bcf" for shard in SHARDS["cohort"]]


def cohort_members():
    """The cohort member table as list_cohort_members writes it (its rerun trigger)."""
    return members_table(SHEET)


def bcftools_gvcf_shards(wildcards):
    return [
        f"results/calls/shards/{wildcards.sample}/bcftools/{shard}.g.vcf.gz"
        for shard in SHARDS["calling"]
    ]


def sample_ploidy_option(wildcards):
    """Sex-aware ploidy (config cohort.ploidy) for one sample's calls and gVCF, from its
    sheet sex as `varnode cohort-members` writes it. A param, not the member list: adding
    a sample to the sheet must not rerun the others' calling."""
    ploidy = config["cohort"]["ploidy"]
    if not ploidy:
        return ""
    sex = SEX_CODES[SHEET.units_of(wildcards.sample)[0].sex]
    member = shlex.quote(f"{wildcards.sample}\t{sex}\n")
    return f"--ploidy {shlex.quote(ploidy)} --samples-file <(printf %b {member})"


# gVCF reference blocks are cut where the depth crosses these values and report their
# minimum depth, so "block depth >= relatedness.min_depth" holds exactly when every site
# of the block has that depth: the relatedness depth filter reads merged blocks as it
# would read each site.
GVCF_DEPTH_BANDS = str(config["cohort"]["relatedness"]["min_depth"])


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
        *expand(
            "results/calls/{sample}.{call_set}.vcf.gz",
            sample=SHEET.samples,
            call_set=CONSENSUS_SETS,
        ),
        *BENCHMARK_TABLES,
    ]


def calls_to_compare(wildcards):
    """A caller's filtered calls, or the consensus (already filtered; consensus.smk)."""
    stem = "" if wildcards.caller in CONSENSUS_SETS else ".filtered"
    return f"results/calls/{wildcards.sample}.{wildcards.caller}{stem}.vcf.gz"


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
