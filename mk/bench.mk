# The performance benchmark (bench/): throughput, CPU vs the pyarrow floor, AWS requests, files,
# memory and cost per 1M records. Results: bench/results/<date>.json and a printed table.
#
#   make bench                                   # the full run (6-13 min on 2 cores, by load)
#   make bench BENCH_ARGS="--local-cloud"        # also drain W1 through a throwaway local cloud
#   make bench BENCH_ARGS="--records 100000 --no-memory"
#   make bench-smoke                             # a scaled-down run that checks the bench works

BENCH_ARGS ?=
BENCH_SMOKE_ARGS := --records 5000 --w2-objects 20 --memory-mib 16 --sweep-sizes 1,2 --import-repeats 1

.PHONY: bench bench-smoke

bench: $(VENV)/.installed ## Benchmark the handlers (W1-W3, floor, sweep, 1 GB memory mode); writes bench/results/<date>.json
	$(PY) -m bench $(BENCH_ARGS)

bench-smoke: $(VENV)/.installed ## A scaled-down bench run (checks it works, not the numbers)
	out=$$(mktemp -d) && $(PY) -m bench $(BENCH_SMOKE_ARGS) --out $$out $(BENCH_ARGS) && rm -rf $$out
