"""Shared helpers of every stage."""
