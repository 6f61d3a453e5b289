# gr-rfclassify: `make run` and `make test` set everything up first (scripts/setup.sh is idempotent).
PY     := .venv/bin/python
PYTEST := .venv/bin/pytest

.PHONY: setup run test lint format bench perf soak clean help

help:
	@echo "make run    set up if needed, then run the receiver on the simulated source (Ctrl-C stops)"
	@echo "make test   set up if needed, then run the whole test suite"
	@echo "make setup  install Debian packages (if missing), create .venv, install the project"
	@echo "make lint   ruff check + format check"
	@echo "make bench  frontend benchmark (JSON)"
	@echo "make perf   every benchmark on an idle machine -> docs/performance.md (~10 min)"
	@echo "make soak   600 s paced at 30.72 MS/s: no skips, flat RSS, no ZMQ loss (idle machine)"

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/demo.sh $(ARGS)

test: setup
	$(PYTEST) -q

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: setup
	.venv/bin/rfclassify bench frontend --json

perf: setup
	bash scripts/performance.sh

soak: setup
	bash scripts/soak.sh

clean:
	rm -rf build dist out .pytest_cache .ruff_cache
