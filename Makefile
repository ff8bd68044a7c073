# One entry point for people and CI. `make dev` runs the service locally on its
# embedded defaults; `make test` runs the tests (what .ci/run calls).
#
# Python 3.12, as on Vercel: `python3.12` on PATH, else pyenv's newest 3.12, else
# PYTHON=/path/to/python3.12 make ... A .venv made with another Python is recreated.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-3.12
IS_312 := -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.12 $$(ls -d $$HOME/.pyenv/versions/3.12*/bin/python 2>/dev/null | sort -V -r); do \
	"$$p" $(IS_312) >/dev/null 2>&1 && { echo "$$p"; break; }; done)
endif

.PHONY: setup requirements migrate dev serve test bench eval clean

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "make: this project needs Python 3.12 (as Vercel runs it): none found as python3.12 on PATH or under ~/.pyenv/versions/3.12*. Install it (e.g. pyenv install 3.12) or run PYTHON=/path/to/python3.12 make $(MAKECMDGOALS)" >&2; exit 1; }
	@$(PYTHON) $(IS_312) || { echo "make: $(PYTHON) is not Python 3.12; this project needs 3.12" >&2; exit 1; }
	@if [ -e $(VENV) ] && ! $(PY) $(IS_312) >/dev/null 2>&1; then echo "recreating $(VENV): it was made with another Python"; rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) .ci/requirements.py --check
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# pyproject.toml is the one list of dependencies; this rewrites the requirements files from it.
requirements:
	$(or $(PYTHON),python3) .ci/requirements.py

migrate: setup
	$(PY) -m lib.db.migrate

# The whole service on embedded defaults with sandboxes for Front, Stripe and the product app
# (`make dev PORT=3100` or `DEV_ARGS="--executor-port 8388 ..."` when ports are taken).
dev: migrate
	$(PY) -m devkit dev $(if $(PORT),--port $(PORT)) $(DEV_ARGS)

# Only the api/ functions on :3000 (point INNGEST_DEV at your own dev server).
serve: migrate
	$(PY) -m devkit.devserver --port 3000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench

# The routing/agent eval over tests/evals/data: prints the table, writes bench/eval_results.json.
# Offline without OPENAI_API_KEY; with it, the classifier and the OpenAI agent (tokens, cost).
eval: setup
	$(PY) -m tests.evals

clean:
	rm -rf $(VENV) .data .pytest_cache
