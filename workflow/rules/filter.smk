TARGETS += expand(
    "results/calls/{sample}.{caller}.{output}",
    sample=SHEET.samples,
    caller=CALLERS,
    output=[
        "filtered.vcf.gz",
        "filtered.vcf.gz.tbi",
        "filter_stats.tsv",
        "filter_stats.json",
    ],
)


rule filter_variants:
    input:
        vcf="results/calls/{sample}.{caller}.vcf.gz",
        tbi="results/calls/{sample}.{caller}.vcf.gz.tbi",
        filters=config["filters"],
    output:
        vcf="results/calls/{sample}.{caller}.filtered.vcf.gz",
        tbi="results/calls/{sample}.{caller}.filtered.vcf.gz.tbi",
        stats="results/calls/{sample}.{caller}.filter_stats.tsv",
        json="results/calls/{sample}.{caller}.filter_stats.json",
    log:
        "logs/filter_variants/{sample}.{caller}.log",
    benchmark:
        "benchmarks/filter_variants/{sample}.{caller}.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        hard="--hard" if config["filtering"]["hard"] else "",
        set_missing="--set-missing" if config["filtering"]["set_missing"] else "",
    shell:
        "python -m varnode filter {input.vcf} {output.vcf} --filters {input.filters}"
        " --stats {output.stats} --threads {threads} {params.hard} {params.set_missing}"
        " 2> {log}"
