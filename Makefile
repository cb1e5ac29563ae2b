# Every target works on a fresh machine: it makes the virtualenv it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SAMPLE_TODAY ?= 2026-11-23

PORT   ?= 8000

.PHONY: serve demo test chromium pdf-tools lint bench hugo fuzz translations clean

$(BIN)/portal: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The whole system on the embedded sample, on this machine: portals, API, checkout, mailbox.
serve: $(BIN)/portal
	$(BIN)/portal serve --port $(PORT) --today $(SAMPLE_TODAY)

# Build every client's portal into public/ (what `portal deploy` uploads).
demo: $(BIN)/portal
	$(BIN)/portal build --today $(SAMPLE_TODAY)

test: $(BIN)/portal chromium pdf-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# Debian's Chromium and CJK fonts for the browser tests (Playwright drives it; its own browser
# download cannot work here). Installed when missing and root; otherwise said, and those tests fail.
chromium:
	@if command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else \
	  echo "The browser tests need Debian's chromium and fonts-noto-cjk:" >&2; \
	  echo "  sudo apt-get install chromium fonts-noto-cjk   (they fail without it)" >&2; \
	fi

# What PDF documents need from Debian (site_builder/documents/pdf.py): Pango and HarfBuzz's
# subsetter for WeasyPrint, the fonts the PDFs embed (themes/default/static/print.css), and
# poppler-utils (pdftotext, pdfinfo, pdffonts) with which tests/functional/test_pdf.py reads
# them back. Installed when missing and root, as above.
PDF_DEBS = libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk poppler-utils
pdf-tools:
	@if dpkg -s $(PDF_DEBS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's $(PDF_DEBS) for PDF documents"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; \
	else \
	  echo "PDF documents and their tests need: sudo apt-get install $(PDF_DEBS)" >&2; \
	fi

# The build benchmark at 10,000 and 1,000 clients (bench/README.md), each beside Hugo on the same
# page count in the same run (bench/peers.py): Debian's hugo is installed when missing and root,
# as Chromium is above; without it the benchmark runs and says it has no ratios.
bench: $(BIN)/portal hugo
	$(BIN)/python bench/build.py
	$(BIN)/python bench/build.py --clients 1000 --workdir bench/out/1000

hugo:
	@if command -v hugo >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's hugo for the benchmark's comparison"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null; \
	else \
	  echo "The benchmark compares with Hugo: sudo apt-get install hugo (no ratios without it)" >&2; \
	fi

# Longer fuzzing than the suite's: each fuzzer FUZZ_EXAMPLES examples (webhook events,
# /checkout forms, content mutations), new draws each run (the suite's are fixed), then
# bench/fuzz_content.py's tally of what it found.
FUZZ_EXAMPLES ?= 20000
fuzz: $(BIN)/portal
	HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider \
	  tests/integration/test_fuzz.py tests/functional/test_fuzz_content.py
	# each of its examples is a build walked day by day through every reader: ~0.7 s apiece
	HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=300 $(BIN)/pytest -q -p no:cacheprovider \
	  tests/integration/test_one_money_truth.py
	$(BIN)/python bench/fuzz_content.py

# Re-extract UI strings into the catalogs (after editing templates or wording.py).
translations: $(BIN)/portal
	$(BIN)/pybabel extract -F babel.cfg -o themes/default/locales/messages.pot --no-location --no-wrap --omit-header .
	for l in en zh_Hans zh_Hant ru pl ms; do \
	  $(BIN)/pybabel update -i themes/default/locales/messages.pot -d themes/default/locales -l $$l -D messages --no-fuzzy-matching --no-wrap --ignore-obsolete 2>/dev/null \
	  || $(BIN)/pybabel init -i themes/default/locales/messages.pot -d themes/default/locales -l $$l -D messages; \
	done

clean:
	rm -rf public build .portal
