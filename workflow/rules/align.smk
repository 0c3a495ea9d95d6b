TARGETS += expand(
    "results/aligned/{sample}.{ext}",
    sample=SHEET.samples,
    ext=[ALIGNMENT_EXT, f"{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}"],
)


rule align_reads:
    input:
        r1="results/trimmed/{sample}/{unit}_R1.fastq.gz",
        r2="results/trimmed/{sample}/{unit}_R2.fastq.gz",
        index=multiext(GENOME, ".amb", ".ann", ".bwt", ".pac", ".sa"),
    output:
        temp("results/aligned/units/{sample}/{unit}.bam"),
    log:
        "logs/align_reads/{sample}.{unit}.log",
    benchmark:
        "benchmarks/align_reads/{sample}.{unit}.tsv"
    conda:
        "../../envs/bwa.yaml"
    threads: 4
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime=lambda wc, attempt: 240 * attempt,
    params:
        index_prefix=lambda wc, input: input.index[0].removesuffix(".amb"),
        read_group=read_group,
        extra=config["params"]["bwa_mem"],
        tmp="results/aligned/units/{sample}/{unit}.sorttmp",
    # fixmate -m on bwa's name-grouped output adds the mate scores markdup needs.
    shell:
        "(bwa mem -t {threads} -K 100000000 {params.extra} -R '{params.read_group}' {params.index_prefix}"
        " {input.r1} {input.r2}"
        " | samtools fixmate --no-PG -m -u - -"
        " | samtools sort --no-PG -@ {threads} -m 512M -T {params.tmp} -o {output} -) 2> {log}"


rule merge_units:
    input:
        unit_bams,
    output:
        temp("results/aligned/merged/{sample}.bam"),
    log:
        "logs/merge_units/{sample}.log",
    benchmark:
        "benchmarks/merge_units/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 60 * attempt,
    shell:
        "samtools merge --no-PG -f -@ {threads} -o {output} {input} 2> {log}"


rule mark_duplicates:
    input:
        bam="results/aligned/merged/{sample}.bam",
        ref=GENOME,
        fai=f"{GENOME}.fai",
    output:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        stats="results/qc/markdup/{sample}.markdup.txt",
    log:
        "logs/mark_duplicates/{sample}.log",
    benchmark:
        "benchmarks/mark_duplicates/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        fmt=ALIGNMENT_EXT.upper(),
        extra=config["params"]["markdup"],
        tmp="results/aligned/merged/{sample}.markdup",
    shell:
        "samtools markdup --no-PG -@ {threads} {params.extra} -f {output.stats} -T {params.tmp}"
        " --reference {input.ref} -O {params.fmt} {input.bam} {output.aln} 2> {log}"


rule index_alignments:
    input:
        f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
    output:
        f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
    log:
        "logs/index_alignments/{sample}.log",
    benchmark:
        "benchmarks/index_alignments/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    shell:
        "samtools index {input} {output} 2> {log}"
