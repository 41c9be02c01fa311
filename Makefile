# Two commands do everything: `make run` (the conformance suite against the reference)
# and `make test` (the whole test suite). Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test ci lint types bench vectors check-vectors clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/ihp-conformance run --impl ref
	$(BIN)/ihp-conformance run --impl "$(BIN)/ihp-ref-shim"

# The tests start hundreds of Python processes (shims, servers, command lines): each reuses
# the project's compiled modules (in __pycache__, which git ignores) rather than compiling
# them again, even where the environment sets PYTHONDONTWRITEBYTECODE.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy --strict ihp_ref ihp_vectors conformance ihp_fuzz ihp_server ihp_client

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_capsule.py

vectors: $(STAMP)
	$(BIN)/ihp-vectors generate

check-vectors: $(STAMP)
	$(BIN)/ihp-vectors check

# The Node.js shim (issue 4 §6): install its pinned npm dependency, then the suite against it.
.PHONY: node-shim
node-shim: $(STAMP)
	cd conformance/examples/node-shim && npm ci --no-audit --no-fund
	$(BIN)/ihp-conformance run --no-progress --impl "node conformance/examples/node-shim/shim.mjs" --profile IHP-Core,IHP-Wire

# Bounded loopback load test of ihp-server (issue 6 figures), plain-HTTP and HTTPS modes.
.PHONY: bench-server bench-flood
bench-server: $(STAMP)
	$(BIN)/python benchmarks/bench_server.py --requests 5000 --concurrency 32
	$(BIN)/python benchmarks/bench_server.py --requests 5000 --concurrency 32 --mode https

bench-flood: $(STAMP)
	$(BIN)/python benchmarks/bench_flood.py --idle 1000 --slow 200 --seconds 45

# Fuzzing (issue 5, docs/FUZZING.md): a 10-minute campaign over every harness (exit 1 on a
# new finding), and the exec/s figures (median of 3 x 30,000 executions per harness).
.PHONY: fuzz bench-fuzz
fuzz: $(STAMP)
	$(BIN)/ihp-fuzz campaign --budget 10m --out out/fuzz

bench-fuzz: $(STAMP)
	$(BIN)/python benchmarks/bench_fuzz.py

# Mutation testing of ihp_ref (issue 13, tools/mutate.py): a seeded sample of the mutants,
# killers cheapest first; report in out/mutate/report.{md,json}; exit 1 below the threshold.
# The whole population runs nightly (.github/workflows/mutate_nightly.yml).
.PHONY: mutate
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py --sample 40 -j 2 --min-score 90 --out out/mutate

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
