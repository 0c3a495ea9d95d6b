import os

from varnode.federation.bff import COLLECTIONS as BFF_COLLECTIONS

# Discovery at the node: the individual-level tables `varnode beacon serve` reads beside
# the node export (results/export). They never leave the node; the Beacon decides per
# request, from the caller's passport, what may be said about them.
PHENOPACKETS = sorted({str(u.phenopacket) for u in SHEET.units if u.phenopacket})
BEACON_TABLES = [
    "results/beacon/individuals.parquet",
    "results/beacon/carriers.parquet",
]

TARGETS += BEACON_TABLES


rule index_beacon:
    input:
        sheet=config["samples"],
        phenopackets=PHENOPACKETS,
        tables=expand(
            "results/annotated/{sample}.{caller}.variants.tsv",
            sample=SHEET.samples,
            caller=CALLERS,
        ),
        index=PHENOTYPE_INDEX if PHENOTYPED_SAMPLES else [],
    output:
        individuals=BEACON_TABLES[0],
        carriers=BEACON_TABLES[1],
    log:
        "logs/index_beacon/index.log",
    benchmark:
        "benchmarks/index_beacon/index.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        outdir=lambda wc, output: os.path.dirname(output.individuals),
        labels=lambda wc, input: quoted_option("--phenotype-index", input.index),
    # The tables as @FILE, a pipe printf writes them into (ARG_MAX: see merge_cohort_shard).
    shell:
        "python -m varnode beacon index --sheet {input.sheet:q}"
        " --annotated @<(printf '%s\\n' {input.tables:q}) {params.labels} -o {params.outdir:q}"
        " > {log:q} 2>&1"


# BFF files for nodes that run their own Beacon v2, from the node export and the tables
# above. Not in TARGETS yet: it joins them with the export rule (results/export); until
# then ask for it by name once results/export exists, e.g.
# `snakemake results/beacon/bff/genomicVariations.json`.
rule write_beacon_bff:
    input:
        manifest="results/export/manifest.json",
        tables=BEACON_TABLES,
    output:
        expand("results/beacon/bff/{collection}.json", collection=BFF_COLLECTIONS),
    log:
        "logs/write_beacon_bff/bff.log",
    benchmark:
        "benchmarks/write_beacon_bff/bff.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        export=lambda wc, input: os.path.dirname(input.manifest),
        tables=lambda wc, input: os.path.dirname(input.tables[0]),
        outdir=lambda wc, output: os.path.dirname(output[0]),
    shell:
        "python -m varnode beacon bff --export {params.export:q} --tables {params.tables:q}"
        " -o {params.outdir:q} > {log:q} 2>&1"
