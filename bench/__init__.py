"""Benchmarks of the bridge: `python -m bench [--quick]` (see bench/__main__.py).

The real bot runs in a child process against the test fakes (tests/fakes) served by the bench
process on 127.0.0.1, with the fake Midjourney answering instantly, so that only the bridge's
own cost is measured. Nothing here asserts timings: the figures go to a table and to
bench/results.json.
"""
