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

# bcftools writes its shards as gVCFs (see call_variants_bcftools).
BCFTOOLS_GVCF_SHARDS = expand(
    "results/calls/shards/{{sample}}/bcftools/{shard}.g.vcf.gz",
    shard=SHARDS["calling"],
)
# Each sample's gVCF (bcftools): the cohort is merged from these, so a sample added later
# is called once and never re-read.
GVCF = "results/gvcf/{sample}.g.vcf.gz"
BCFTOOLS_CALLS = "results/calls/{sample}.bcftools.vcf.gz"
# gVCF reference blocks are cut where the depth crosses this value and report their
# minimum depth, so "block depth >= relatedness.min_depth" holds exactly when every site
# of the block has that depth: the relatedness depth filter reads merged blocks as it
# would read each site.
GVCF_DEPTH_BANDS = str(config["cohort"]["relatedness"]["min_depth"])

TARGETS += expand([GVCF, f"{GVCF}.tbi"], sample=SHEET.samples)
TARGETS += expand(
    "results/calls/{sample}.{caller}.vcf.gz{index}",
    sample=SHEET.samples,
    caller=CALLERS,
    index=["", ".tbi"],
)


# bcftools writes each shard as a gVCF: the variant calls (the same records as
# `call --variants-only`) plus reference blocks. gather_bcftools_shards keeps it whole as
# the sample's gVCF, the cohort's input, and takes the calls from it.
rule call_variants_bcftools:
    input:
        aln=ALIGNMENT,
        idx=ALIGNMENT_INDEX,
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=CALLING_BED,
    output:
        temp("results/calls/shards/{sample}/bcftools/{shard}.g.vcf.gz"),
    log:
        "logs/call_variants_bcftools/{sample}.{shard}.log",
    benchmark:
        "benchmarks/call_variants_bcftools/{sample}.{shard}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(240),
    params:
        mpileup=config["params"]["bcftools_mpileup"],
        call=config["params"]["bcftools_call"],
        ploidy=sample_ploidy_option,
        bands=GVCF_DEPTH_BANDS,
        partial=partial_outputs,
    shell:
        "(bcftools mpileup --no-version {params.mpileup} -a FORMAT/AD,FORMAT/DP,FORMAT/SP"
        " -f {input.ref:q} -R {input.regions:q} -Ou {input.aln:q}"
        " | bcftools call --no-version {params.call} {params.ploidy} --gvcf {params.bands:q}"
        " -a GQ -Oz -o {params.partial:q})"
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
        mem_mb=per_attempt(4000),
        runtime=per_attempt(480),
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
        mem_mb=per_attempt(6000),
        runtime=per_attempt(480),
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


# Gathering normalises too (one bcftools pipe, one job): the shards are concatenated,
# multiallelic records split and indels left-aligned against the reference, and the
# assembly named on the contig lines (varnode set-assembly).
rule gather_shards:
    input:
        shards=SHARD_VCFS,
        ref=GENOME,
    output:
        vcf="results/calls/{sample}.{caller}.vcf.gz",
        tbi="results/calls/{sample}.{caller}.vcf.gz.tbi",
    log:
        "logs/gather_shards/{sample}.{caller}.log",
    benchmark:
        "benchmarks/gather_shards/{sample}.{caller}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        assembly=config["reference"]["assembly"],
        partial=partial_outputs,
    shell:
        "(bcftools concat --no-version -Ou {input.shards:q}"
        " | bcftools norm --no-version --multiallelics -any --fasta-ref {input.ref:q} --check-ref w"
        " -Oz -o {params.partial.vcf:q}"
        " && python -m varnode set-assembly {params.partial.vcf:q} --assembly {params.assembly:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# One job per sample writes its gVCF (a final output, the cohort's input) and its bcftools
# calls: the gVCF's records that are not reference blocks (ALT "."), normalised as above.
rule gather_bcftools_shards:
    input:
        shards=BCFTOOLS_GVCF_SHARDS,
        ref=GENOME,
    output:
        gvcf=GVCF,
        gvcf_tbi=f"{GVCF}.tbi",
        # Without bcftools among the callers the gVCF is still the cohort's input, and
        # its calls are a by-product removed after the job.
        vcf=BCFTOOLS_CALLS if "bcftools" in CALLERS else temp(BCFTOOLS_CALLS),
        tbi=(
            f"{BCFTOOLS_CALLS}.tbi"
            if "bcftools" in CALLERS
            else temp(f"{BCFTOOLS_CALLS}.tbi")
        ),
    log:
        "logs/gather_bcftools_shards/{sample}.log",
    benchmark:
        "benchmarks/gather_bcftools_shards/{sample}.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        assembly=config["reference"]["assembly"],
        partial=partial_outputs,
    shell:
        "(bcftools concat --no-version -Oz -o {params.partial.gvcf:q} {input.shards:q}"
        " && bcftools index --tbi -o {params.partial.gvcf_tbi:q} {params.partial.gvcf:q}"
        " && bcftools view --no-version --exclude 'ALT=\".\"' -Ou {params.partial.gvcf:q}"
        " | bcftools norm --no-version --multiallelics -any --fasta-ref {input.ref:q} --check-ref w"
        " -Oz -o {params.partial.vcf:q}"
        " && python -m varnode set-assembly {params.partial.vcf:q} --assembly {params.assembly:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


ruleorder: gather_bcftools_shards > gather_shards
