TARGETS += expand(
    "results/qc/samtools_{kind}/{sample}.txt",
    kind=["stats", "flagstat", "idxstats"],
    sample=SHEET.samples,
)
TARGETS += expand(
    "results/qc/mosdepth/{sample}.mosdepth.summary.txt", sample=SHEET.samples
)
TARGETS += [
    f"results/qc/fastp/{unit.sample}.{unit.unit}.fastp.html" for unit in SHEET.units
]


rule link_reads:
    input:
        unpack(unit_fastqs),
    output:
        r1=f"{READS}/{{sample}}/{{unit}}_R1.fastq.gz",
        r2=f"{READS}/{{sample}}/{{unit}}_R2.fastq.gz",
    log:
        "logs/link_reads/{sample}.{unit}.log",
    conda:
        "../../envs/fastp.yaml"
    threads: 1
    resources:
        mem_mb=100,
        runtime=5,
    shell:
        "(ln -sfn {input.r1:q} {output.r1} && ln -sfn {input.r2:q} {output.r2}) 2> {log}"


rule trim_reads:
    input:
        unpack(linked_fastqs),
    output:
        r1=temp("results/trimmed/{sample}/{unit}_R1.fastq.gz"),
        r2=temp("results/trimmed/{sample}/{unit}_R2.fastq.gz"),
        json="results/qc/fastp/{sample}.{unit}.fastp.json",
        html=temp("results/trimmed/{sample}/{unit}.fastp.html"),
    log:
        "logs/trim_reads/{sample}.{unit}.log",
    benchmark:
        "benchmarks/trim_reads/{sample}.{unit}.tsv"
    conda:
        "../../envs/fastp.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        extra=config["params"]["fastp"],
    shell:
        "fastp --thread {threads} {params.extra} -i {input.r1} -I {input.r2}"
        " -o {output.r1} -O {output.r2} -j {output.json} -h {output.html}"
        " -R '{wildcards.sample} {wildcards.unit}' 2> {log}"


# fastp stamps its HTML with the time; the kept report is the same without it, so a
# rerun gives the same bytes.
rule clean_fastp_report:
    input:
        "results/trimmed/{sample}/{unit}.fastp.html",
    output:
        "results/qc/fastp/{sample}.{unit}.fastp.html",
    log:
        "logs/clean_fastp_report/{sample}.{unit}.log",
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "python -m varnode unstamp-report fastp {input} {output} > {log} 2>&1"


rule stats_alignments:
    input:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        ref=GENOME,
    output:
        "results/qc/samtools_stats/{sample}.txt",
    log:
        "logs/stats_alignments/{sample}.log",
    benchmark:
        "benchmarks/stats_alignments/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wc, attempt: 60 * attempt,
    shell:
        "samtools stats --reference {input.ref} {input.aln} > {output} 2> {log}"


rule flagstat_alignments:
    input:
        f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
    output:
        "results/qc/samtools_flagstat/{sample}.txt",
    log:
        "logs/flagstat_alignments/{sample}.log",
    benchmark:
        "benchmarks/flagstat_alignments/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    shell:
        "samtools flagstat {input} > {output} 2> {log}"


rule idxstats_alignments:
    input:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        idx=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
    output:
        "results/qc/samtools_idxstats/{sample}.txt",
    log:
        "logs/idxstats_alignments/{sample}.log",
    benchmark:
        "benchmarks/idxstats_alignments/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    shell:
        "samtools idxstats {input.aln} > {output} 2> {log}"


rule measure_depth:
    input:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        idx=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
        ref=GENOME,
    output:
        summary="results/qc/mosdepth/{sample}.mosdepth.summary.txt",
        dist="results/qc/mosdepth/{sample}.mosdepth.global.dist.txt",
    log:
        "logs/measure_depth/{sample}.log",
    benchmark:
        "benchmarks/measure_depth/{sample}.tsv"
    conda:
        "../../envs/mosdepth.yaml"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        prefix="results/qc/mosdepth/{sample}",
        extra=config["params"]["mosdepth"],
    shell:
        "mosdepth --threads {threads} --fasta {input.ref} {params.extra}"
        " {params.prefix} {input.aln} 2> {log}"
