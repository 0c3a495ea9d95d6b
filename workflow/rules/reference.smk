import sys

from varnode.errors import VarnodeError
from varnode.reference.regions import contig_index, plan_shards, shard_names

# Region shards are planned when the workflow is parsed, from the reference's .fai (the
# user's own if up to date, else one built here), so the whole plan is known from the
# start and no checkpoint is needed. Calling and the cohort each cut the genome into
# their configured number of shards, whatever its size (varnode/reference/regions.py).
SHARD_TARGETS = config["reference"]["regions"]
SCATTER = {
    "calling": config["calling"]["scatter"],
    "cohort": config["cohort"]["scatter"],
}
try:
    SHARD_FAI = str(
        contig_index(config["reference"]["fasta"], "resources/reference/contig_index")
    )
    SHARDS = {
        plan: shard_names(len(plan_shards(SHARD_FAI, SHARD_TARGETS, count)))
        for plan, count in SCATTER.items()
    }
except VarnodeError as error:
    sys.exit(f"varnode: invalid input, nothing was started.\n{error}")


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
    params:
        partial=partial_outputs,
    shell:
        'ln -sfn -- "$(realpath -- {input:q})" {params.partial:q} 2> {log:q}'
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


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
    params:
        partial=partial_outputs,
    shell:
        "samtools faidx --fai-idx {params.partial:q} {input:q} 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# bwa writes <prefix>.amb etc.: the partial genome name as prefix gives each index file
# its partial name.
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
        mem_mb=per_attempt(8000),
        runtime=per_attempt(180),
    params:
        prefix=str(partial_path(GENOME)),
    shell:
        "bwa index -p {params.prefix:q} {input:q} 2> {log:q}"
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


CALLING_BED = "resources/reference/shards/calling/{shard}.bed"
COHORT_BED = "resources/reference/shards/cohort/{shard}.bed"


# One job writes every shard's BED, for calling and for the cohort, from the same .fai
# and plans the workflow was parsed with (common.smk), so the BEDs and the planned shard
# jobs always agree.
rule write_region_shards:
    input:
        fai=SHARD_FAI,
        targets=SHARD_TARGETS or [],
    output:
        calling=expand(CALLING_BED, shard=SHARDS["calling"]),
        cohort=expand(COHORT_BED, shard=SHARDS["cohort"]),
    log:
        "logs/write_region_shards/genome.log",
    benchmark:
        "benchmarks/write_region_shards/genome.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        scatter=SCATTER,
        targets=lambda wc, input: quoted_option("--targets", input.targets),
        staging="resources/reference/.partial.shards",
    shell:
        "rm -rf {params.staging:q}"
        " && python -m varnode shard-regions {input.fai:q} -o {params.staging:q}/calling"
        " --scatter {params.scatter[calling]:q} {params.targets} > {log:q} 2>&1"
        " && python -m varnode shard-regions {input.fai:q} -o {params.staging:q}/cohort"
        " --scatter {params.scatter[cohort]:q} {params.targets} >> {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q}/calling"
        " {output.calling:q} >> {log:q} 2>&1"
        " && python -m varnode publish --staging {params.staging:q}/cohort"
        " {output.cohort:q} >> {log:q} 2>&1"
