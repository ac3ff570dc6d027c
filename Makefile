# The only commands CI runs (.ci/run → make test); the README shows the same ones.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint typecheck pytest coverage install clean bench bench-quick bench-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Dependencies are installed once per change of pyproject.toml; the package itself is
# reinstalled (not editable) on every run, so the tests exercise what users install.
$(VENV)/.deps-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet '.[test]'
	touch $@

install: | $(PY)
	$(PY) -m pip install --quiet --no-deps --force-reinstall .

demo: install
	@for s in "" "+dynamo,aot" "-dynamo,+inductor" "aot_graphs" "+dynamo,schedule" "+some.random.module,schedule"; do \
		echo; echo "=== TORCH_LOGS=\"$$s\" python -m logdial.demo"; \
		TORCH_LOGS="$$s" $(PY) -m logdial.demo; \
	done

lint: $(VENV)/.deps-test
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools

typecheck: $(VENV)/.deps-test
	$(PY) -m mypy

pytest: $(VENV)/.deps-test install
	rm -f .coverage .coverage.*
	$(PY) -m coverage run -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage report

test: lint typecheck pytest

# Benchmarks measure (make test never runs them): logdial against its peers, in one run.
# torch is pinned exactly: 2.13.0 is served from a local CPU build; an unpinned torch
# would download a CUDA build of several GB.
bench-deps: $(VENV)/.deps-test
	$(PY) -m pip install --quiet torch==2.13.0 loguru structlog picologging numpy

bench: bench-deps install
	$(PY) benchmarks/bench.py --json benchmarks/results.json

bench-quick: install
	$(PY) benchmarks/bench.py --quick

clean:
	rm -rf $(VENV) .coverage .coverage.* build dist
