"""Benchmarks: they print numbers with the machine they ran on; they do not pass or fail."""
