# varnode: germline variant analysis for federated genomic data nodes.
# Run: snakemake --cores N [--workflow-profile workflow/profiles/default]
import gc
import os
import sys

sys.path.insert(0, f"{workflow.basedir}/scripts")

from varnode.errors import VarnodeError
from varnode.inputs.check import check_config
from varnode.runtime.live_runs import refuse_unlock_beside_live_runs
from varnode.runtime.run_summary import write_run_summary

# Planning a cohort creates millions of long-lived objects (DAG, jobs, file names); with
# Python's default thresholds the collector rescans them over and over while they are
# built. Rarer young collections cut planning CPU by 9% at 1,000 samples
# (tests/bench/bench_dag.py); cycles are still collected.
gc.set_threshold(100_000, 20, 100)

refusal = refuse_unlock_beside_live_runs(sys.argv, os.getcwd())
if refusal:
    sys.exit(refusal)


configfile: "config/config.yaml"


# Jobs parse this file again (SLURM, --jobs): they re-read the sheet, not whole resources.
try:
    SHEET = check_config(config, read_files=workflow.is_main_process)
except VarnodeError as error:
    sys.exit(f"varnode: invalid input, nothing was started.\n{error}")


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/call.smk"
include: "workflow/rules/filter.smk"
include: "workflow/rules/consensus.smk"
include: "workflow/rules/annotate.smk"
include: "workflow/rules/phenotype.smk"
include: "workflow/rules/cohort.smk"
include: "workflow/rules/beacon.smk"
include: "workflow/rules/accuracy.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        TARGETS,


# Printed and written to results/report/run_summary.{html,txt} at the end of every run,
# successful or not: which samples finished, which failed (job and log), stale outputs.
onsuccess:
    print(write_run_summary(True, log, SHEET.samples, TARGETS, SAMPLE_OUTPUTS))


onerror:
    print(write_run_summary(False, log, SHEET.samples, TARGETS, SAMPLE_OUTPUTS))
