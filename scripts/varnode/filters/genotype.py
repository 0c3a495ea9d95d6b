"""The genotype-filter hot loop: compiled genotype filters applied to batches of records.

Records are processed in batches: each FORMAT field a filter needs is fetched once per
record, stacked into one (records x samples) array per batch, and every filter is a
numpy expression over the whole batch, so per-record Python work stays a few calls
whatever the sample count. Each genotype gets a bit per filter it fails; the bits
index a lookup table of FORMAT/FT strings and a histogram that yields the stats.

Missing data follow bcftools: htslib marks a missing integer with INT32_MIN and a
vector end with INT32_MIN + 1, and a missing float with a NaN; a missing value fails
no filter except under `!=` (bcftools holds `. != x` true).
"""

from __future__ import annotations

import numpy as np

from varnode.filters.spec import DERIVED, GenotypeFilter

INT_MISSING = np.iinfo(np.int32).min
INT_MISSING_OR_END = INT_MISSING + 1  # raw ints <= this are not values
GT_VECTOR_END = INT_MISSING_OR_END
GT_MISSING = 0  # htslib's bcf_gt_missing: an unphased missing allele, as +setGT -n . writes
MAX_FILTERS = 16  # FT strings are looked up by a bit mask of failed filters
COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _stack(arrays: list[np.ndarray | None], rows: int) -> np.ndarray:
    """Stack per-record (samples x width) arrays into one (records*samples x width) array.

    Ragged widths (e.g. AD of records with different allele counts) are padded with
    vector ends, and records lacking the field get missing values.
    """
    present = [a for a in arrays if a is not None]
    if not present:
        return np.full((len(arrays) * rows, 1), INT_MISSING, dtype=np.int32)
    width = max(a.shape[1] for a in present)
    if len(present) == len(arrays) and all(a.shape[1] == width for a in present):
        return np.concatenate(present)
    floats = present[0].dtype.kind == "f"
    out = np.full((len(arrays) * rows, width), np.nan if floats else INT_MISSING_OR_END,
                  dtype=present[0].dtype)  # fmt: skip
    for i, array in enumerate(arrays):
        block = out[i * rows : (i + 1) * rows]
        if array is None:
            block[:] = np.nan if floats else INT_MISSING
        else:
            block[:, : array.shape[1]] = array
    return out


def _as_float(raw: np.ndarray) -> np.ndarray:
    if raw.dtype.kind == "f":
        return raw.astype(np.float64)
    values = raw.astype(np.float64)
    values[raw <= INT_MISSING_OR_END] = np.nan
    return values


def fails(values: np.ndarray, op: str, threshold) -> np.ndarray:
    """Where `values` fail `op threshold`; NaN (missing) fails only under `!=`."""
    with np.errstate(invalid="ignore"):
        if op == "outside":
            low, high = threshold
            return (values < low) | (values > high)
        compared = COMPARE[op](values, threshold)
        return compared if op == "!=" else compared & ~np.isnan(values)


class GenotypeFilters:
    """Applies genotype filters to batches of cyvcf2 records and counts the failures."""

    def __init__(self, filters: tuple[GenotypeFilter, ...], samples: int, set_missing: bool):
        if len(filters) > MAX_FILTERS:
            raise ValueError(f"at most {MAX_FILTERS} genotype filters are supported")
        self.filters = filters
        self.samples = samples
        self.set_missing = set_missing
        self.tags = sorted({f.field.split("/", 1)[1] for f in filters if f.field not in DERIVED})
        self.needs_ad = any(f.field in DERIVED for f in filters)
        codes = np.arange(1 << len(filters))
        self.ft_table = np.array(
            [
                ";".join(f.name for bit, f in enumerate(filters) if code >> bit & 1) or "PASS"
                for code in codes
            ],
            dtype="S",
        )
        self.all_pass = np.full(samples, b"PASS", dtype="S4")
        # histogram[code] = genotypes that failed exactly the filters in bit mask `code`
        self.histogram = np.zeros(len(codes), dtype=np.int64)

    def passed(self, records: int) -> None:
        """Count the genotypes of `records` records known to pass every filter."""
        self.histogram[0] += records * self.samples

    def _values(self, batch: list, alleles: np.ndarray | None) -> dict[str, np.ndarray]:
        """Per-genotype values (flat, records*samples; NaN where missing) of each field read.

        VAF and AB also carry a mask of the genotypes they apply to (`VAF?`, `AB?`).
        """
        n = self.samples
        values = {
            tag: _as_float(_stack([v.format(tag) for v in batch], n))[:, 0] for tag in self.tags
        }
        if self.needs_ad:
            ad = _stack([v.format("AD") for v in batch], n)
            valid = ad > INT_MISSING_OR_END
            total = np.where(valid, ad, 0).sum(axis=1, dtype=np.float64)
            usable = valid[:, 0] & (total > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                fraction = np.where(usable, 1.0 - ad[:, 0] / total, np.nan)
            called = alleles >= 0
            carries_alt = (alleles > 0).any(axis=1)
            # bcftools GT="RA": a diploid call of one REF and one ALT allele.
            ref_alt = (
                (called.sum(axis=1) == 2)
                & (alleles == 0).any(axis=1)
                & carries_alt
                & ~(alleles == -1).any(axis=1)
            )
            values["VAF"], values["VAF?"] = fraction, carries_alt
            values["AB"], values["AB?"] = fraction, ref_alt
        return values

    def apply(self, batch: list) -> None:
        """Evaluate the filters on `batch`: set FORMAT/FT in place, and with set_missing
        the GT alleles of failing genotypes to missing."""
        n = self.samples
        gt = alleles = None
        if self.needs_ad or self.set_missing:
            gt = _stack([v.format("GT", int) for v in batch], n)
            # BCF GT encoding: (allele + 1) << 1 | phased; 0 = missing allele.
            alleles = np.where(gt == GT_VECTOR_END, -2, (gt >> 1) - 1)
        values = self._values(batch, alleles)
        codes = np.zeros(len(batch) * n, dtype=np.int64)
        for bit, item in enumerate(self.filters):
            name = item.field if item.field in DERIVED else item.field.split("/", 1)[1]
            failed = fails(values[name], item.comparison.op, item.comparison.threshold)
            if item.field in DERIVED:
                failed &= values[f"{name}?"]
            codes |= failed.astype(np.int64) << bit
        self.histogram += np.bincount(codes, minlength=len(self.histogram))
        codes = codes.reshape(len(batch), n)
        for record, ft in zip(batch, self.ft_table[codes], strict=True):
            record.set_format("FT", ft)
        if self.set_missing:
            self._set_missing(batch, gt.reshape(len(batch), n, -1), codes)

    @staticmethod
    def _set_missing(batch: list, gt: np.ndarray, codes: np.ndarray) -> None:
        """GT alleles of failing genotypes to missing, as `bcftools +setGT -n .` does."""
        failing = codes != 0
        alleles = gt >= 0  # not a vector end, batch padding or an absent GT
        cleared = np.where(failing[:, :, None] & alleles, GT_MISSING, gt).astype(np.int32)
        # A record's own ploidy: columns past it are padding of the batch.
        widths = gt.shape[2] - np.argmax(alleles.any(axis=1)[:, ::-1], axis=1)
        for row in np.flatnonzero((failing[:, :, None] & alleles).any(axis=(1, 2))).tolist():
            values = cleared[row]
            if widths[row] < values.shape[1]:
                values = np.ascontiguousarray(values[:, : widths[row]])
            batch[row].set_format("GT", values)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per filter: genotypes failing it (total) and failing only it (alone)."""
        codes = np.arange(len(self.histogram))
        return {
            item.name: {
                "failed": int(self.histogram[(codes >> bit & 1) == 1].sum()),
                "failed_alone": int(self.histogram[1 << bit]),
            }
            for bit, item in enumerate(self.filters)
        }

    @property
    def evaluated(self) -> int:
        return int(self.histogram.sum())

    @property
    def failed_any(self) -> int:
        return int(self.histogram[1:].sum())
