# Calling accuracy against a truth set: off unless config accuracy.truth is set.
# `snakemake assess_accuracy` runs just this (and what it needs).
import sys

ACCURACY = config["accuracy"]
ACCURACY_SAMPLE = ACCURACY["sample"] or SHEET.samples[0]
if ACCURACY["truth"] and ACCURACY_SAMPLE not in SHEET.samples:
    sys.exit(
        f"varnode: config accuracy.sample {ACCURACY_SAMPLE!r} is not in the sample sheet"
        f" ({', '.join(SHEET.samples)}); nothing was started."
    )
ACCURACY_TABLES = (
    expand(
        "results/accuracy/{sample}.{caller}.accuracy.{ext}",
        sample=ACCURACY_SAMPLE,
        caller=CALLERS + CONSENSUS_SETS,
        ext=["tsv", "json"],
    )
    if ACCURACY["truth"]
    else []
)

TARGETS += ACCURACY_TABLES
# What compare_calls scores: a caller's filtered calls, or the consensus (already filtered).
COMPARED_CALLS = {
    call_set: f"results/calls/{{sample}}.{call_set}{stem}.vcf.gz"
    for call_sets, stem in ((CALLERS, ".filtered"), (CONSENSUS_SETS, ""))
    for call_set in call_sets
}


rule assess_accuracy:
    input:
        ACCURACY_TABLES,


rule compare_calls:
    input:
        vcf=lambda wc: COMPARED_CALLS[wc.caller].format(sample=wc.sample),
        tbi=lambda wc: f"{COMPARED_CALLS[wc.caller].format(sample=wc.sample)}.tbi",
        truth=ACCURACY["truth"] or [],
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=ACCURACY["regions"] or [],
    output:
        tsv="results/accuracy/{sample}.{caller}.accuracy.tsv",
        json="results/accuracy/{sample}.{caller}.accuracy.json",
        discrepancies="results/accuracy/{sample}.{caller}.accuracy.discrepancies.tsv",
    log:
        "logs/compare_calls/{sample}.{caller}.log",
    benchmark:
        "benchmarks/compare_calls/{sample}.{caller}.tsv"
    wildcard_constraints:
        caller="|".join(CALLERS + CONSENSUS_SETS),
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(60),
    params:
        regions=lambda wc, input: quoted_option("--regions", input.regions),
        prefix=lambda wc, output: str(partial_path(output.tsv.removesuffix(".tsv"))),
    # varnode compare writes <prefix>.tsv, .json and .discrepancies.tsv.
    shell:
        "python -m varnode compare --truth {input.truth:q} --ref {input.ref:q}"
        " {params.regions} -o {params.prefix:q} {input.vcf:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
