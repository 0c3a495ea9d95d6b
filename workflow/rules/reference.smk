rule link_reference:
    input:
        config["reference"]["fasta"],
    output:
        GENOME,
    log:
        "logs/link_reference/genome.log",
    benchmark:
        "benchmarks/link_reference/genome.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=100,
        runtime=5,
    shell:
        "ln -sfn $(realpath {input}) {output} 2> {log}"


rule index_reference_fasta:
    input:
        GENOME,
    output:
        f"{GENOME}.fai",
    log:
        "logs/index_reference_fasta/genome.log",
    benchmark:
        "benchmarks/index_reference_fasta/genome.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    shell:
        "samtools faidx {input} 2> {log}"


rule index_reference_bwa:
    input:
        GENOME,
    output:
        multiext(GENOME, ".amb", ".ann", ".bwt", ".pac", ".sa"),
    log:
        "logs/index_reference_bwa/genome.log",
    benchmark:
        "benchmarks/index_reference_bwa/genome.tsv"
    conda:
        "../../envs/bwa.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime=lambda wc, attempt: 180 * attempt,
    shell:
        "bwa index {input} 2> {log}"


checkpoint shard_regions:
    input:
        fai=f"{GENOME}.fai",
        targets=config["reference"]["regions"] or [],
    output:
        directory("resources/reference/shards"),
    log:
        "logs/shard_regions/genome.log",
    benchmark:
        "benchmarks/shard_regions/genome.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        size=config["reference"]["shard_size"],
        targets=lambda wc, input: f"--targets {input.targets}" if input.targets else "",
    shell:
        "python -m varnode shard-regions {input.fai} {output} --size {params.size} {params.targets}"
        " > {log} 2>&1"
