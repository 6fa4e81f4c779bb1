"""Benchmarks. Each figure is measured against a baseline taken in the same run."""
