"""Annotation: configured resources and steps, the annotated-variant table."""
