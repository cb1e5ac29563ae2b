"""Benchmarks for clientportal and the synthetic agencies they run on."""
