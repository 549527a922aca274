"""Benchmarks (`make bench`): a synthetic corpus and the timing harness. Not part of `make test`."""
