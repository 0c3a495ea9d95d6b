# Two commands do everything: `make demo` runs the pipeline on demo data, `make test`
# runs the test suite. Both install what is missing first (Debian packages when root
# with apt; a Python venv in .venv with this project installed); reruns are fast.
SHELL := /bin/bash
VENV := .venv
CORES ?= 2
SHARED_DATA ?= ../shared/data
DEMO_DIR := resources/demo
PYTHON_STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup system-tools test-tools demo demo-node test test-fast lint

setup: system-tools $(PYTHON_STAMP)

system-tools:
	@bash .ci/install-system-tools

test-tools:
	@bash .ci/install-system-tools --tests

$(PYTHON_STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet pip==26.3
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Uses the shared real data when present (the test config, .test/config/, laid over the
# shipped GRCh38 config), else a seeded simulated dataset.
demo: setup
	@if [ -d $(SHARED_DATA) ]; then \
		echo "demo: real data from $(SHARED_DATA)"; \
		snakemake --cores $(CORES) --workflow-profile workflow/profiles/default \
			--configfile .test/config/config.yaml; \
	else \
		echo "demo: $(SHARED_DATA) not found, simulating a seeded dataset in $(DEMO_DIR)"; \
		varnode simulate -o $(DEMO_DIR) --seed 1 && \
		snakemake --cores $(CORES) --workflow-profile workflow/profiles/default \
			--configfile $(DEMO_DIR)/config.yaml; \
	fi

# The demo data served by a local GA4GH WES node (development identity provider);
# prints the hub command that runs across it.
demo-node: setup
	$(VENV)/bin/varnode node demo --outdir resources/demo-node

# The fast tier: unit tests that need no external tool (Python only; tests that run
# bcftools, bgzip, samtools... are marked `tools`), well under a minute.
test-fast: setup
	@status=0; pytest -q -m "not tools" tests/unit || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test-fast: pytest collected no tests" >&2; fi; \
	exit $$status

# pytest exits 5 when it collected nothing: a suite that tests nothing must fail loudly.
test: setup test-tools
	@status=0; pytest -q tests || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

# The workflow is linted as the tests run it: the shipped config names a GRCh38 FASTA
# that a checkout does not hold.
lint: setup
	ruff check .
	ruff format --check scripts tests
	snakefmt --check Snakefile workflow
	snakemake --lint --cores 1 --configfile .test/config/config.yaml
