"""Performance benchmarks: each measures localfn against its competitor or bound in the same run.

    python -m bench.perf [cold_start overhead saturation cache memory embedded]

See bench/README.md for what each measures; results land in bench/results/<benchmark>.json.
"""
