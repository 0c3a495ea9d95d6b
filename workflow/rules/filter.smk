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
        mem_mb=per_attempt(1000),
        runtime=per_attempt(120),
    params:
        hard="--hard" if config["filtering"]["hard"] else "",
        set_missing="--set-missing" if config["filtering"]["set_missing"] else "",
        partial=partial_outputs,
    # varnode filter adds the .tbi and the stats .json beside its outputs' (partial) names.
    shell:
        "python -m varnode filter {input.vcf:q} -o {params.partial.vcf:q}"
        " --filters {input.filters:q} --stats {params.partial.stats:q} --threads {threads}"
        " {params.hard} {params.set_missing} 2> {log:q}"
        " && python -m varnode publish --threads {threads} --log {log:q} {output:q}"
        " >> {log:q} 2>&1"
