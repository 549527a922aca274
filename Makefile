# The two set-up commands: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DOCUMENTS := $(wildcard data/documents/*)

.PHONY: serve test bench corpus install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project definition changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Rebuilt when a document or the loader changes; built under a temporary
# name and moved into place, so a failed build never leaves half a database.
budget.db: $(DOCUMENTS) $(wildcard datasette_budget/*.py) $(wildcard datasette_budget/reference/*.csv) $(VENV)/.installed
	rm -f budget.db.tmp
	$(BIN)/datasette budget load budget.db.tmp data/documents
	mv budget.db.tmp budget.db

serve: budget.db
	$(BIN)/datasette serve -i budget.db --metadata metadata.yml --cors --setting suggest_facets off \
		-h 127.0.0.1 -p 8001

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -rs

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.corpus_speed

# The corpus report: every document of ../shared/corpus loaded, against expected.csv.
corpus: $(VENV)/.installed
	$(BIN)/python -m scripts.corpus_report

clean:
	rm -rf $(VENV) budget.db budget.db.tmp
