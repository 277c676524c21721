"""graphnas benchmarks: every figure BENCHMARKS.md quotes, rerunnable.

`python -m benchmarks [--mode quick|full] [--only NAME ...]` runs the entries of `suite.py`
(`runner.py`), each script writing its record (`record.py`) to benchmarks/results/; `python -m
benchmarks render` rewrites the marked sections of BENCHMARKS.md from those records (`render.py`).
"""
