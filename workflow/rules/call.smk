ALIGNMENT = f"results/aligned/{{sample}}.{ALIGNMENT_EXT}"
ALIGNMENT_INDEX = f"{ALIGNMENT}.{ALIGNMENT_INDEX_EXT}"
# A sample's calls per region shard (reference.smk plans the shards).
SHARD_VCFS = expand(
    "results/calls/shards/{{sample}}/{{caller}}/{shard}.vcf.gz",
    shard=SHARDS["calling"],
)
# Each caller's version command (run.json and the run's crate record the output).
CALLER_VERSION_COMMANDS = {
    "bcftools": "bcftools --version",
    "freebayes": "freebayes --version",
    "gatk": "gatk --version",
}

TARGETS += expand(
    "results/calls/{sample}.{caller}.vcf.gz{index}",
    sample=SHEET.samples,
    caller=CALLERS,
    index=["", ".tbi"],
)


rule call_variants_bcftools:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=CALLING_BED,
    output:
        temp("results/calls/shards/{sample}/bcftools/{shard}.vcf.gz"),
    log:
        "logs/call_variants_bcftools/{sample}.{shard}.log",
    benchmark:
        "benchmarks/call_variants_bcftools/{sample}.{shard}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 240 * attempt,
    params:
        mpileup=config["params"]["bcftools_mpileup"],
        call=config["params"]["bcftools_call"],
        partial=partial_outputs,
    shell:
        "(bcftools mpileup --no-version {params.mpileup} -a FORMAT/AD,FORMAT/DP,FORMAT/SP"
        " -f {input.ref:q} -R {input.regions:q} -Ou {input.aln:q}"
        " | bcftools call --no-version {params.call} --variants-only -a GQ -Oz"
        " -o {params.partial:q})"
        " 2> {log:q} && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule call_variants_freebayes:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=CALLING_BED,
    output:
        temp("results/calls/shards/{sample}/freebayes/{shard}.vcf.gz"),
    log:
        "logs/call_variants_freebayes/{sample}.{shard}.log",
    benchmark:
        "benchmarks/call_variants_freebayes/{sample}.{shard}.tsv"
    conda:
        "../../envs/freebayes.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 480 * attempt,
    params:
        extra=config["params"]["freebayes"],
        partial=partial_outputs,
    shell:
        "(freebayes {params.extra} -f {input.ref:q} -t {input.regions:q} {input.aln:q}"
        " | grep -v '^##fileDate=' | bgzip -c > {params.partial:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule create_sequence_dictionary:
    input:
        GENOME,
    output:
        "resources/reference/genome.dict",
    log:
        "logs/create_sequence_dictionary/genome.log",
    benchmark:
        "benchmarks/create_sequence_dictionary/genome.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        partial=partial_outputs,
    shell:
        "samtools dict {input:q} -o {params.partial:q} 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule call_variants_gatk:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        dict="resources/reference/genome.dict",
        regions=CALLING_BED,
    output:
        temp("results/calls/shards/{sample}/gatk/{shard}.vcf.gz"),
    log:
        "logs/call_variants_gatk/{sample}.{shard}.log",
    benchmark:
        "benchmarks/call_variants_gatk/{sample}.{shard}.tsv"
    conda:
        "../../envs/gatk.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 6000 * attempt,
        runtime=lambda wc, attempt: 480 * attempt,
    params:
        extra=config["params"]["gatk_haplotypecaller"],
        partial=partial_outputs,
    # No index: the shard is only read whole by gather_shards.
    shell:
        "gatk --java-options '-Xmx{resources.mem_mb}m' HaplotypeCaller {params.extra}"
        " -R {input.ref:q} -I {input.aln:q} -L {input.regions:q} -O {params.partial:q}"
        " --create-output-variant-index false"
        " --native-pair-hmm-threads {threads} --add-output-vcf-command-line false"
        " > {log:q} 2>&1"
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


rule gather_shards:
    input:
        SHARD_VCFS,
    output:
        temp("results/calls/gathered/{sample}.{caller}.bcf"),
    log:
        "logs/gather_shards/{sample}.{caller}.log",
    benchmark:
        "benchmarks/gather_shards/{sample}.{caller}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        partial=partial_outputs,
    shell:
        "bcftools concat --no-version -Ob -o {params.partial:q} {input:q} 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule normalize_variants:
    input:
        vcf="results/calls/gathered/{sample}.{caller}.bcf",
        ref=GENOME,
    output:
        vcf="results/calls/{sample}.{caller}.vcf.gz",
        tbi="results/calls/{sample}.{caller}.vcf.gz.tbi",
    log:
        "logs/normalize_variants/{sample}.{caller}.log",
    benchmark:
        "benchmarks/normalize_variants/{sample}.{caller}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        assembly=config["reference"]["assembly"],
        partial=partial_outputs,
    shell:
        "(bcftools norm --no-version --multiallelics -any --fasta-ref {input.ref:q} --check-ref w"
        " -Oz -o {params.partial.vcf:q} {input.vcf:q}"
        " && python -m varnode set-assembly {params.partial.vcf:q} --assembly {params.assembly:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
