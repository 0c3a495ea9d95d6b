# Cohort: each cohort shard merged from the samples' gVCFs (call.smk; their per-sample
# calls kept, see varnode/cohort/gvcf_merge.py), gathered and normalised, then allele
# counts, a sites-only export, sample QC and relatedness. A sample added to the sheet is
# called on its own; the cohort jobs merge it in without reading any other alignment.
from varnode.cohort.members import members_table

COHORT = "results/cohort/cohort.vcf.gz"
COHORT_MEMBERS = "results/cohort/members.tsv"
# The merged calls, gathered and normalised: what counts, QC and relatedness all read.
COHORT_CALLS = "results/cohort/normalized.bcf"
COHORT_SHARDS = expand("results/cohort/shards/{shard}.bcf", shard=SHARDS["cohort"])

TARGETS += [
    COHORT,
    f"{COHORT}.tbi",
    "results/cohort/cohort.sites.vcf.gz",
    "results/cohort/cohort.sites.vcf.gz.tbi",
    "results/cohort/sample_qc.tsv",
    "results/cohort/sample_qc.json",
    "results/cohort/relatedness.tsv",
]

COHORT_CFG = config["cohort"]
SEX_CFG = COHORT_CFG["sex"]


# The member list (samples and their sex) is the cohort's identity. It is a param, not
# the sheet file, so only an edit that changes it (a sample added or removed, a sex
# corrected) rewrites the list and reruns the cohort; per-sample jobs never rerun, nor
# does the cohort for other sheet edits (an HPO term, say).


rule list_cohort_members:
    output:
        COHORT_MEMBERS,
    log:
        "logs/list_cohort_members/cohort.log",
    benchmark:
        "benchmarks/list_cohort_members/cohort.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        sheet=config["samples"],
        members=members_table(SHEET),
        partial=partial_outputs,
    shell:
        "python -m varnode cohort-members {params.sheet:q} -o {params.partial:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule merge_cohort_shard:
    input:
        # Each gVCF's .tbi is written by the same job and listed in TARGETS, so it exists
        # with its gVCF; not listing N indexes per shard job halves what planning matches.
        gvcfs=expand(GVCF, sample=SHEET.samples),
        ref=GENOME,
        fai=f"{GENOME}.fai",
        regions=COHORT_BED,
        members=COHORT_MEMBERS,
    output:
        temp("results/cohort/shards/{shard}.bcf"),
    log:
        "logs/merge_cohort_shard/{shard}.log",
    benchmark:
        "benchmarks/merge_cohort_shard/{shard}.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(240),
    params:
        fan_in=COHORT_CFG["merge_fan_in"],
        partial=partial_outputs,
    # The gVCFs reach merge-gvcfs as @FILE, FILE a pipe that printf (a bash builtin: no
    # exec, so no argument limit) writes them into: as arguments, a cohort's paths would
    # pass the kernel's limit for a program's command line (ARG_MAX, ~2 MB). Nothing is
    # written to disk, so nothing is left behind. The rules below pass lists the same way.
    shell:
        "python -m varnode merge-gvcfs --ref {input.ref:q} --regions {input.regions:q}"
        " --fan-in {params.fan_in:q} -o {params.partial:q}"
        " @<(printf '%s\\n' {input.gvcfs:q}) > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule gather_cohort:
    input:
        shards=COHORT_SHARDS,
        ref=GENOME,
    output:
        bcf=temp(COHORT_CALLS),
        csi=temp(f"{COHORT_CALLS}.csi"),
    log:
        "logs/gather_cohort/cohort.log",
    benchmark:
        "benchmarks/gather_cohort/cohort.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        assembly=config["reference"]["assembly"],
        partial=partial_outputs,
    shell:
        "(bcftools concat --no-version -Ou {input.shards:q}"
        " | bcftools norm --no-version --multiallelics -any --fasta-ref {input.ref:q} --check-ref w"
        " -Ob -o {params.partial.bcf:q}"
        " && python -m varnode set-assembly {params.partial.bcf:q} --assembly {params.assembly:q}"
        " && bcftools index -o {params.partial.csi:q} {params.partial.bcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule count_cohort_alleles:
    input:
        vcf=COHORT_CALLS,
        members=COHORT_MEMBERS,
    output:
        vcf=temp("results/cohort/allele_counts.vcf.gz"),
        tbi=temp("results/cohort/allele_counts.vcf.gz.tbi"),
    log:
        "logs/count_cohort_alleles/cohort.log",
    benchmark:
        "benchmarks/count_cohort_alleles/cohort.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        strata=lambda wc, input: (
            quoted_option("--sexes", input.members) if COHORT_CFG["sex_strata"] else ""
        ),
        chunk=COHORT_CFG["chunk_size"],
        partial=partial_outputs,
    shell:
        "python -m varnode allele-counts {input.vcf:q} -o {params.partial.vcf:q}"
        " {params.strata} --chunk-size {params.chunk:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# Only the tags are computed in Python; bcftools carries them into the full file, which
# is far faster than re-serialising every sample's fields from Python.
rule annotate_cohort:
    input:
        vcf=COHORT_CALLS,
        csi=f"{COHORT_CALLS}.csi",
        counts="results/cohort/allele_counts.vcf.gz",
        tbi="results/cohort/allele_counts.vcf.gz.tbi",
    output:
        vcf=COHORT,
        tbi=f"{COHORT}.tbi",
    log:
        "logs/annotate_cohort/cohort.log",
    benchmark:
        "benchmarks/annotate_cohort/cohort.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 2
    resources:
        mem_mb=per_attempt(1000),
        runtime=per_attempt(120),
    params:
        level=COHORT_CFG["compression_level"],
        partial=partial_outputs,
    shell:
        "(bcftools annotate --no-version --threads {threads} -a {input.counts:q} -c INFO"
        " -Oz{params.level:q} -o {params.partial.vcf:q} {input.vcf:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --threads {threads} --log {log:q} {output:q}"
        " >> {log:q} 2>&1"


rule extract_cohort_sites:
    input:
        COHORT,
    output:
        vcf="results/cohort/cohort.sites.vcf.gz",
        tbi="results/cohort/cohort.sites.vcf.gz.tbi",
    log:
        "logs/extract_cohort_sites/cohort.log",
    benchmark:
        "benchmarks/extract_cohort_sites/cohort.tsv"
    conda:
        "../../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(60),
    params:
        partial=partial_outputs,
    # --drop-genotypes removes the sample columns, FORMAT and its header lines.
    shell:
        "(bcftools view --no-version --drop-genotypes -Oz -o {params.partial.vcf:q} {input:q}"
        " && bcftools index --tbi -o {params.partial.tbi:q} {params.partial.vcf:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


# QC and relatedness read the BCF: it parses several times faster than VCF text. Depth
# for sex inference comes from mosdepth (qc.smk), not from the merged gVCFs' block depths
# (varnode/cohort/sample_qc.py).
rule check_sample_qc:
    input:
        vcf=COHORT_CALLS,
        members=COHORT_MEMBERS,
        depths=expand(MOSDEPTH_SUMMARY, sample=SHEET.samples),
    output:
        tsv="results/cohort/sample_qc.tsv",
        json="results/cohort/sample_qc.json",
    log:
        "logs/check_sample_qc/cohort.log",
    benchmark:
        "benchmarks/check_sample_qc/cohort.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        chunk=COHORT_CFG["chunk_size"],
        qc=COHORT_CFG["qc"],
        sex=SEX_CFG,
        par=SEX_CFG["par_regions"],
        x=SEX_CFG["x_contigs"],
        y=SEX_CFG["y_contigs"],
        mito=SEX_CFG["mito_contigs"],
        partial=partial_outputs,
    shell:
        "python -m varnode sample-qc {input.vcf:q} --sexes {input.members:q}"
        " -o {params.partial.tsv:q} --json {params.partial.json:q}"
        " --chunk-size {params.chunk:q} --depth-summaries @<(printf '%s\\n' {input.depths:q})"
        " --min-call-rate {params.qc[min_call_rate]:q}"
        " --outlier-mads {params.qc[outlier_mads]:q}"
        " --min-samples-for-outliers {params.qc[min_samples_for_outliers]:q}"
        " --x-contigs {params.x:q} --y-contigs {params.y:q} --mito-contigs {params.mito:q}"
        " --par {params.par:q} --min-x-calls {params.sex[min_x_calls]:q}"
        " --male-max-x-het {params.sex[male_max_x_het]:q}"
        " --female-min-x-het {params.sex[female_min_x_het]:q}"
        " --male-max-x-depth-ratio {params.sex[male_max_x_depth_ratio]:q}"
        " --male-min-y-depth-ratio {params.sex[male_min_y_depth_ratio]:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule estimate_relatedness:
    input:
        COHORT_CALLS,
    output:
        "results/cohort/relatedness.tsv",
    log:
        "logs/estimate_relatedness/cohort.log",
    benchmark:
        "benchmarks/estimate_relatedness/cohort.tsv"
    conda:
        "../../envs/varnode.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(120),
    params:
        chunk=COHORT_CFG["chunk_size"],
        min_depth=COHORT_CFG["relatedness"]["min_depth"],
        min_sites=COHORT_CFG["relatedness"]["min_sites"],
        excluded=SEX_CFG["x_contigs"] + SEX_CFG["y_contigs"] + SEX_CFG["mito_contigs"],
        partial=partial_outputs,
    shell:
        "python -m varnode relatedness {input:q} -o {params.partial:q}"
        " --chunk-size {params.chunk:q} --min-depth {params.min_depth:q}"
        " --min-sites {params.min_sites:q} --exclude-contigs {params.excluded:q} > {log:q} 2>&1"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"
