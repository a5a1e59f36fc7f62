# Field Portal: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export FLASK_APP := wsgi

.PHONY: run test lint format demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/flask db upgrade
	$(BIN)/flask portal demo
	@echo "Field Portal on http://127.0.0.1:$(PORT)  (sign in as technician / demo)"
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

test: $(VENV)/.installed-test
	$(BIN)/ruff format --check portal tests bench
	$(BIN)/ruff check portal tests bench
	$(BIN)/mypy
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM_PATH" ]; then \
		echo "Browser tests: headless Chromium at 390x844."; \
	else \
		echo "NOTE: Chromium is not installed, so the browser tests are skipped (apt-get install chromium)."; \
	fi
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check portal tests bench
	$(BIN)/ruff check portal tests bench
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format portal tests bench
	$(BIN)/ruff check --fix portal tests bench

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache
