# One entry point for people and CI. `make dev` runs the service locally on its
# embedded defaults; `make test` runs the tests (what .ci/run calls).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup migrate dev serve test bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(PY) -m lib.db.migrate

# The whole service on embedded defaults: SQLite, offline executor, offline agent.
dev: migrate
	$(PY) -m lib.local

# Only the api/ functions on :3000 (point INNGEST_DEV at your own dev server).
serve: migrate
	$(PY) -m lib.devserver --port 3000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .data .pytest_cache
