# Yiyang: every target installs what it needs on a fresh Debian machine, then does its job.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres test-e2e lint install install-test-system demo bench clean

## Start the platform with demo data on SQLite at http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo --if-empty
	$(PY) manage.py demo --accounts
	$(PY) manage.py resume_imports
	$(PY) manage.py care_timers
	$(PY) manage.py db_worker --queue-name default & WORKER=$$!; \
	  $(PY) manage.py exchange_push & PUSHER=$$!; trap "kill $$WORKER $$PUSHER" EXIT; \
	  $(VENV)/bin/gunicorn yiyang.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

## The whole suite: lint, migrations check, SQLite, PostgreSQL, browser tests
test: install install-test-system lint test-sqlite test-postgres test-e2e

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# PostgreSQL 15 and Chromium from Debian's packages, when missing.
install-test-system:
	bash scripts/install-system-packages

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

test-sqlite: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e"

test-postgres: install
	bash scripts/with-throwaway-postgres $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e"

test-e2e: install
	$(VENV)/bin/pytest -m e2e -p no:xdist

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo

## Benchmarks (on demand): make bench BENCH=elders ARGS="--elderly 1000000"
bench: install
	$(PY) -m benchmarks.$(or $(BENCH),elders) $(ARGS)

clean:
	rm -rf var/ .pytest_cache .ruff_cache .hypothesis
