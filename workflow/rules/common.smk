# What every stage's rules file needs: the target list, shared paths, the shell prefix,
# the usable callers, wildcard constraints, and the stages' input functions (Snakemake's
# linter keeps functions out of rule files). Rule files are included in the Snakefile's
# order and use only names defined before them (tests/unit/test_rule_files.py).
import shlex
import shutil

from snakemake.iocontainers import Namedlist

from varnode.cohort.members import SEX_CODES
from varnode.common.publish import partial_path
from varnode.inputs.sheet import names_pattern

# Final outputs of the run: each stage's rules file adds its own to this list.
TARGETS = []
GENOME = "resources/reference/genome.fa"
# Each tool's version, as collect_tool_versions (report.smk) records it: run metadata and
# the node export's manifest name them.
TOOL_VERSION = "results/report/versions/{tool}.txt"
# Where each sample's files are under results/ (patterns over {sample}): outputs of
# samples no longer in the sheet are found by the files named after a sample and listed
# on the report's index page and in the end-of-run summary (varnode.report.stale).
SAMPLE_OUTPUTS = {
    "named_by": [
        "aligned/{sample}.bam",
        "aligned/{sample}.cram",
        "report/sample-{sample}.html",
        "report/stale/sample-{sample}.html",
    ],
    "outputs": [
        "aligned/{sample}.*",
        "calls/{sample}.*",
        "qc/*/{sample}.*",
        "annotated/{sample}.*",
        "prioritised/{sample}.*",
        "accuracy/{sample}.*",
        "report/sample-{sample}.html",
        "report/stale/sample-{sample}.html",
    ],
}
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


def partial_outputs(wildcards, output):
    """Each output's partial name, by the same keys: a rule writes its outputs there and
    `varnode publish` checks and renames them into place (varnode/common/publish.py)."""
    return Namedlist(toclone=output, custom_map=lambda path: str(partial_path(path)))


def per_attempt(amount):
    """A resource of `amount` (MB, minutes) times the attempt: the SLURM profile resubmits
    a job killed for exceeding its memory or time with 2x, then 3x, its first request.
    """

    def resource(wildcards, attempt):
        return amount * attempt

    return resource


def quoted_option(option, path):
    """`option path` with the path quoted, or nothing when the path is not set."""
    return f"{option} {shlex.quote(str(path))}" if path else ""


# Input functions of the stages (Snakemake keeps functions out of the rule files). They
# use only what is defined above, or their arguments.


def unit_fastqs(wildcards):
    unit = SHEET.unit(wildcards.sample, wildcards.unit)
    return {"r1": unit.fq1, "r2": unit.fq2}


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


def read_group(wildcards):
    return SHEET.unit(wildcards.sample, wildcards.unit).read_group


def unit_bams(wildcards):
    return [
        f"results/aligned/units/{wildcards.sample}/{unit.unit}.bam"
        for unit in SHEET.units_of(wildcards.sample)
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
