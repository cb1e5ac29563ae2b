# Every target works on a fresh machine: it makes the virtualenv it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SAMPLE_TODAY ?= 2026-11-23

.PHONY: demo test lint bench translations clean

$(BIN)/portal: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The main job on the embedded sample: build every client's portal.
demo: $(BIN)/portal
	$(BIN)/portal build --today $(SAMPLE_TODAY)

test: $(BIN)/portal
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

bench: $(BIN)/portal
	$(BIN)/python bench/build.py

# Re-extract UI strings into the catalogs (after editing templates or wording.py).
translations: $(BIN)/portal
	$(BIN)/pybabel extract -F babel.cfg -o themes/default/locales/messages.pot --no-location --no-wrap --omit-header .
	for l in en zh_Hans zh_Hant ru pl ms; do \
	  $(BIN)/pybabel update -i themes/default/locales/messages.pot -d themes/default/locales -l $$l -D messages --no-fuzzy-matching --no-wrap --ignore-obsolete 2>/dev/null \
	  || $(BIN)/pybabel init -i themes/default/locales/messages.pot -d themes/default/locales -l $$l -D messages; \
	done

clean:
	rm -rf public build .portal
