# varnode: germline variant analysis for federated genomic data nodes.
# Run: snakemake --cores N [--workflow-profile workflow/profiles/default]
import sys

sys.path.insert(0, f"{workflow.basedir}/scripts")

from varnode.errors import VarnodeError
from varnode.inputs import check_config


configfile: "config/config.yaml"


try:
    SHEET = check_config(config)
except VarnodeError as error:
    sys.exit(f"varnode: invalid input, nothing was started.\n{error}")


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/call.smk"
include: "workflow/rules/filter.smk"
include: "workflow/rules/annotate.smk"
include: "workflow/rules/cohort.smk"
include: "workflow/rules/beacon.smk"
include: "workflow/rules/benchmark.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        TARGETS,
