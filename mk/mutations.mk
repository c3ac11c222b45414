# Promise mutations (docs/mutations.yaml): each traceability row's implementation broken
# on purpose in a copy of the repository; the row's cited tests must fail. The quick ones
# (seconds each) run in `make test`; the slow ones (Terraform applies, live stacks) have
# their own target that CI runs too. docs/adr/0070-promise-mutations.md says why.
TEST_TARGETS += test-mutations
# The slow ones (tens of minutes of Terraform applies) are a CI leg of their own.
CI_ONLY_TARGETS += test-mutations-slow
LINT_TARGETS += lint-mutations
MUTATION_JOBS ?= 2

.PHONY: lint-mutations test-mutations test-mutations-slow
lint-mutations: setup-tool-python ## ruff and mypy --strict on the mutation runner.
	uv run --frozen ruff check tests/mutations
	uv run --frozen ruff format --check tests/mutations
	uv run --frozen mypy --strict --ignore-missing-imports tests/mutations

test-mutations: setup ## The runner's own tests, then every quick promise mutation must be killed.
	$(PYTEST) tests/mutations --junitxml=$(REPORTS)/mutations-runner.xml
	uv run --frozen --project $(CURDIR) python -m tests.mutations.runner --speed quick \
	  --jobs $(MUTATION_JOBS) --junit $(REPORTS)/mutations-quick.xml

test-mutations-slow: setup ## Slow promise mutations (Terraform applies on moto, live stacks).
	uv run --frozen --project $(CURDIR) python -m tests.mutations.runner --speed slow \
	  --jobs 1 --junit $(REPORTS)/mutations-slow.xml

BENCH_TARGETS += bench-mutation-score
.PHONY: bench-mutation-score
bench-mutation-score: setup-tool-python ## mutmut score of tools/delivery; survivors in bench/results/mutation-score.txt.
	uv run --frozen --project $(CURDIR) python -m tests.mutations.score
