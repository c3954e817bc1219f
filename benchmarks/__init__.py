"""Benchmarks of eva_mm against timm and of activation checkpointing; run through tools/benchmark.py."""
