"""Holdfast benchmark harness (bench/holdfast_bench.py): one module per part."""
