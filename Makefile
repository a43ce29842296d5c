# The two commands of the quick start: `make run` and `make test`.
# Both build the virtual environment in .venv/ themselves.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench loadtest venv lock messages compilemessages lint clean kern

# The virtual environment holds exactly the versions in requirements.lock, each checked
# against its hash; `make lock` writes that file anew from the ranges in pyproject.toml.
$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

venv: $(VENV)/.installed

## make lock: resolve pyproject.toml's dependencies (with the dev extra) to the newest
## versions its ranges allow and write them with their hashes to requirements.lock; then
## `make test` installs and tests them. Change a range in pyproject.toml first to move
## past it.
lock: venv
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --extra dev --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links --no-header \
		--output-file requirements.lock pyproject.toml

compilemessages: venv
	$(MANAGE) compilemessages --ignore=$(VENV) -v0

## make run: install, migrate the SQLite default, load the Dresden data and demo accounts once,
## serve, and run two background workers (report documents, imports, e-mails, reminders) next
## to the server, so that a long spreadsheet check does not hold up mails and documents. The
## workers stop when the server stops (Ctrl+C); they do not reload on code changes, so
## restart `make run` after changing a task.
run: compilemessages
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) bootstrap_demo
	@echo "Serving on http://$(HOST):$(PORT)/ — log in with one of the accounts above."
	@$(MANAGE) db_worker --no-reload --verbosity 1 & first=$$!; \
	$(MANAGE) db_worker --no-reload --verbosity 1 & second=$$!; \
	trap 'kill $$first $$second 2>/dev/null; wait $$first $$second 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

## make test: install and run the whole suite on every core (TEST_PROCESSES=0 runs it in one
## process; DATABASE_URL=postgres://… runs it on PostgreSQL; PYTEST_ARGS="-m shared_cache"
## picks the tests the shared cache can change).
# Each process starts with a consecutive share of the tests, and one that runs out takes
# half of what another has left (worksteal): a module's tests mostly stay in one
# process, which builds the module's data (and a browser journey's site) once.
TEST_PROCESSES ?= auto
test: compilemessages
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

## make bench: the figures of docs/benchmark.md on SQLite and on PostgreSQL with Redis (both when they
## answer; BENCH_SETUPS=sqlite or postgres+redis picks one), at scale M (BENCH_SCALE=L adds
## L): throwaway databases, gunicorn with production settings, wrk; one line per figure
## and bench-results.json. DATABASE_URL=postgres://… names the PostgreSQL server.
bench: compilemessages
	$(PY) bench/run.py

## make loadtest: 30 s of mixed traffic at 32 connections (gunicorn, production settings,
## PostgreSQL and Redis when it answers, scale M): office accounts write status entries
## while others read every page type; fails on any error or lost entry.
loadtest: compilemessages
	$(PY) bench/loadtest.py

## make messages: update the German and English catalogues in locale/.
messages: venv
	$(MANAGE) makemessages -l de -l en -e html,txt,py,svg --ignore=$(VENV) --ignore=tests --no-obsolete

## make kern: update the vendored KERN UX design system in static/kern/ from the npm registry
## (KERN_VERSION=2.7.2 pins a version); commit the result.
kern:
	scripts/update_kern.sh

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
