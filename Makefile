# The two set-up commands of the README: `make demo` (main job) and `make test` (tests).
# Each creates/updates the project-local virtualenv and the verified S3A JAR cache first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.lakeforge-installed
JARS   := .lakeforge/jars

.PHONY: demo test setup java chromium lint bench

# The whole lifecycle as the pipeline `demo` (infra/pipelines/specs/demo.toml), ending in a report;
# `make demo RECORDS=20000` scales it. moto is left running for inspection: `lake down` stops it.
demo: setup
	$(VENV)/bin/lake demo $(if $(RECORDS),--records $(RECORDS))

test: setup chromium
	$(VENV)/bin/pytest

setup: java $(STAMP) $(JARS)/.verified

java:
	@infra/check_java.sh

chromium:
	@infra/ensure_chromium.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(JARS)/.verified: $(STAMP) lake/spark/jars.py
	$(PY) -m lake.spark.jars $(JARS)
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy lake catalog infra jobs
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) bench/delta_write_bench.py
