# Fengqiao ODR. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint worker beat messages migrate clean bootstrap

bootstrap: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

run: bootstrap
	$(BIN)/odr serve --host $(HOST) --port $(PORT)

test: bootstrap
	$(BIN)/pytest $(PYTEST_ARGS)

bench: bootstrap
	$(BIN)/python -m bench

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/mypy

worker: bootstrap
	$(BIN)/celery -A portal.worker:celery_app worker --loglevel=info

beat: bootstrap
	$(BIN)/celery -A portal.worker:celery_app beat --loglevel=info

migrate: bootstrap
	$(BIN)/odr db upgrade

messages: bootstrap
	$(BIN)/python -m portal.i18n_catalog

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
