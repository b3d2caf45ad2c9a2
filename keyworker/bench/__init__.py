"""The whole-product benchmark suite (`python -m keyworker.bench`, issue 16): one table of every
area's speed on a demo unit with years of history, JSON to compare two versions, a scale mode.
`unit.py` builds (or reuses from its cache) the unit; `__main__.py` measures it. Never part of the
normal test command; tests/unit/test_bench_smoke.py runs it at a tiny size so it cannot rot."""
