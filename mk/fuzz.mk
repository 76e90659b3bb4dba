# The differential fuzzer (tests/fuzz/): production read/parse path vs the reference reader
# (elt/devkit/reference.py) on generated objects, under many unit, block and read-chunk sizes.
#
#   make fuzz                          # long mode: FUZZ_EXAMPLES inputs, reports inputs/s
#   make fuzz FUZZ_EXAMPLES=1000000 FUZZ_SEED=7
#   make fuzz-ci                       # the bounded run CI does (tests/unit/test_differential_fuzz.py)

FUZZ_EXAMPLES ?= 20000
FUZZ_SEED ?=

.PHONY: fuzz fuzz-ci

fuzz: $(VENV)/.installed ## Differential fuzzer, long mode (FUZZ_EXAMPLES=20000, FUZZ_SEED=): inputs, inputs/s, divergences
	$(PY) -m tests.fuzz --examples $(FUZZ_EXAMPLES) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

fuzz-ci: $(VENV)/.installed ## Differential fuzzer, the bounded mode CI runs (well under a minute)
	$(PY) -m pytest tests/unit/test_differential_fuzz.py -q
