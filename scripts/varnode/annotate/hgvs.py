"""HGVS protein notation (p.Trp320Arg) from the amino-acid field of `bcftools csq`.

bcftools csq writes a protein change as `<pos><ref aa>[><pos><alt aa>]`, one-letter
codes, `*` a stop: `320W>320R` (missense), `320W` (synonymous: no alternate part),
`320W>320*` (stop gained), `110*>110QK*` (stop lost, the new reading to the next stop),
`63QRS>63RA*` (frameshift: reference and alternate codons up to the new stop),
`100KLM>100K` (in-frame deletion), `1M>1?` (start lost). With --brief-predictions a long
sequence is cut to `ABC..<pos>`, `<pos>` being the position after its last residue.
These become the HGVS forms (https://hgvs-nomenclature.org/stable/recommendations/protein/)
with three-letter codes: p.Trp320Arg, p.Trp320=, p.Trp320Ter, p.Ter110GlnextTer3,
p.Gln63ArgfsTer3, p.Leu101_Met102del, p.Lys100_Leu101insTrp, p.Leu101dup,
p.Leu101_Met102delinsTrp, p.Met1?. Predicted from DNA, they are consequences on the
reference transcript bcftools names, not observed proteins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THREE_LETTER = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
    "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
    "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "U": "Sec",
    "O": "Pyl", "X": "Xaa", "*": "Ter",
}  # fmt: skip
STOP = "*"
_PART = re.compile(r"^(\d+)([A-Z*]*)(?:\.\.(\d+))?$")


class NotationError(ValueError):
    """A protein change this module cannot read."""


@dataclass(frozen=True)
class Sequence:
    """A run of residues from `start` (1-based); `cut_end` is set when bcftools shortened
    it (--brief-predictions): the position after its last residue."""

    start: int
    residues: str
    cut_end: int | None = None


def _parse_part(text: str) -> Sequence:
    match = _PART.match(text)
    if not match or (not match.group(2) and match.group(3) is None):
        raise NotationError(f"not a bcftools csq amino-acid change: {text!r}")
    cut_end = int(match.group(3)) if match.group(3) else None
    return Sequence(int(match.group(1)), match.group(2), cut_end)


def _aa(residues: str) -> str:
    return "".join(THREE_LETTER.get(residue, "Xaa") for residue in residues)


def to_hgvs_protein(change: str, consequence: str = "") -> str:
    """The HGVS p. form of a bcftools csq amino-acid change ('' stays '').

    `consequence` is the BCSQ consequence of the same entry (e.g. 'frameshift'); it tells
    a frameshift from an in-frame change, which the residues alone cannot. Raises
    NotationError for text that is not a csq amino-acid change.
    """
    if not change:
        return ""
    kinds = set(consequence.lstrip("*").split("&"))
    ref_text, _, alt_text = change.partition(">")
    ref = _parse_part(ref_text)
    if not alt_text:
        return f"p.{_aa(ref.residues[:1] or 'X')}{ref.start}="
    if alt_text.endswith("?") or "start_lost" in kinds:
        # HGVS: the effect of losing the start codon cannot be predicted (p.Met1?).
        return f"p.{_aa(ref.residues[:1] or 'X')}{ref.start}?"
    alt = _parse_part(alt_text)
    before, after = ref.residues, alt.residues
    # Leading residues both share are not changed: skip them.
    shift = 0
    while shift < min(len(before), len(after)) and before[shift] == after[shift]:
        shift += 1
    if shift == len(before) == len(after) and ref.cut_end is None and alt.cut_end is None:
        return f"p.{_aa(before[-1:] or 'X')}{ref.start + max(len(before) - 1, 0)}="
    if before[shift : shift + 1] == STOP:
        return _extension(ref, alt, shift)
    if "frameshift" in kinds or ref.cut_end is not None or alt.cut_end is not None:
        return _frameshift_text(ref, alt, shift)
    return _inframe(before, after, ref.start, shift)


def _frameshift_text(ref: Sequence, alt: Sequence, shift: int) -> str:
    before, after = ref.residues[shift:], alt.residues[shift:]
    position = ref.start + shift
    if after[:1] == STOP:
        return f"p.{_aa(before[:1] or 'X')}{position}Ter"
    new_stop = _stop_distance(alt, shift)
    return f"p.{_aa(before[:1] or 'X')}{position}{_aa(after[:1] or 'X')}fsTer{new_stop}"


def _stop_distance(alt: Sequence, shift: int) -> str:
    """Position of the new stop counted from the first changed residue (1), or '?'."""
    if STOP in alt.residues[shift:]:
        return str(alt.residues.index(STOP, shift) - shift + 1)
    if alt.cut_end is not None:
        return str(alt.cut_end - (alt.start + shift) + 1)
    return "?"


def _extension(ref: Sequence, alt: Sequence, shift: int) -> str:
    """The reference stop read through: the protein goes on to the next stop, if any."""
    position = ref.start + shift
    new_stop = _stop_distance(alt, shift)
    return f"p.Ter{position}{_aa(alt.residues[shift : shift + 1] or 'X')}extTer{new_stop}"


def _inframe(before: str, after: str, start: int, shift: int) -> str:
    # Trailing residues both share are not changed either.
    end_before, end_after = len(before), len(after)
    while min(end_before, end_after) > shift and before[end_before - 1] == after[end_after - 1]:
        end_before -= 1
        end_after -= 1
    deleted, inserted = before[shift:end_before], after[shift:end_after]

    def span(first: int, last: int) -> str:
        """Residues first..last (offsets into `before`) as Xaa12 or Xaa12_Yaa14."""
        one = f"{_aa(before[first])}{start + first}"
        return one if first == last else f"{one}_{_aa(before[last])}{start + last}"

    if deleted and inserted:
        if len(deleted) == 1 and len(inserted) == 1:
            return f"p.{_aa(deleted)}{start + shift}{_aa(inserted)}"
        return f"p.{span(shift, end_before - 1)}delins{_aa(inserted)}"
    if deleted:
        return f"p.{span(shift, end_before - 1)}del"
    # An insertion: a copy of the residues just before it is a duplication.
    if shift >= len(inserted) and before[shift - len(inserted) : shift] == inserted:
        return f"p.{span(shift - len(inserted), shift - 1)}dup"
    if shift == 0 or shift >= len(before):
        raise NotationError("an insertion needs a residue on each side")
    return f"p.{span(shift - 1, shift)}ins{_aa(inserted)}"


def hgvs_or_raw(change: str, consequence: str = "") -> str:
    """to_hgvs_protein, or the bcftools text unchanged where it cannot be read (kept, not
    lost)."""
    try:
        return to_hgvs_protein(change, consequence)
    except NotationError:
        return change
