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
        mem_mb=per_attempt(8000),
        runtime=per_attempt(240),
    params:
        index_prefix=lambda wc, input: input.index[0].removesuffix(".amb"),
        read_group=read_group,
        extra=config["params"]["bwa_mem"],
        tmp="results/aligned/units/{sample}/.partial.{unit}.sorttmp",
        partial=partial_outputs,
    # fixmate -m on bwa's name-grouped output adds the mate scores markdup needs. The sort's
    # spill folder is emptied first: samtools sort skips the names a killed run left there,
    # printing htslib errors that would fail the job.
    shell:
        "rm -rf {params.tmp:q} && mkdir -p {params.tmp:q}"
        " && (bwa mem -t {threads} -K 100000000 {params.extra} -R {params.read_group:q}"
        " {params.index_prefix:q} {input.r1:q} {input.r2:q}"
        " | samtools fixmate --no-PG -m -u - -"
        " | samtools sort --no-PG -@ {threads} -m 512M -T {params.tmp:q}/chunk"
        " -o {params.partial:q} -)"
        " 2> {log:q} && rm -r {params.tmp:q}"
        " && python -m varnode publish --threads {threads} --log {log:q} {output:q}"
        " >> {log:q} 2>&1"


# One samtools pipeline per sample: its units merged (already coordinate-sorted), streamed
# into markdup, then indexed; no intermediate BAM and one job instead of three.
rule mark_duplicates:
    input:
        units=unit_bams,
        ref=GENOME,
        fai=f"{GENOME}.fai",
    output:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        idx=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
        stats="results/qc/markdup/{sample}.markdup.txt",
    log:
        "logs/mark_duplicates/{sample}.log",
    benchmark:
        "benchmarks/mark_duplicates/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 2
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        fmt=ALIGNMENT_EXT.upper(),
        extra=config["params"]["markdup"],
        tmp="results/aligned/.partial.{sample}.markdup",
        partial=partial_outputs,
    shell:
        "(samtools merge --no-PG -u -o - {input.units:q}"
        " | samtools markdup --no-PG -@ {threads} {params.extra} -f {params.partial.stats:q}"
        " -T {params.tmp:q} --reference {input.ref:q} -O {params.fmt:q} -"
        " {params.partial.aln:q}"
        " && samtools index -@ {threads} {params.partial.aln:q} {params.partial.idx:q}) 2> {log:q}"
        " && python -m varnode publish --threads {threads} --log {log:q}"
        " --reference {input.ref:q} {output:q}"
        " >> {log:q} 2>&1"
