"""Evaluation: one module per metric with its reference, a registry, and the report builder."""
