from varnode.annotate.resources import annotation_steps, known_variant_steps

# The configured resources, in the order annotate_variants applies them.
ANNOTATION_STEPS = annotation_steps(config["annotation"])
KNOWN_VARIANT_STEPS = known_variant_steps(config["annotation"])
# Every sample's and caller's variant table in one Parquet file.
VARIANTS_PARQUET = "results/annotated/variants.parquet"

TARGETS += expand(
    "results/annotated/{sample}.{caller}.{ext}",
    sample=SHEET.samples,
    caller=CALLERS,
    ext=["vcf.gz", "vcf.gz.tbi", "variants.tsv"],
)
TARGETS.append(VARIANTS_PARQUET)


# Annotation in one job per sample and caller: each configured resource is a step, in
# annotation_steps' order: consequences (bcftools csq with the GFF3), then the
# known-variant resources (bcftools annotate: IDs, population AF, ClinVar). Each step
# writes an indexed BCF in the job's staging folder (bcftools annotate -a needs an
# indexed input, so the steps cannot share a pipe); the last is written as the annotated
# VCF. Without any resource the filtered calls are written as they are.
ANNOTATE_STEPS = (
    ["bcftools csq --no-version {params.csq} -f {input.ref:q} -g {input.gff3:q}"]
    if config["annotation"]["gff3"]
    else []
) + [
    f"bcftools annotate --no-version -a {{input.known[{index}]:q}}"
    f" -c {{params.columns[{index}]:q}}"
    for index in range(len(KNOWN_VARIANT_STEPS))
]
ANNOTATE_SOURCES = ["{input.vcf:q}"] + [
    f"{{params.staging:q}}/{index}.bcf" for index in range(len(ANNOTATE_STEPS))
]
ANNOTATE_COMMANDS = [
    f"{step} -Ob -o {target} {source} && bcftools index {target}"
    for step, source, target in zip(
        ANNOTATE_STEPS, ANNOTATE_SOURCES, ANNOTATE_SOURCES[1:]
    )
] + [
    f"bcftools view --no-version -Oz -o {{params.partial.vcf:q}} {ANNOTATE_SOURCES[-1]}"
    " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}"
]
ANNOTATE_VARIANTS = (
    "rm -rf {params.staging:q} && mkdir -p {params.staging:q}"
    " && (" + " && ".join(ANNOTATE_COMMANDS) + ") 2> {log:q}"
    " && rm -r {params.staging:q}"
    " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
)


rule annotate_variants:
    input:
        vcf="results/calls/{sample}.{caller}.filtered.vcf.gz",
        tbi="results/calls/{sample}.{caller}.filtered.vcf.gz.tbi",
        ref=GENOME,
        fai=f"{GENOME}.fai",
        gff3=config["annotation"]["gff3"] or [],
        known=[vcf for vcf, _ in KNOWN_VARIANT_STEPS.values()],
    output:
        vcf="results/annotated/{sample}.{caller}.vcf.gz",
        tbi="results/annotated/{sample}.{caller}.vcf.gz.tbi",
    log:
        "logs/annotate_variants/{sample}.{caller}.log",
    benchmark:
        "benchmarks/annotate_variants/{sample}.{caller}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30 + 30 * len(ANNOTATION_STEPS)),
    params:
        csq=config["annotation"]["csq_options"],
        columns=[columns for _, columns in KNOWN_VARIANT_STEPS.values()],
        staging="results/annotated/.partial.{sample}.{caller}.steps",
        partial=partial_outputs,
    shell:
        ANNOTATE_VARIANTS


rule write_annotation_table:
    input:
        "results/annotated/{sample}.{caller}.vcf.gz",
    output:
        "results/annotated/{sample}.{caller}.variants.tsv",
    log:
        "logs/write_annotation_table/{sample}.{caller}.log",
    benchmark:
        "benchmarks/write_annotation_table/{sample}.{caller}.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(30),
    params:
        partial=partial_outputs,
    shell:
        "python -m varnode annotation-table {input:q} --sample {wildcards.sample:q}"
        " --caller {wildcards.caller:q} --output {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule combine_variant_tables:
    input:
        expand(
            "results/annotated/{sample}.{caller}.variants.tsv",
            sample=SHEET.samples,
            caller=CALLERS,
        ),
    output:
        VARIANTS_PARQUET,
    log:
        "logs/combine_variant_tables/variants.log",
    benchmark:
        "benchmarks/combine_variant_tables/variants.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        partial=partial_outputs,
    # The tables as @FILE, a pipe printf writes them into (ARG_MAX: see merge_cohort_shard).
    shell:
        "python -m varnode combine-variants @<(printf '%s\\n' {input:q}) -o {params.partial:q}"
        " > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
