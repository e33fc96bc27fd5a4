"""Evaluations and benchmarks of localfn, each with recorded results (see bench/README.md)."""
