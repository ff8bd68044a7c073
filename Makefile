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

# The whole service on embedded defaults with sandboxes for Front, Stripe and the product app
# (`make dev PORT=3100` or `DEV_ARGS="--executor-port 8388 ..."` when ports are taken).
dev: migrate
	$(PY) -m devkit dev $(if $(PORT),--port $(PORT)) $(DEV_ARGS)

# Only the api/ functions on :3000 (point INNGEST_DEV at your own dev server).
serve: migrate
	$(PY) -m lib.devserver --port 3000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .data .pytest_cache
