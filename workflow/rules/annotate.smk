from varnode.annotate.resources import annotation_steps, known_variant_steps

# Each configured resource adds a step; each step reads the previous one's output.
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


wildcard_constraints:
    step="|".join(KNOWN_VARIANT_STEPS) or "none",


rule annotate_consequences:
    input:
        unpack(lambda wc: step_input(wc, ANNOTATION_STEPS, "consequences")),
        ref=GENOME,
        fai=f"{GENOME}.fai",
        gff3=config["annotation"]["gff3"] or [],
    output:
        bcf=temp("results/annotated/steps/{sample}.{caller}.consequences.bcf"),
        csi=temp("results/annotated/steps/{sample}.{caller}.consequences.bcf.csi"),
    log:
        "logs/annotate_consequences/{sample}.{caller}.log",
    benchmark:
        "benchmarks/annotate_consequences/{sample}.{caller}.tsv"
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
        "(bcftools csq --no-version {params.extra} -f {input.ref:q} -g {input.gff3:q}"
        " -Ob -o {params.partial.bcf:q} {input.vcf:q}"
        " && bcftools index -o {params.partial.csi:q} {params.partial.bcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule annotate_known_variants:
    input:
        unpack(lambda wc: step_input(wc, ANNOTATION_STEPS, wc.step)),
        resource=lambda wc: KNOWN_VARIANT_STEPS[wc.step][0],
    output:
        bcf=temp(ANNOTATION_STEP),
        csi=temp(f"{ANNOTATION_STEP}.csi"),
    log:
        "logs/annotate_known_variants/{sample}.{caller}.{step}.log",
    benchmark:
        "benchmarks/annotate_known_variants/{sample}.{caller}.{step}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(60),
    params:
        columns=lambda wc: KNOWN_VARIANT_STEPS[wc.step][1],
        partial=partial_outputs,
    shell:
        "(bcftools annotate --no-version -a {input.resource:q} -c {params.columns:q}"
        " -Ob -o {params.partial.bcf:q} {input.vcf:q}"
        " && bcftools index -o {params.partial.csi:q} {params.partial.bcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule write_annotated_vcf:
    input:
        unpack(lambda wc: step_input(wc, ANNOTATION_STEPS)),
    output:
        vcf="results/annotated/{sample}.{caller}.vcf.gz",
        tbi="results/annotated/{sample}.{caller}.vcf.gz.tbi",
    log:
        "logs/write_annotated_vcf/{sample}.{caller}.log",
    benchmark:
        "benchmarks/write_annotated_vcf/{sample}.{caller}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(30),
    params:
        partial=partial_outputs,
    shell:
        "(bcftools view --no-version -Oz -o {params.partial.vcf:q} {input.vcf:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


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
