TARGETS += expand(
    "results/qc/samtools_{kind}/{sample}.txt",
    kind=["stats", "flagstat", "idxstats"],
    sample=SHEET.samples,
)
# A sample's depth per contig (mosdepth): the report's, and sex inference's (cohort.smk).
MOSDEPTH_SUMMARY = "results/qc/mosdepth/{sample}.mosdepth.summary.txt"
# Where a sample reaches the node export's callable depth (mosdepth --quantize, read by
# varnode export, export.smk). measure_depth writes it too when the export is on: one job
# per sample reads the alignment for both, with the export's own MAPQ floor.
CALLABLE_BED = "results/federation/callable/{sample}.quantized.bed.gz"
CALLABLE_OUTPUTS = (
    {"callable": CALLABLE_BED, "callable_csi": f"{CALLABLE_BED}.csi"}
    if config["export"]["enabled"]
    else {}
)
# measure_depth's command: QC depths, then (export on) the callable depth, each mosdepth
# pass into its own staging folder published to its outputs' folder. Bins are named so
# that varnode export reads the CALLABLE rows.
MEASURE_DEPTH = (
    "rm -rf {params.staging:q} && mkdir -p {params.staging:q}"
    " && mosdepth --threads {threads} --fasta {input.ref:q} {params.extra}"
    " {params.staging:q}/{wildcards.sample:q} {input.aln:q} 2> {log:q}"
    " && python -m varnode publish --log {log:q} --staging {params.staging:q}"
    " {output.summary:q} {output.dist:q} >> {log:q} 2>&1"
)
MEASURE_DEPTH += (
    " && rm -rf {params.callable_staging:q} && mkdir -p {params.callable_staging:q}"
    " && MOSDEPTH_Q0=LOW MOSDEPTH_Q1=CALLABLE mosdepth --threads {threads} --no-per-base"
    " --fasta {input.ref:q} --mapq {params.callable_mapq} --quantize {params.callable_bins:q}"
    " {params.callable_staging:q}/{wildcards.sample:q} {input.aln:q} 2>> {log:q}"
    " && python -m varnode publish --log {log:q} --staging {params.callable_staging:q}"
    " {output.callable:q} {output.callable_csi:q} >> {log:q} 2>&1"
    if CALLABLE_OUTPUTS
    else ""
)
TARGETS += expand(MOSDEPTH_SUMMARY, sample=SHEET.samples)
TARGETS += [
    f"results/qc/fastp/{unit.sample}.{unit.unit}.fastp.html" for unit in SHEET.units
]


# Each unit's FASTQ pair is read to its end before fastp starts (varnode check-reads):
# fastp accepts a truncated or mismatched pair with exit 0 (see varnode.reads.check), so
# its JSON's read counts are then checked against the pair's (varnode check-fastp).
# fastp stamps its HTML with the time; the kept report is the same without it
# (`varnode unstamp-report`), so a rerun gives the same bytes.
rule trim_reads:
    input:
        unpack(unit_fastqs),
    output:
        counts="results/qc/reads/{sample}.{unit}.counts.json",
        r1=temp("results/trimmed/{sample}/{unit}_R1.fastq.gz"),
        r2=temp("results/trimmed/{sample}/{unit}_R2.fastq.gz"),
        json="results/qc/fastp/{sample}.{unit}.fastp.json",
        html="results/qc/fastp/{sample}.{unit}.fastp.html",
    log:
        "logs/trim_reads/{sample}.{unit}.log",
    benchmark:
        "benchmarks/trim_reads/{sample}.{unit}.tsv"
    conda:
        "../../envs/fastp.yaml"
    threads: 2
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(60),
    params:
        extra=config["params"]["fastp"],
        title="{sample} {unit}",
        partial=partial_outputs,
        reads=fastp_inputs,
    shell:
        "python -m varnode check-reads {input.r1:q} {input.r2:q} -o {params.partial.counts:q}"
        " > {log:q} 2>&1"
        ' && mkdir -p "$(dirname {params.reads.r1:q})"'
        ' && ln -sfn -- "$(realpath -- {input.r1:q})" {params.reads.r1:q}'
        ' && ln -sfn -- "$(realpath -- {input.r2:q})" {params.reads.r2:q}'
        " && fastp --thread {threads} {params.extra} -i {params.reads.r1:q} -I {params.reads.r2:q}"
        " -o {params.partial.r1:q} -O {params.partial.r2:q} -j {params.partial.json:q}"
        ' -h "$(dirname {params.reads.r1:q})/fastp.html" -R {params.title:q} 2>> {log:q}'
        " && python -m varnode check-fastp --json {params.partial.json:q} --log {log:q}"
        " --counts {params.partial.counts:q} >> {log:q} 2>&1"
        ' && python -m varnode unstamp-report fastp "$(dirname {params.reads.r1:q})/fastp.html"'
        " -o {params.partial.html:q} >> {log:q} 2>&1"
        ' && rm -r "$(dirname {params.reads.r1:q})"'
        " && python -m varnode publish {output:q} >> {log:q} 2>&1"


# samtools' three reports of one alignment in one job: stats, flagstat, idxstats.
rule stats_alignments:
    input:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        idx=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
        ref=GENOME,
    output:
        stats="results/qc/samtools_stats/{sample}.txt",
        flagstat="results/qc/samtools_flagstat/{sample}.txt",
        idxstats="results/qc/samtools_idxstats/{sample}.txt",
    log:
        "logs/stats_alignments/{sample}.log",
    benchmark:
        "benchmarks/stats_alignments/{sample}.tsv"
    conda:
        "../../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=per_attempt(90),
    params:
        partial=partial_outputs,
    shell:
        "(samtools stats --reference {input.ref:q} {input.aln:q} > {params.partial.stats:q}"
        " && samtools flagstat {input.aln:q} > {params.partial.flagstat:q}"
        " && samtools idxstats {input.aln:q} > {params.partial.idxstats:q}) 2> {log:q}"
        " && python -m varnode publish --log {log:q} {output:q} >> {log:q} 2>&1"


rule measure_depth:
    input:
        aln=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}",
        idx=f"results/aligned/{{sample}}.{ALIGNMENT_EXT}.{ALIGNMENT_INDEX_EXT}",
        ref=GENOME,
    output:
        **CALLABLE_OUTPUTS,
        summary=MOSDEPTH_SUMMARY,
        dist="results/qc/mosdepth/{sample}.mosdepth.global.dist.txt",
    log:
        "logs/measure_depth/{sample}.log",
    benchmark:
        "benchmarks/measure_depth/{sample}.tsv"
    conda:
        "../../envs/mosdepth.yaml"
    threads: 2
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(90),
    # mosdepth writes more files than those declared (per-window depths with --by): all
    # are published with them (MEASURE_DEPTH).
    params:
        staging="results/qc/mosdepth/.partial.{sample}",
        extra=config["params"]["mosdepth"],
        callable_staging="results/federation/callable/.partial.{sample}",
        callable_bins=f"0:{config['export']['callable']['min_depth']}:",
        callable_mapq=config["export"]["callable"]["min_mapq"],
    shell:
        MEASURE_DEPTH
