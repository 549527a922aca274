# The set-up commands: `make serve` and `make test`.
PYTHON ?= python3
# .ci/run runs the suite once per Datasette version, each in a virtualenv of its own:
#   make test VENV=.venv-1.0 PIP_ARGS='datasette==1.0a41'
VENV ?= .venv
PIP_ARGS ?=
BIN := $(VENV)/bin
DOCUMENTS := $(wildcard data/documents/*)
# Datasette 1.0 reads its configuration (settings, plugins) from datasette.yaml.
CONFIG = $(shell $(BIN)/python -c 'import datasette.version as v; print("" if v.__version__.startswith("0.") else "-c datasette.yaml")')

.PHONY: serve test bench corpus install wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project definition changes. The extras: images (vl-convert, for
# .svg/.png charts) and test.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[images,test]' $(PIP_ARGS)
	touch $@

install: $(VENV)/.installed

# Rebuilt when a document or the loader changes; built under a temporary
# name and moved into place, so a failed build never leaves half a database.
budget.db: $(DOCUMENTS) $(wildcard datasette_budget/*.py) $(wildcard datasette_budget/reference/*.csv) $(VENV)/.installed
	rm -f budget.db.tmp
	$(BIN)/datasette budget load budget.db.tmp data/documents
	mv budget.db.tmp budget.db

serve: budget.db
	$(BIN)/datasette serve -i budget.db --metadata metadata.yml $(CONFIG) --cors \
		--setting suggest_facets off -h 127.0.0.1 -p 8001

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -rs

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.corpus_speed

# The corpus report: every document of ../shared/corpus loaded, against expected.csv.
corpus: $(VENV)/.installed
	$(BIN)/python -m scripts.corpus_report

# The wheel and sdist, in dist/.
wheel: $(VENV)/.installed
	$(BIN)/python -m build

clean:
	rm -rf $(VENV) .venv-* budget.db budget.db.tmp build dist
