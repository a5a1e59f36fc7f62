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

# Installs come from the lock files (exact versions, every file's hash checked), then the portal
# itself without dependencies; `pip check` fails if pyproject.toml asks for what the lock lacks.
$(VENV)/.installed-run: pyproject.toml requirements/run.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check || { echo "requirements/ does not match pyproject.toml: run make lock"; exit 1; }
	@touch $@

$(VENV)/.installed-test: pyproject.toml requirements/lock.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check || { echo "requirements/ does not match pyproject.toml: run make lock"; exit 1; }
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/flask db upgrade
	$(BIN)/flask portal demo
	@echo "Field Portal on http://127.0.0.1:$(PORT)  (sign in as technician / demo)"
	@# The mail worker runs beside gunicorn and stops with it.
	$(BIN)/flask portal worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
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

# Refresh the lock files from pyproject.toml after changing a dependency: pins already in the
# lock are kept (add LOCK_FLAGS=--upgrade to move everything to the newest allowed versions).
# One resolution for every platform and Python >= 3.11; run.txt is the runtime subset of
# lock.txt (same versions), for `make run`.
UV_VERSION := 0.13.10
UV_COMPILE  = $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_FLAGS)
.PHONY: lock
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(UV_COMPILE) --extra test --extra bench -o requirements/lock.txt
	$(UV_COMPILE) -c requirements/lock.txt -o requirements/run.txt

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache
