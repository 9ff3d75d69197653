# Two entry points for a fresh clone: `make run` (set up, run the workflow on the embedded
# default, build results/report.html) and `make test` (set up, then run the test suite).
# Both are idempotent.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.brainlike-installed
# The venv's bin must come first: snakemake's shell rules call datalad and git-annex from it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
CORES ?= all

.PHONY: setup run test lint clean-outputs

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.lock
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
	bash scripts/ensure-git-identity.sh
	touch $@

run: setup
	snakemake --cores $(CORES)
	snakemake --report results/report.html

test: setup
	python -m pytest tests

lint: setup
	snakemake --lint

clean-outputs:
	rm -rf data models features results logs .snakemake
