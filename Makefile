# The only commands CI runs (.ci/run → make test); the README shows the same ones.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The other CPython versions `make test` runs the whole suite on, each in its own venv
# (.venv-3.12, ...), found by tools/find_python. $(PYTHON) (3.11 here) also runs the tests
# that need torch (its local CPU build is for 3.11 only) and mypy and ruff. Coverage is
# gated on the four runs combined, so that a branch only one Python takes still counts.
# A new version is a word to add here.
OTHER_PYTHONS ?= 3.10 3.12 3.13
PYTEST := -m pytest -p no:cacheprovider

.PHONY: demo test lint typecheck pytest pythons coverage install clean bench bench-quick bench-deps bench-pythons docs

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Dependencies are installed once per change of pyproject.toml (its PEP 735 dependency
# groups: development only, never in the published metadata); the package itself is
# reinstalled (not editable) on every run, so the tests exercise what users install.
$(VENV)/.deps-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --group test --group torch --group lint --group docs
	$(PY) -m pip install --quiet --upgrade --target $(VENV)/pytest8 'pytest>=8,<9'
	touch $@

.PRECIOUS: .venv-%/.deps-test  # (not an intermediate file: make would delete it)
.venv-%/.deps-test: pyproject.toml
	rm -rf .venv-$*
	"$$(tools/find_python $*)" -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet --group test
	.venv-$*/bin/python -m pip install --quiet --upgrade --target .venv-$*/pytest8 'pytest>=8,<9'
	touch $@

install: | $(PY)
	$(PY) -m pip install --quiet --no-deps --force-reinstall .

demo: install
	@for s in "" "+dynamo,aot" "-dynamo,+inductor" "aot_graphs" "+dynamo,schedule" "+some.random.module,schedule"; do \
		echo; echo "=== TORCH_LOGS=\"$$s\" python -m logdial.demo"; \
		TORCH_LOGS="$$s" $(PY) -m logdial.demo; \
	done

lint: $(VENV)/.deps-test
	$(PY) -m ruff check src tests benchmarks tools docs
	$(PY) -m ruff format --check src tests benchmarks tools docs

typecheck: $(VENV)/.deps-test
	$(PY) -m mypy

# LOGDIAL_TEST_REQUIRE: what must be here (tests/conftest.py), so that a missing torch or
# Chromium stops the run instead of skipping its tests. LOGDIAL_TEST_INSTALLED=1: the run
# tests the copy just installed in the venv, not src/ (tests/test_public_api.py checks
# that logdial is imported from there).
pytest: $(VENV)/.deps-test install
	rm -f .coverage .coverage.*
	LOGDIAL_TEST_INSTALLED=1 LOGDIAL_TEST_REQUIRE=torch,chromium,pytest8 $(PY) -m coverage run $(PYTEST) $(PYTEST_ARGS)

pytest-%: .venv-%/.deps-test
	.venv-$*/bin/python -m pip install --quiet --no-deps --force-reinstall .
	LOGDIAL_TEST_INSTALLED=1 LOGDIAL_TEST_REQUIRE=chromium,pytest8 .venv-$*/bin/python -m coverage run $(PYTEST) $(PYTEST_ARGS)

pythons: $(addprefix pytest-,$(OTHER_PYTHONS))

coverage: $(VENV)/.deps-test
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage report

test: lint typecheck docs pytest pythons coverage

# The API reference, from the docstrings (Sphinx autodoc): any warning fails the build.
# (Not nitpicky: with no network there is no intersphinx to resolve the stdlib's names.)
docs: $(VENV)/.deps-test install
	rm -rf docs/_build
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

# Benchmarks measure (make test never runs them): logdial against its peers, in one run.
# torch is pinned exactly: 2.13.0 is served from a local CPU build; an unpinned torch
# would download a CUDA build of several GB.
bench-deps: $(VENV)/.deps-test
	$(PY) -m pip install --quiet torch==2.13.0 loguru structlog picologging numpy

bench: bench-deps install bench-pythons
	$(PY) benchmarks/bench.py --json benchmarks/results.json

# The fast paths against the stdlib on every CPython `make test` runs (one table each).
bench-pythons: install $(addprefix .venv-,$(addsuffix /.deps-test,$(OTHER_PYTHONS)))
	$(PY) benchmarks/bench.py --python-rows --json benchmarks/results-$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])').json
	@for v in $(OTHER_PYTHONS); do \
		.venv-$$v/bin/python -m pip install --quiet --no-deps --force-reinstall . && \
		.venv-$$v/bin/python benchmarks/bench.py --python-rows --json benchmarks/results-$$v.json || exit 1; \
	done

bench-quick: install
	$(PY) benchmarks/bench.py --quick

clean:
	rm -rf $(VENV) .venv-* .coverage .coverage.* build dist docs/_build
