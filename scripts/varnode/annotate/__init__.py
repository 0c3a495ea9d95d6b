"""Annotation stage: consequences, known variants, the variant table."""
