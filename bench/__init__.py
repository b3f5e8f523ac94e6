"""Benchmarks, run by hand with `python -m bench` (see bench/__main__.py); never part of the
test run. The measuring is done in child processes (bench/child.py), so the figures are not
polluted by the harness."""
