from varnode.annotation_table import CLINVAR_TAGS, POPULATION_AF_TAG

ANNOTATION = config["annotation"]
# Known-variant resources: each configured one is a bcftools annotate pass, in this order.
KNOWN_VARIANT_COLUMNS = {
    "ids": (ANNOTATION["dbsnp"], "ID"),
    "population_af": (
        ANNOTATION["population_af"]["vcf"],
        f"INFO/{POPULATION_AF_TAG}:=INFO/{ANNOTATION['population_af']['info_field']}",
    ),
    "clinvar": (ANNOTATION["clinvar"], ",".join(f"INFO/{t}" for t in CLINVAR_TAGS)),
}
ANNOTATION_STEPS = (["consequences"] if ANNOTATION["gff3"] else []) + [
    step for step, (resource, _) in KNOWN_VARIANT_COLUMNS.items() if resource
]
PHENOTYPED_SAMPLES = [s for s in SHEET.samples if SHEET.units_of(s)[0].hpo]
PHENOTYPE_INDEX = "resources/phenotype/hpo_index.json.gz"
ANNOTATION_STEP = "results/annotated/steps/{sample}.{caller}.{step}.bcf"

TARGETS += expand(
    "results/annotated/{sample}.{caller}.{ext}",
    sample=SHEET.samples,
    caller=CALLERS,
    ext=["vcf.gz", "vcf.gz.tbi", "variants.tsv"],
)
TARGETS += expand(
    "results/prioritised/{sample}.{caller}.candidates.tsv",
    sample=PHENOTYPED_SAMPLES,
    caller=CALLERS,
)


wildcard_constraints:
    step="|".join(KNOWN_VARIANT_COLUMNS),


def annotation_input(wildcards, before=None):
    """The VCF an annotation step reads: the previous step's, or the filtered calls."""
    steps = (
        ANNOTATION_STEPS
        if before is None
        else ANNOTATION_STEPS[: ANNOTATION_STEPS.index(before)]
    )
    if not steps:
        vcf = f"results/calls/{wildcards.sample}.{wildcards.caller}.filtered.vcf.gz"
        return {"vcf": vcf, "index": f"{vcf}.tbi"}
    vcf = ANNOTATION_STEP.format(
        sample=wildcards.sample, caller=wildcards.caller, step=steps[-1]
    )
    return {"vcf": vcf, "index": f"{vcf}.csi"}


rule annotate_consequences:
    input:
        unpack(lambda wc: annotation_input(wc, before="consequences")),
        ref=GENOME,
        fai=f"{GENOME}.fai",
        gff3=ANNOTATION["gff3"],
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
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        extra=ANNOTATION["csq_options"],
    shell:
        "(bcftools csq {params.extra} -f {input.ref} -g {input.gff3} -Ob -o {output.bcf}"
        " {input.vcf} && bcftools index {output.bcf}) 2> {log}"


rule annotate_known_variants:
    input:
        unpack(lambda wc: annotation_input(wc, before=wc.step)),
        resource=lambda wc: KNOWN_VARIANT_COLUMNS[wc.step][0],
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
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        columns=lambda wc: KNOWN_VARIANT_COLUMNS[wc.step][1],
    shell:
        "(bcftools annotate -a {input.resource} -c '{params.columns}' -Ob -o {output.bcf}"
        " {input.vcf} && bcftools index {output.bcf}) 2> {log}"


rule write_annotated_vcf:
    input:
        unpack(annotation_input),
    output:
        vcf="results/annotated/{sample}.{caller}.vcf.gz",
        tbi="results/annotated/{sample}.{caller}.vcf.gz.tbi",
    log:
        "logs/write_annotated_vcf/{sample}.{caller}.log",
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "(bcftools view -Oz -o {output.vcf} {input.vcf}"
        " && bcftools index --tbi {output.vcf}) 2> {log}"


rule tabulate_variants:
    input:
        "results/annotated/{sample}.{caller}.vcf.gz",
    output:
        "results/annotated/{sample}.{caller}.variants.tsv",
    log:
        "logs/tabulate_variants/{sample}.{caller}.log",
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "python -m varnode annotation-table {input} --sample {wildcards.sample} --output {output}"
        " > {log} 2>&1"


rule index_phenotype_ontology:
    output:
        PHENOTYPE_INDEX,
    log:
        "logs/index_phenotype_ontology/index.log",
    benchmark:
        "benchmarks/index_phenotype_ontology/index.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "python -m varnode phenotype-index --output {output} > {log} 2>&1"


rule prioritise_variants:
    input:
        table="results/annotated/{sample}.{caller}.variants.tsv",
        index=PHENOTYPE_INDEX,
    output:
        "results/prioritised/{sample}.{caller}.candidates.tsv",
    log:
        "logs/prioritise_variants/{sample}.{caller}.log",
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
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
    shell:
        "python -m varnode prioritise {input.table} --hpo '{params.hpo}' --sample {wildcards.sample}"
        " --index {input.index} --information-content {params.ic} {params.weights}"
        " {params.filtered} --output {output} > {log} 2>&1"
