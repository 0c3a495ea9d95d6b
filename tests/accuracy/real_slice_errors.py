"""List every error left on the real NA12878 slice with the evidence that classifies it.

    python tests/accuracy/real_slice_errors.py --out tests/accuracy/real_slice_errors.tsv \
        --ref REF --truth GIAB.vcf.gz \
        --raw bcftools=RUN/results/calls/NA12878.bcftools.vcf.gz \
        --raw freebayes=RUN/results/calls/NA12878.freebayes.vcf.gz \
        --calls bcftools=RUN/results/calls/NA12878.bcftools.filtered.vcf.gz \
        --calls freebayes=RUN/results/calls/NA12878.freebayes.filtered.vcf.gz \
        --calls consensus=RUN/results/calls/NA12878.consensus.vcf.gz \
        --calls plain_bcftools_call_mv=PLAIN.vcf.gz \
        --known dbsnp=DBSNP.vcf.gz --known gnomad=GNOMAD.vcf.gz \
        --panel 1000GP.chr22.vcf.gz --panel-offset 16569999 --panel-samples NA12878,NA12891,NA12892

Each call set is scored as `varnode compare` scores it (haplotype_genotype, PASS only);
every false positive or false negative of any call set is one row, naming the call sets
that make it. The evidence columns: the callers' QUAL and read counts at the position
(bcftools FORMAT/AD, freebayes RO/AO, from the raw calls), the longest homopolymer or
short tandem repeat (unit 1-6 bp) touching it, exact allele matches in the known-variant
VCFs (dbSNP id, gnomAD AF), the distance to the nearest truth record, and for SNVs the
genotypes of the --panel samples (a call set made apart from this pipeline: the 1000
Genomes 30x high-coverage release, from the same NYGC sequencing but aligned to the whole
genome, called by GATK and phased with the parents; slice position + --panel-offset =
panel position). `class` is derived from that evidence:

  real_outside_benchmark  an SNV both callers call (QUAL >= 30, ALT read fraction >= 0.3,
                          >= 10 informative reads) whose genotype the panel gives this
                          sample too (parents consistent), or a known allele with no
                          truth record within 20 bp: most likely a true variant in a
                          part of the slice GIAB leaves out of its benchmark regions.
  known_repeat_indel      an indel both callers call, a known (dbSNP/gnomAD) allele, in a
                          homopolymer or STR of >= 8 bp: probably real (GIAB has no
                          record there), its exact length uncertain.
  caller_error            one caller only, ALT read fraction < 0.3 (stutter or noise).
  unresolved              anything else.
"""

from __future__ import annotations

import argparse
import sys
from argparse import Namespace

import pysam
from sweep_calling import write_tsv

from varnode.accuracy.compare import compare

METHOD = "haplotype_genotype"
COLUMNS = (
    "pos", "type", "ref", "alt", "genotype", "status", "call_sets",
    "bcftools_qual", "bcftools_ref_alt_reads", "freebayes_qual", "freebayes_ref_alt_reads",
    "repeat", "known", "nearest_truth_bp", "panel_genotypes", "class",
)  # fmt: skip


def errors(calls: str, ref: str, truth: str) -> list[dict]:
    args = Namespace(
        truth=truth, ref=ref, regions=None, calls=calls, sample=None, truth_sample=None,
        all_calls=False, gap=10,
    )  # fmt: skip
    _, rows, _ = compare(args)
    return [row for row in rows if row["method"] == METHOD and row["status"] in ("FP", "FN")]


def longest_repeat(fasta: pysam.FastaFile, chrom: str, pos0: int, width: int = 60) -> str:
    """The longest run of a 1-6 bp unit that covers or abuts pos0 (0-based), as
    `<length>x<unit>`, or "-" when no unit repeats more than twice (or 4 bp for unit 1)."""
    start = max(0, pos0 - width)
    sequence = fasta.fetch(chrom, start, pos0 + width).upper()
    centre = pos0 - start
    best = (0, "")
    for unit_length in range(1, 7):
        for offset in range(max(0, centre - width), centre + 2):
            unit = sequence[offset : offset + unit_length]
            if len(unit) < unit_length:
                continue
            end = offset + unit_length
            while sequence[end : end + unit_length] == unit:
                end += unit_length
            if offset <= centre + 1 and end >= centre and end - offset > best[0]:
                copies = (end - offset) // unit_length
                if copies >= (5 if unit_length == 1 else 3):
                    best = (end - offset, unit)
    return f"{best[0]}x{best[1]}" if best[0] else "-"


def record_at(vcf: pysam.VariantFile, chrom: str, pos: int, ref: str, alt: str):
    for record in vcf.fetch(chrom, pos - 1, pos):
        if record.pos == pos and record.ref == ref and alt in (record.alts or ()):
            return record
    return None


def caller_evidence(vcf: pysam.VariantFile | None, caller: str, row: dict) -> tuple[str, str]:
    if vcf is None:
        return "-", "-"
    record = record_at(vcf, row["chrom"], int(row["pos"]), row["ref"], row["alt"])
    if record is None:
        return "-", "-"
    sample = record.samples[0]
    if caller == "freebayes":
        index = record.alts.index(row["alt"])
        reads = f"{sample['RO']},{sample['AO'][index]}"
    else:
        depth = sample.get("AD")
        reads = ",".join(str(n) for n in depth) if depth else "-"
    return f"{record.qual:.0f}", reads


def alt_fraction(reads: str) -> float | None:
    if reads == "-":
        return None
    counts = [int(n) for n in reads.split(",")]
    return counts[-1] / sum(counts) if sum(counts) else None


def known_alleles(known: dict[str, pysam.VariantFile], row: dict) -> str:
    found = []
    for name, vcf in known.items():
        record = record_at(vcf, row["chrom"], int(row["pos"]), row["ref"], row["alt"])
        if record is None:
            continue
        if "AF" in record.info:
            index = record.alts.index(row["alt"])
            found.append(f"{name}:AF={record.info['AF'][index]:.3g}")
        else:
            found.append(f"{name}:{record.id}")
    return ";".join(found) or "-"


def nearest_truth(truth: pysam.VariantFile, chrom: str, pos: int) -> int:
    distances = [abs(record.pos - pos) for record in truth.fetch(chrom)]
    return min(distances) if distances else -1


def panel_genotypes(panel, offset: int, samples: list[str], row: dict) -> str:
    if panel is None or row["type"] != "SNV" or len(row["ref"]) != 1:
        return "-"
    for record in panel.fetch(panel.header.contigs[0].name, int(row["pos"]) + offset - 1,
                              int(row["pos"]) + offset):  # fmt: skip
        if record.ref == row["ref"] and row["alt"] in record.alts:
            calls = []
            for name in samples:
                alleles = record.samples[name]["GT"]
                separator = "|" if record.samples[name].phased else "/"
                calls.append(f"{name}={separator.join(str(a) for a in alleles)}")
            return ";".join(calls)
    return "not in panel"


def reads(counts: str) -> int:
    return 0 if counts == "-" else sum(int(n) for n in counts.split(","))


def classify(row: dict) -> str:
    fractions = [alt_fraction(row["bcftools_ref_alt_reads"]),
                 alt_fraction(row["freebayes_ref_alt_reads"])]  # fmt: skip
    quals = [row["bcftools_qual"], row["freebayes_qual"]]
    both = all(q != "-" for q in quals)
    informative = max(reads(row["bcftools_ref_alt_reads"]), reads(row["freebayes_ref_alt_reads"]))
    strong = (
        both
        and informative >= 10
        and all(float(q) >= 30 for q in quals)
        and all(f is not None and f >= 0.3 for f in fractions)
    )
    genotype = row["genotype"].replace("/", "|")
    panel_agrees = row["panel_genotypes"].startswith(f"NA12878={genotype}") or (
        genotype == "0|1" and row["panel_genotypes"].startswith("NA12878=1|0")
    )
    known = row["known"] != "-"
    isolated = int(row["nearest_truth_bp"]) > 20
    repeat = row["repeat"] != "-" and int(row["repeat"].split("x")[0]) >= 8
    if row["status"] != "FP":
        return "unresolved"
    if strong and row["type"] == "SNV" and (panel_agrees or (known and isolated)):
        return "real_outside_benchmark"
    if both and row["type"] == "INDEL" and known and repeat:
        return "known_repeat_indel"
    present = [f for f in fractions if f is not None]
    if not both and present and max(present) < 0.3:
        return "caller_error"
    return "unresolved"


def named(values: list[str]) -> dict[str, str]:
    return dict(value.split("=", 1) for value in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--calls", action="append", required=True, help="NAME=VCF (PASS scored)")
    parser.add_argument("--raw", action="append", default=[], help="bcftools|freebayes=RAW.vcf.gz")
    parser.add_argument("--known", action="append", default=[], help="NAME=VCF of known alleles")
    parser.add_argument("--panel", help="VCF of independent genotypes (1000 Genomes 30x)")
    parser.add_argument("--panel-offset", type=int, default=0)
    parser.add_argument("--panel-samples", default="NA12878")
    args = parser.parse_args()
    found: dict[tuple, dict] = {}
    for name, vcf in named(args.calls).items():
        for row in errors(vcf, args.ref, args.truth):
            key = (row["chrom"], int(row["pos"]), row["ref"], row["alt"], row["status"])
            entry = found.setdefault(key, {**row, "call_sets": []})
            entry["call_sets"].append(name)
    fasta = pysam.FastaFile(args.ref)
    raw = {name: pysam.VariantFile(path) for name, path in named(args.raw).items()}
    known = {name: pysam.VariantFile(path) for name, path in named(args.known).items()}
    truth = pysam.VariantFile(args.truth)
    panel = pysam.VariantFile(args.panel) if args.panel else None
    rows = []
    for key in sorted(found):
        row = found[key]
        out = {column: row.get(column, "") for column in COLUMNS}
        out["call_sets"] = ",".join(row["call_sets"])
        for caller in ("bcftools", "freebayes"):
            qual, reads = caller_evidence(raw.get(caller), caller, row)
            out[f"{caller}_qual"], out[f"{caller}_ref_alt_reads"] = qual, reads
        out["repeat"] = longest_repeat(fasta, row["chrom"], int(row["pos"]) - 1)
        out["known"] = known_alleles(known, row)
        out["nearest_truth_bp"] = nearest_truth(truth, row["chrom"], int(row["pos"]))
        out["panel_genotypes"] = panel_genotypes(
            panel, args.panel_offset, args.panel_samples.split(","), row
        )
        out["class"] = classify(out)
        rows.append(out)
        print("\t".join(str(out[c]) for c in COLUMNS), flush=True)
    write_tsv(args.out, COLUMNS, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
