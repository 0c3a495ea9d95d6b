# Consensus of bcftools and freebayes (config consensus): made when both callers run.
CONSENSUS = config["consensus"]
CONSENSUS_CALLERS = ["bcftools", "freebayes"]
CONSENSUS_SETS = (
    ["consensus"] if all(caller in CALLERS for caller in CONSENSUS_CALLERS) else []
)

TARGETS += expand(
    "results/calls/{sample}.{call_set}.vcf.gz{index}",
    sample=SHEET.samples,
    call_set=CONSENSUS_SETS,
    index=["", ".tbi"],
)


rule combine_calls:
    input:
        bcftools="results/calls/{sample}.bcftools.filtered.vcf.gz",
        bcftools_tbi="results/calls/{sample}.bcftools.filtered.vcf.gz.tbi",
        freebayes="results/calls/{sample}.freebayes.filtered.vcf.gz",
        freebayes_tbi="results/calls/{sample}.freebayes.filtered.vcf.gz.tbi",
        ref=GENOME,
        fai=f"{GENOME}.fai",
    output:
        vcf="results/calls/{sample}.consensus.vcf.gz",
        tbi="results/calls/{sample}.consensus.vcf.gz.tbi",
    log:
        "logs/combine_calls/{sample}.log",
    benchmark:
        "benchmarks/combine_calls/{sample}.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(60),
    params:
        represent=CONSENSUS["represent"],
        bcftools_min_qual=CONSENSUS["single_min_qual"]["bcftools"],
        freebayes_min_qual=CONSENSUS["single_min_qual"]["freebayes"],
        conflicts="--pass-conflicts" if CONSENSUS["pass_conflicts"] else "",
        partial=partial_outputs,
    # varnode consensus writes the .tbi beside its output's (partial) name.
    shell:
        "python -m varnode consensus -o {params.partial.vcf:q} --ref {input.ref:q}"
        " --represent {params.represent:q}"
        " --calls bcftools={input.bcftools:q} --calls freebayes={input.freebayes:q}"
        " --single-min-qual bcftools={params.bcftools_min_qual:q}"
        " --single-min-qual freebayes={params.freebayes_min_qual:q}"
        " {params.conflicts} --sample {wildcards.sample:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
