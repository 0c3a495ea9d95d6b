import os
import json

import snakemake

REPORT = "results/report"
SAMPLE_PAGES = expand(f"{REPORT}/sample-{{sample}}.html", sample=SHEET.samples)
VARIANT_STATS = "results/qc/bcftools_stats/{sample}.{caller}{stage}.txt"
# Each tool's own version command; its raw output is kept and parsed by run-metadata.
# bwa has no version flag: it prints its usage (with "Version:") and exits 1.
VERSION_COMMANDS = {
    "fastp": "fastp --version 2>&1",
    "bwa": "bwa 2>&1 || [ $? -eq 1 ]",
    "samtools": "samtools --version",
    "bcftools": "bcftools --version",
    "mosdepth": "mosdepth --version",
    "freebayes": "freebayes --version",
    "gatk": "gatk --version",
    "multiqc": "multiqc --version",
}
VERSIONED_TOOLS = ["fastp", "bwa", "samtools", "bcftools", "mosdepth", "multiqc"] + [
    caller for caller in CALLERS if caller != "bcftools"
]

TARGETS += [
    f"{REPORT}/index.html",
    f"{REPORT}/cohort.html",
    f"{REPORT}/multiqc/multiqc_report.html",
    *SAMPLE_PAGES,
]


wildcard_constraints:
    stage=r"|\.filtered",
    tool="|".join(VERSION_COMMANDS),


rule stats_variants:
    input:
        "results/calls/{sample}.{caller}{stage}.vcf.gz",
    output:
        VARIANT_STATS,
    log:
        "logs/stats_variants/{sample}.{caller}{stage}.log",
    benchmark:
        "benchmarks/stats_variants/{sample}.{caller}{stage}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        partial=partial_outputs,
    shell:
        "bcftools stats {input:q} > {params.partial:q} 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule collect_tool_versions:
    output:
        f"{REPORT}/versions/{{tool}}.txt",
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
        versions=expand(f"{REPORT}/versions/{{tool}}.txt", tool=VERSIONED_TOOLS),
        sample_sheet=config["samples"],
        analysis=analysis_outputs,
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


rule report_multiqc:
    input:
        qc=lambda wildcards: qc_outputs(),
        config=f"{workflow.basedir}/workflow/report/multiqc_config.yaml",
    output:
        report(
            f"{REPORT}/multiqc/multiqc_report.html",
            caption="../report/multiqc.rst",
            category="QC",
        ),
    log:
        "logs/report_multiqc/multiqc.log",
    benchmark:
        "benchmarks/report_multiqc/multiqc.tsv"
    conda:
        "../../envs/multiqc.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    # MultiQC writes its data folder beside the page: both go through a staging folder.
    params:
        staging=f"{REPORT}/multiqc/.partial",
    shell:
        "rm -rf {params.staging:q}"
        " && multiqc --force --no-ansi --config {input.config:q} --outdir {params.staging:q}"
        " --filename multiqc_report.html {input.qc:q} > {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q} {output:q} >> {log:q} 2>&1"


rule report_html:
    input:
        report_inputs,
        run=f"{REPORT}/run.json",
        multiqc=f"{REPORT}/multiqc/multiqc_report.html",
        sample_sheet=config["samples"],
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
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        settings=json.dumps(config.get("report", {})),
        callers=CALLERS,
        outdir=lambda wc, output: os.path.dirname(output.index),
        staging=f"{REPORT}/.partial.pages",
    shell:
        "rm -rf {params.staging:q}"
        " && python -m varnode report --results results"
        " --sample-sheet {input.sample_sheet:q} --callers {params.callers:q}"
        " --settings {params.settings:q} -o {params.outdir:q} --staging {params.staging:q}"
        " > {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q} {output:q} >> {log:q} 2>&1"
