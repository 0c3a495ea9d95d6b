# Reports: MultiQC, the varnode report pages (varnode report), run metadata (run.json)
# and, last, the run's Workflow Run RO-Crate.
import os
import json

from varnode.provenance.run_crate import portable_command

import snakemake

REPORT = "results/report"
# The run as a Workflow Run RO-Crate, written after every other output.
RUN_CRATE = "results/ro-crate-metadata.json"
SAMPLE_PAGES = expand(f"{REPORT}/sample-{{sample}}.html", sample=SHEET.samples)
VARIANT_STATS = "results/qc/bcftools_stats/{sample}.{caller}{stage}.txt"
# Every file the report pages read, by role: path patterns over {sample}, {unit},
# {caller} (and {stage}: "" raw, ".filtered"), {call_set} (a caller or the consensus).
# `varnode report --sources` gets these patterns, report_html gets the files as input:
# a report section reads only what is listed here.
REPORT_SOURCES = {
    "fastp": "results/qc/fastp/{sample}.{unit}.fastp.json",
    "samtools_stats": "results/qc/samtools_stats/{sample}.txt",
    "flagstat": "results/qc/samtools_flagstat/{sample}.txt",
    "markdup": "results/qc/markdup/{sample}.markdup.txt",
    "mosdepth_summary": "results/qc/mosdepth/{sample}.mosdepth.summary.txt",
    "mosdepth_dist": "results/qc/mosdepth/{sample}.mosdepth.global.dist.txt",
    "variant_stats": VARIANT_STATS,
    "filter_stats": "results/calls/{sample}.{caller}.filter_stats.tsv",
    "candidates": "results/prioritised/{sample}.{caller}.candidates.tsv",
    "consensus": "results/calls/{sample}.{call_set}.vcf.gz",
    "accuracy": "results/accuracy/{sample}.{call_set}.accuracy.tsv",
    "sample_qc": "results/cohort/sample_qc.tsv",
    "sample_qc_outlier_test": "results/cohort/sample_qc.json",
    "relatedness": "results/cohort/relatedness.tsv",
    "cohort_vcf": COHORT,
    # Each sample's deliverables, linked from the index (not inputs of the pages).
    "alignments": ALIGNMENT,
    "calls": "results/calls/{sample}.{caller}.filtered.vcf.gz",
    "annotated_vcf": "results/annotated/{sample}.{caller}.vcf.gz",
    "variant_table": "results/annotated/{sample}.{caller}.variants.tsv",
}
# Each tool's own version command; its raw output is kept and parsed by run-metadata.
# bwa has no version flag: it prints its usage (with "Version:") and exits 1.
# The callers' are call.smk's.
VERSION_COMMANDS = {
    "fastp": "fastp --version 2>&1",
    "bwa": "bwa 2>&1 || [ $? -eq 1 ]",
    "samtools": "samtools --version",
    "mosdepth": "mosdepth --version",
    "multiqc": "multiqc --version",
    **CALLER_VERSION_COMMANDS,
}
VERSIONED_TOOLS = ["fastp", "bwa", "samtools", "bcftools", "mosdepth", "multiqc"] + [
    caller for caller in CALLERS if caller != "bcftools"
]

# Every other stage's final outputs (this file is included last): the run's metadata
# and its crate are written after them.
ANALYSIS_OUTPUTS = [target for target in TARGETS if not target.startswith(f"{REPORT}/")]
TARGETS += [
    RUN_CRATE,
    f"{REPORT}/index.html",
    f"{REPORT}/cohort.html",
    f"{REPORT}/multiqc/multiqc_report.html",
    *SAMPLE_PAGES,
]

VARIANT_STATS_FILES = expand(
    VARIANT_STATS, sample=SHEET.samples, caller=CALLERS, stage=["", ".filtered"]
)
# Every QC file MultiQC and the pages read.
QC_OUTPUTS = [
    *[
        REPORT_SOURCES["fastp"].format(sample=u.sample, unit=u.unit)
        for u in SHEET.units
    ],
    *expand(
        [
            REPORT_SOURCES["samtools_stats"],
            REPORT_SOURCES["flagstat"],
            "results/qc/samtools_idxstats/{sample}.txt",
            REPORT_SOURCES["markdup"],
            REPORT_SOURCES["mosdepth_summary"],
            REPORT_SOURCES["mosdepth_dist"],
        ],
        sample=SHEET.samples,
    ),
    *VARIANT_STATS_FILES,
]
# The files of REPORT_SOURCES this run makes: QC and every other stage's tables.
REPORT_INPUTS = [
    *QC_OUTPUTS,
    *expand(REPORT_SOURCES["filter_stats"], sample=SHEET.samples, caller=CALLERS),
    *expand(REPORT_SOURCES["candidates"], sample=PHENOTYPED_SAMPLES, caller=CALLERS),
    REPORT_SOURCES["sample_qc"],
    REPORT_SOURCES["sample_qc_outlier_test"],
    REPORT_SOURCES["relatedness"],
    REPORT_SOURCES["cohort_vcf"],
    *expand(REPORT_SOURCES["consensus"], sample=SHEET.samples, call_set=CONSENSUS_SETS),
    *ACCURACY_TABLES,
]


wildcard_constraints:
    tool="|".join(VERSION_COMMANDS),


# bcftools stats of each caller's calls before and after filtering, every caller of a
# sample in one job (a pair of commands per caller). The filtered stage counts PASS
# records only (its VCF is soft-filtered: failing records stay, marked in FILTER); the
# raw stage counts every record. MultiQC reads both files.
STATS_VARIANTS = (
    "("
    + " && ".join(
        f"bcftools stats {{input.calls[{index}]:q}} > {{params.partial.calls[{index}]:q}}"
        f" && bcftools stats --apply-filters PASS {{input.filtered[{index}]:q}}"
        f" > {{params.partial.filtered[{index}]:q}}"
        for index in range(len(CALLERS))
    )
    + ") 2> {log:q} && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
)


rule stats_variants:
    input:
        calls=expand("results/calls/{{sample}}.{caller}.vcf.gz", caller=CALLERS),
        filtered=expand(
            "results/calls/{{sample}}.{caller}.filtered.vcf.gz", caller=CALLERS
        ),
    output:
        calls=expand(VARIANT_STATS, sample="{sample}", caller=CALLERS, stage=""),
        filtered=expand(
            VARIANT_STATS, sample="{sample}", caller=CALLERS, stage=".filtered"
        ),
    log:
        "logs/stats_variants/{sample}.log",
    benchmark:
        "benchmarks/stats_variants/{sample}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=per_attempt(30 * len(CALLERS)),
    params:
        partial=partial_outputs,
    shell:
        STATS_VARIANTS


rule collect_tool_versions:
    output:
        TOOL_VERSION,
    log:
        "logs/collect_tool_versions/{tool}.log",
    benchmark:
        "benchmarks/collect_tool_versions/{tool}.tsv"
    conda:
        lambda wildcards: f"../../envs/{wildcards.tool}.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=5,
    # The command is the fixed snippet of VERSION_COMMANDS, not a path: left unquoted.
    params:
        command=lambda wildcards: VERSION_COMMANDS[wildcards.tool],
        partial=partial_outputs,
    shell:
        "({params.command}) > {params.partial:q} 2> {log:q}"
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


rule record_run_metadata:
    input:
        versions=expand(TOOL_VERSION, tool=VERSIONED_TOOLS),
        sample_sheet=config["samples"],
        analysis=ANALYSIS_OUTPUTS,
    output:
        report(f"{REPORT}/run.json", caption="../report/run_json.rst", category="Run"),
    log:
        "logs/record_run_metadata/run.log",
    benchmark:
        "benchmarks/record_run_metadata/run.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        config=json.dumps(config, sort_keys=True),
        configfiles=workflow.configfiles,
        snakemake_version=snakemake.__version__,
        workflow_dir=workflow.basedir,
        partial=partial_outputs,
    shell:
        "python -m varnode run-metadata --versions {input.versions:q}"
        " --config-json {params.config:q} --configfile {params.configfiles:q}"
        " --sample-sheet {input.sample_sheet:q}"
        " --snakemake-version {params.snakemake_version:q}"
        " --workflow-dir {params.workflow_dir:q} -o {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# varnode's own MultiQC sections (report/multiqc.py); the last file is a MultiQC config.
MULTIQC_CONTENT = [
    f"{REPORT}/multiqc_content/{name}"
    for name in (
        "varnode_general_stats_mqc.yaml",
        "varnode_qc_status_mqc.yaml",
        "cohort_sample_qc_mqc.yaml",
        "cohort_relatedness_mqc.yaml",
        "coverage_per_contig_mqc.yaml",
        "software_mqc_versions.yml",
        "methods_mqc.yaml",
        "multiqc_run_config.yaml",
    )
]


rule write_multiqc_content:
    input:
        qc=QC_OUTPUTS,
        sample_qc=REPORT_SOURCES["sample_qc"],
        relatedness=REPORT_SOURCES["relatedness"],
        versions=expand(TOOL_VERSION, tool=VERSIONED_TOOLS),
        sample_sheet=config["samples"],
    output:
        MULTIQC_CONTENT,
    log:
        "logs/write_multiqc_content/multiqc.log",
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(10),
    params:
        settings=json.dumps(config["report"]),
        sources=lambda wc: json.dumps(REPORT_SOURCES),
        callers=CALLERS,
        snakemake_version=snakemake.__version__,
        staging=f"{REPORT}/multiqc_content/.partial",
    shell:
        "rm -rf {params.staging:q}"
        " && python -m varnode multiqc-content --sources {params.sources:q}"
        " --sample-sheet {input.sample_sheet:q} --callers {params.callers:q}"
        " --settings {params.settings:q} --versions {input.versions:q}"
        " --snakemake-version {params.snakemake_version:q} -o {params.staging:q} > {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q} {output:q} >> {log:q} 2>&1"


rule report_multiqc:
    input:
        qc=QC_OUTPUTS,
        content=MULTIQC_CONTENT[:-1],
        run_config=MULTIQC_CONTENT[-1],
        config=f"{workflow.basedir}/workflow/report/multiqc_config.yaml",
    output:
        temp(f"{REPORT}/multiqc/multiqc_report.stamped.html"),
    log:
        "logs/report_multiqc/multiqc.log",
    benchmark:
        "benchmarks/report_multiqc/multiqc.tsv"
    conda:
        "../../envs/multiqc.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    # MultiQC writes into a staging folder and the page is published from there; no data
    # folder (--no-data-dir): its log and source list hold run times and absolute paths.
    # It reads its inputs, several per sample, from a pipe printf writes them into
    # (--file-list; ARG_MAX: see merge_cohort_shard).
    params:
        staging=f"{REPORT}/multiqc/.partial",
        filename=lambda wc, output: os.path.basename(output[0]),
    shell:
        "rm -rf {params.staging:q}"
        " && multiqc --force --no-ansi --no-data-dir --config {input.config:q}"
        " --config {input.run_config:q} --outdir {params.staging:q}"
        " --filename {params.filename:q}"
        " --file-list <(printf '%s\\n' {input.qc:q} {input.content:q}) > {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q} {output:q} >> {log:q} 2>&1"


# MultiQC stamps its report with the time and a random id; the kept report is the same
# without them (an id derived from its content), so a rerun gives the same bytes.
rule clean_multiqc_report:
    input:
        f"{REPORT}/multiqc/multiqc_report.stamped.html",
    output:
        report(
            f"{REPORT}/multiqc/multiqc_report.html",
            caption="../report/multiqc.rst",
            category="QC",
        ),
    log:
        "logs/clean_multiqc_report/multiqc.log",
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        partial=partial_outputs,
    shell:
        "python -m varnode unstamp-report multiqc {input:q} -o {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


rule report_html:
    input:
        REPORT_INPUTS,
        run=f"{REPORT}/run.json",
        multiqc=f"{REPORT}/multiqc/multiqc_report.html",
        sample_sheet=config["samples"],
        # HPO term names on the candidate tables
        index=PHENOTYPE_INDEX if PHENOTYPED_SAMPLES else [],
    output:
        index=report(
            f"{REPORT}/index.html", caption="../report/index.rst", category="Report"
        ),
        cohort=report(
            f"{REPORT}/cohort.html", caption="../report/cohort.rst", category="Report"
        ),
        samples=[
            report(page, caption="../report/sample.rst", category="Samples")
            for page in SAMPLE_PAGES
        ],
        tables=directory(f"{REPORT}/tables"),
        raw=directory(f"{REPORT}/raw"),
    log:
        "logs/report_html/report.log",
    benchmark:
        "benchmarks/report_html/report.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        settings=json.dumps(config["report"]),
        sources=lambda wc: json.dumps(REPORT_SOURCES),
        sample_outputs=lambda wc: json.dumps(SAMPLE_OUTPUTS),
        callers=CALLERS,
        terms=lambda wc, input: quoted_option("--phenotype-index", input.index),
        # The cohort's one outlier rule (sample QC), for every table of the cohort page.
        outliers=config["cohort"]["qc"],
        outdir=lambda wc, output: os.path.dirname(output.index),
        staging=f"{REPORT}/.partial.pages",
    # The outputs, a page per sample, reach publish as @FILE, a pipe printf writes them
    # into (ARG_MAX: see merge_cohort_shard).
    shell:
        "rm -rf {params.staging:q}"
        " && python -m varnode report --results results"
        " --sample-sheet {input.sample_sheet:q} --callers {params.callers:q}"
        " --sources {params.sources:q} --sample-outputs {params.sample_outputs:q}"
        " --settings {params.settings:q} {params.terms}"
        " --outlier-mads {params.outliers[outlier_mads]:q}"
        " --min-samples-for-outliers {params.outliers[min_samples_for_outliers]:q}"
        " -o {params.outdir:q} --staging {params.staging:q} > {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q}"
        " @<(printf '%s\\n' {output:q}) >> {log:q} 2>&1"


# The command line this Snakemake was started with, for the crate. An environment
# variable, not a param: another invocation (a dry run, other --cores) is no reason to
# rewrite the crate.
os.environ["VARNODE_SNAKEMAKE_COMMAND"] = portable_command(
    sys.argv, workflow.basedir, os.getcwd()
)


envvars:
    "VARNODE_SNAKEMAKE_COMMAND",


# Last: it checksums every file under results/, the report included (not the run
# summary, written after it at the end of every run: run metadata, like run.json's
# times). Runs in the Snakemake process itself (localrule): the command line it records
# is that process's. The crate and the workflow snapshot are written under their partial
# names and published together.
rule write_run_crate:
    input:
        analysis=ANALYSIS_OUTPUTS,
        run=f"{REPORT}/run.json",
        # One page stands for report_html's outputs (written together): listing every
        # sample page would have planning compare each with report_html's inputs, a cost
        # in samples squared. A missing page is still rebuilt: TARGETS lists them.
        pages=[f"{REPORT}/index.html", f"{REPORT}/cohort.html"],
        multiqc=f"{REPORT}/multiqc/multiqc_report.html",
    output:
        workflow=directory("results/workflow"),
        crate=RUN_CRATE,
    log:
        "logs/write_run_crate/crate.log",
    benchmark:
        "benchmarks/write_run_crate/crate.tsv"
    localrule: True
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        workflow_dir=workflow.basedir,
        # Only the tools this run uses (and whose versions it collected).
        # Each step's tool: the name of its conda environment (envs/<tool>.yaml).
        rule_tools=lambda wc: json.dumps(
            {
                each.name: tool
                for each in workflow.rules
                if isinstance(each.conda_env, str)
                and (tool := os.path.basename(each.conda_env).removesuffix(".yaml"))
                in [*VERSIONED_TOOLS, "varnode"]
            },
            sort_keys=True,
        ),
        agent=config["provenance"]["agent"],
        license=config["provenance"]["license"],
        checksum_cache="resources/checksums.json",
        partial=partial_outputs,
    shell:
        "python -m varnode run-crate --run-json {input.run:q}"
        " --workflow-dir {params.workflow_dir:q} --snapshot {params.partial.workflow:q}"
        ' --rule-tools {params.rule_tools:q} --command "$VARNODE_SNAKEMAKE_COMMAND"'
        " --agent-name={params.agent[name]:q} --agent-id={params.agent[id]:q}"
        " --agent-type={params.agent[type]:q} --license={params.license:q}"
        " --checksum-cache {params.checksum_cache:q} -o {params.partial.crate:q} > {log:q} 2>&1"
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"
