# Reliability and performance proof: zero-downtime rolling updates behind nginx, AWS
# faults (stop, hang, 5xx, throttling), kill -9 during uploads, concurrency, key
# rotation under load, bad input at the proxy; and the benchmarks of `make bench`.
SETUP_SCRIPTS += scripts/setup/loadtools.sh
TEST_TARGETS += test-reliability
LINT_TARGETS += lint-reliability
BENCH_TARGETS += bench-depot

.PHONY: test-reliability lint-reliability bench-depot setup-reliability
setup-reliability: setup-tool-python setup-tool-loadtools ## Install what test-reliability and bench-depot use.

# xunit1: keeps the figures the tests record (requests, failures, latencies) in the report.
test-reliability: setup-reliability ## Zero-downtime rollout (+ negative control), faults, kill -9, concurrency, key rotation, proxy limits.
	$(PYTEST) tests/reliability -o junit_family=xunit1 --junitxml=$(REPORTS)/reliability.xml

lint-reliability: setup-tool-python ## ruff (lint + format check) and mypy on the reliability tests and benchmarks.
	uv run --frozen ruff check tests/reliability bench
	uv run --frozen ruff format --check tests/reliability bench
	uv run --frozen mypy --ignore-missing-imports --explicit-package-bases tests/reliability bench

# One run, about 4 minutes: floors, depot endpoints at 1-64 connections, start-up, memory,
# the bare boto3 call, and a long rollout at 200 requests/s. BENCH_ARGS=--strict fails
# the target when a performance target is missed.
# The figures the docs quote come from one committed run (tests/docs/test_bench_figures.py).
.PHONY: bench-reference
bench-reference: ## Make the last make bench run the documented one (bench/results/reference.json).
	cp bench/results/latest.json bench/results/reference.json

bench-depot: setup-reliability ## Throughput, latency, CPU/request vs same-run floors, start-up, memory, long rollout; writes bench/results/.
	uv run --frozen --project $(CURDIR) python -m bench $(BENCH_ARGS)
