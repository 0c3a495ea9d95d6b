# Node aggregate export (results/export/): the cohort's PASS sites counted per allele and
# stratum, callable regions and a manifest; `varnode export` applies the privacy floor and
# runs the egress check before it publishes anything. check_node_export checks the
# published folder again against the sample sheet, as an operator would before sending
# it; its log names every problem, its output exists only when the folder passes.
import json
import os

from varnode.federation.callable import CALLABLE_SUFFIX
from varnode.provenance.metadata import canonical_sha256

EXPORT = config["export"]
EXPORT_DIR = "results/export"
EXPORT_FILES = [
    f"{EXPORT_DIR}/{EXPORT['dataset_id']}{suffix}"
    for suffix in [
        ".sites.vcf.gz",
        ".sites.vcf.gz.tbi",
        ".parquet",
        CALLABLE_SUFFIX,
        f"{CALLABLE_SUFFIX}.tbi",
    ]
] + [f"{EXPORT_DIR}/manifest.json"]
# Intermediates live outside results/export/: that folder holds the export only.
EXPORT_WORK = "results/federation"
EXPORT_SITES = f"{EXPORT_WORK}/pass_sites.bcf"
ANNOTATED_EXPORT_SITES = f"{EXPORT_WORK}/pass_sites.csq.bcf"

if EXPORT["enabled"]:
    TARGETS += [*EXPORT_FILES, f"{EXPORT_WORK}/egress_check.txt"]


rule select_export_sites:
    input:
        calls=COHORT_CALLS,
        csi=f"{COHORT_CALLS}.csi",
    output:
        bcf=temp(EXPORT_SITES),
        csi=temp(f"{EXPORT_SITES}.csi"),
    log:
        "logs/select_export_sites/cohort.log",
    benchmark:
        "benchmarks/select_export_sites/cohort.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        partial=partial_outputs,
    # "." is an unfiltered site (the joint calls carry no FILTER), as in bcftools -f PASS,.
    shell:
        "(bcftools view --no-version --apply-filters PASS,. -Ob -o {params.partial.bcf:q}"
        " {input.calls:q}"
        " && bcftools index -o {params.partial.csi:q} {params.partial.bcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# Gene and consequence for the export: bcftools csq on the cohort's sites with the gene
# models of the annotation stage; `-s -` annotates every ALT and ignores the genotypes.
rule annotate_export_sites:
    input:
        bcf=EXPORT_SITES,
        csi=f"{EXPORT_SITES}.csi",
        ref=GENOME,
        fai=f"{GENOME}.fai",
        gff3=config["annotation"]["gff3"] or [],
    output:
        temp(ANNOTATED_EXPORT_SITES),
    log:
        "logs/annotate_export_sites/cohort.log",
    benchmark:
        "benchmarks/annotate_export_sites/cohort.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(60),
    params:
        extra=config["annotation"]["csq_options"],
        partial=partial_outputs,
    shell:
        "bcftools csq --no-version {params.extra} --samples - -f {input.ref:q}"
        " -g {input.gff3:q} -Ob -o {params.partial:q} {input.bcf:q} 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule export_node_aggregates:
    input:
        calls=(ANNOTATED_EXPORT_SITES if config["annotation"]["gff3"] else EXPORT_SITES),
        members=COHORT_MEMBERS,
        callable=expand(CALLABLE_BED, sample=SHEET.samples),
        callable_index=expand(f"{CALLABLE_BED}.csi", sample=SHEET.samples),
        versions=expand(TOOL_VERSION, tool=["bcftools", "mosdepth"]),
    output:
        EXPORT_FILES,
    log:
        "logs/export_node_aggregates/export.log",
    benchmark:
        "benchmarks/export_node_aggregates/export.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        outdir=lambda wc, output: os.path.dirname(output[-1]),
        dataset=EXPORT["dataset_id"],
        node=EXPORT["node_id"],
        assembly=EXPORT["assembly"] or config["reference"]["assembly"],
        country=EXPORT["country"],
        floor=EXPORT["floor"],
        strata="" if EXPORT["sex_strata"] else "--no-sex-strata",
        ploidy=config["cohort"]["ploidy"],
        metadata=json.dumps(EXPORT["metadata"], sort_keys=True),
        config_sha256=canonical_sha256(config),
        chunk=config["cohort"]["chunk_size"],
    # The BEDs as @FILE, a pipe printf writes them into (ARG_MAX: see merge_cohort_shard).
    shell:
        "python -m varnode export {input.calls:q} --members {input.members:q}"
        " --callable @<(printf '%s\\n' {input.callable:q}) -o {params.outdir:q}"
        " --dataset-id {params.dataset:q}"
        " --node-id {params.node:q} --assembly {params.assembly:q} --floor {params.floor}"
        " --country={params.country:q} {params.strata} --ploidy={params.ploidy:q}"
        " --descriptive-json {params.metadata:q} --config-sha256 {params.config_sha256}"
        " --tool-versions {input.versions:q} --chunk-size {params.chunk} > {log:q} 2>&1"


rule check_node_export:
    input:
        export=EXPORT_FILES,
        sheet=config["samples"],
    output:
        f"{EXPORT_WORK}/egress_check.txt",
    log:
        "logs/check_node_export/export.log",
    benchmark:
        "benchmarks/check_node_export/export.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        outdir=lambda wc, input: os.path.dirname(input.export[-1]),
    shell:
        "python -m varnode egress-check {params.outdir:q} --samples {input.sheet:q}"
        " --report {output:q} > {log:q} 2>&1"
