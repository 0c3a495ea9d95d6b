SHARD_BED = "resources/reference/shards/{shard}.bed"
ALIGNMENT = f"results/aligned/{{sample}}.{ALIGNMENT_EXT}"
ALIGNMENT_INDEX = f"{ALIGNMENT}.{ALIGNMENT_INDEX_EXT}"

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
        regions=SHARD_BED,
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
    shell:
        "(bcftools mpileup --no-version {params.mpileup} -a FORMAT/AD,FORMAT/DP,FORMAT/SP -f {input.ref}"
        " -R {input.regions} -Ou {input.aln}"
        " | bcftools call --no-version {params.call} --variants-only -a GQ -Oz -o {output}) 2> {log}"


rule call_variants_freebayes:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=SHARD_BED,
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
    shell:
        "(freebayes {params.extra} -f {input.ref} -t {input.regions} {input.aln}"
        " | grep -v '^##fileDate=' | bgzip -c > {output}) 2> {log}"


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
    shell:
        "samtools dict {input} -o {output} 2> {log}"


rule call_variants_gatk:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        dict="resources/reference/genome.dict",
        regions=SHARD_BED,
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
    shell:
        "gatk --java-options '-Xmx{resources.mem_mb}m' HaplotypeCaller {params.extra}"
        " -R {input.ref} -I {input.aln} -L {input.regions} -O {output}"
        " --native-pair-hmm-threads {threads} --add-output-vcf-command-line false > {log} 2>&1"


rule gather_shards:
    input:
        shard_vcfs,
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
    shell:
        "bcftools concat --no-version -Ob -o {output} {input} 2> {log}"


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
    shell:
        "(bcftools norm --no-version --multiallelics -any --fasta-ref {input.ref} --check-ref w"
        " -Oz -o {output.vcf} {input.vcf}"
        " && bcftools index --tbi {output.vcf}) 2> {log}"
